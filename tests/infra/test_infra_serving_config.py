"""Serving settings: every bad value is named, and the environments use the modes they claim."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config import ConfigError, ScheduledCapacity, ServingSettings, load_environments
from config.environments import ENVIRONMENTS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instance_type": "m5.large"}, "serving.instance_type must look like 'ml.m5.large'"),
        (
            {"champion_weight": 0.0, "challenger_weight": 0.0},
            "champion_weight + challenger_weight must be > 0",
        ),
        ({"champion_weight": -1.0}, "serving.champion_weight must be a number >= 0"),
        ({"min_instances": 3, "max_instances": 2}, "serving.min_instances (3) must be <="),
        ({"capture_sampling_percent": 0}, "serving.capture_sampling_percent must be a whole number 1-100"),
        ({"rollout_traffic": "ALL"}, "serving.rollout_traffic must be one of CANARY, LINEAR"),
        ({"rollout_step_percent": 80}, "serving.rollout_step_percent must be a whole number 1-50"),
        ({"alarm_error_rate": 1.5}, "serving.alarm_error_rate must be between 0 and 1"),
        ({"serverless_memory_mb": 1000}, "serving.serverless_memory_mb must be one of"),
        ({"serverless": True, "shadow_challenger": True}, "shadow_challenger must be false"),
        (
            {"scheduled_capacity": (ScheduledCapacity("night", "rate(1 day)", 1, 2),)},
            "scheduled_capacity[0].schedule must be a cron(...) expression",
        ),
        (
            {"scheduled_capacity": (ScheduledCapacity("night", "cron(0 22 * * ? *)", 3, 2),)},
            "scheduled_capacity[0].min_instances must be <= max_instances",
        ),
    ],
)
def test_bad_serving_settings_are_named(changes, message):
    dev = next(env for env in ENVIRONMENTS if env.name == "dev")
    broken = replace(dev, serving=replace(dev.serving, **changes))
    with pytest.raises(ConfigError) as error:
        load_environments({}, known=[broken])
    assert message in str(error.value)


def test_serving_settings_can_be_overridden_from_context():
    (prod,) = load_environments({"environments": "prod", "prod.serving.max_instances": "8"})
    assert prod.serving.max_instances == 8


def test_variant_names_follow_the_mode():
    assert ServingSettings().variant_names == ("champion", "challenger")
    assert ServingSettings().production_variant_names == ("champion", "challenger")
    assert ServingSettings(shadow_challenger=True).production_variant_names == ("champion",)
    assert ServingSettings(serverless=True).variant_names == ("champion",)
