"""Monitoring settings: validated with messages that name the setting, overridable per synth."""

from __future__ import annotations

import pytest

from config import ConfigError, load_environments
from config.monitoring import MonitoringSettings


def test_defaults_are_the_briefs_thresholds() -> None:
    settings = MonitoringSettings()
    assert settings.latency_threshold_ms == 500 and settings.latency_evaluation_minutes == 5
    assert settings.error_rate_threshold_percent == 5 and settings.error_rate_evaluation_minutes == 3
    assert settings.no_invocations_minutes == 30 and settings.drift_threshold == 0.3
    assert settings.drift_check_schedule == "rate(1 hour)" and settings.problems("m") == []


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"dev.monitoring.drift_check_schedule": "hourly"},
            "environments.dev.monitoring.drift_check_schedule must be",
        ),
        (
            {"dev.monitoring.min_live_accuracy": "1.5"},
            "environments.dev.monitoring.min_live_accuracy must be in (0, 1]",
        ),
        (
            {"prod.monitoring.drift_min_requests": "0"},
            "environments.prod.monitoring.drift_min_requests must be a whole",
        ),
        (
            {"prod.monitoring.daily_budget_usd": "-3"},
            "environments.prod.monitoring.daily_budget_usd must be a number > 0",
        ),
        (
            {"staging.monitoring.drift_check_timeout_seconds": "1200"},
            "environments.staging.monitoring.drift_check_timeout_seconds must be at most 900",
        ),
    ],
)
def test_bad_values_name_the_setting(override: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_environments(override)
    assert expected in str(error.value)


def test_context_overrides_reach_the_monitoring_settings() -> None:
    (prod,) = load_environments({"environments": "prod", "prod.monitoring.latency_threshold_ms": "250"})
    assert prod.monitoring.latency_threshold_ms == 250.0
