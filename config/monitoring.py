"""Monitoring settings of one environment: drift check, live accuracy, alarm thresholds and the budget.

Defaults are the product brief's: latency over 500 ms for 5 minutes, error rate over 5 % for 3
minutes, no invocations for 30 minutes, drift score over 0.3, hourly drift checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

RATE_OR_CRON = re.compile(r"^(rate|cron)\(.+\)$")


@dataclass(frozen=True)
class MonitoringSettings:
    # --- drift check (Lambda on an EventBridge schedule) -----------------------------------------
    drift_check_schedule: str = "rate(1 hour)"
    drift_threshold: float = 0.3
    # A window with fewer captured requests is reported as too small, not scored.
    drift_min_requests: int = 50
    # At most one retraining event per cool-down, however many windows drift.
    retrain_cooldown_hours: int = 24
    # A run that found no previous run (or a long gap) reads at most this much history.
    max_window_hours: int = 24
    drift_check_memory_mb: int = 2048
    drift_check_timeout_seconds: int = 900
    # --- live accuracy from ground truth ------------------------------------------------------------
    min_live_accuracy: float = 0.80
    min_labelled_requests: int = 200
    # How far back captured predictions are searched for newly labelled inference ids.
    ground_truth_lookback_hours: int = 72
    # --- endpoint alarms ---------------------------------------------------------------------------
    latency_threshold_ms: float = 500.0
    latency_evaluation_minutes: int = 5
    error_rate_threshold_percent: float = 5.0
    error_rate_evaluation_minutes: int = 3
    no_invocations_minutes: int = 30
    # False for an environment where silence is normal (an idle dev endpoint) to save the false alarm.
    alarm_on_no_invocations: bool = True
    # --- cost -------------------------------------------------------------------------------------
    daily_budget_usd: float = 10.0

    def problems(self, path: str) -> list[str]:
        found: list[str] = []
        if not isinstance(self.drift_check_schedule, str) or not RATE_OR_CRON.match(
            self.drift_check_schedule
        ):
            found.append(
                f"{path}.drift_check_schedule must be a rate(...) or cron(...) expression "
                f"(got {self.drift_check_schedule!r})"
            )
        for item in fields(self):
            value = getattr(self, item.name)
            if item.type == "int" and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                found.append(f"{path}.{item.name} must be a whole number >= 1 (got {value!r})")
            if item.type == "float" and (
                not isinstance(value, int | float) or isinstance(value, bool) or value <= 0
            ):
                found.append(f"{path}.{item.name} must be a number > 0 (got {value!r})")
        if not found:
            if not 0.0 < self.min_live_accuracy <= 1.0:
                found.append(f"{path}.min_live_accuracy must be in (0, 1] (got {self.min_live_accuracy!r})")
            if self.error_rate_threshold_percent > 100:
                found.append(
                    f"{path}.error_rate_threshold_percent must be at most 100 "
                    f"(got {self.error_rate_threshold_percent!r})"
                )
            if not 128 <= self.drift_check_memory_mb <= 10240:
                found.append(
                    f"{path}.drift_check_memory_mb must be between 128 and 10240 "
                    f"(got {self.drift_check_memory_mb})"
                )
            if self.drift_check_timeout_seconds > 900:
                found.append(
                    f"{path}.drift_check_timeout_seconds must be at most 900, Lambda's limit "
                    f"(got {self.drift_check_timeout_seconds})"
                )
        return found
