"""A wrong configuration stops synth with one clear message that names the setting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from config import ConfigError, load_environments
from config.environments import ENVIRONMENTS

ROOT = Path(__file__).resolve().parents[2]


def run_app(*context: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "app.py"]
    env = {
        **os.environ,
        "CDK_OUTDIR": "/nonexistent-never-written",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    env["CDK_CONTEXT_JSON"] = "{" + ",".join(context) + "}"
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ('"environments": "qa"', "unknown environment 'qa' in context 'environments'"),
        ('"dev.storage.log_retention_days": "-5"', "environments.dev.storage.log_retention_days must be"),
        (
            '"prod.alerts.emails": "ops-at-example.com"',
            "environments.prod.alerts.emails has a malformed e-mail",
        ),
        ('"dev.storage.retention": "5"', "environments.dev.storage.retention: unknown setting 'retention'"),
    ],
)
def test_app_stops_with_one_clear_line(context, expected):
    result = run_app(context)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = [line for line in result.stderr.splitlines() if line.startswith("Configuration error:")]
    assert len(message) == 1 and expected in message[0], result.stderr


def test_all_problems_are_reported_at_once():
    broken = replace(
        ENVIRONMENTS[0],
        storage=replace(ENVIRONMENTS[0].storage, log_retention_days=0, raw_data_to_glacier_after_days=-1),
    )
    with pytest.raises(ConfigError) as error:
        load_environments({}, known=[broken])
    assert "log_retention_days" in str(error.value)
    assert "raw_data_to_glacier_after_days" in str(error.value)


def test_context_overrides_are_typed():
    (dev,) = load_environments(
        {
            "environments": "dev",
            "dev.training.use_spot": "false",
            "dev.training.max_runtime_seconds": "900",
            "dev.alerts.emails": "a@example.com, b@example.com",
        }
    )
    assert dev.training.use_spot is False
    assert dev.training.max_runtime_seconds == 900
    assert dev.alerts.emails == ("a@example.com", "b@example.com")


def test_account_and_region_fall_back_to_the_cdk_defaults():
    (dev,) = load_environments(
        {"environments": "dev"}, default_account="222222222222", default_region="us-east-1"
    )
    assert (dev.account, dev.region) == ("222222222222", "us-east-1")


def test_context_pins_account_and_region_over_the_cdk_defaults():
    (prod,) = load_environments(
        {"environments": "prod", "prod.account": "333333333333", "prod.region": "eu-central-1"},
        default_account="222222222222",
        default_region="us-east-1",
    )
    assert (prod.account, prod.region) == ("333333333333", "eu-central-1")
    with pytest.raises(ConfigError, match=r"environments\.prod\.account must be a 12-digit"):
        load_environments({"environments": "prod", "prod.account": "12345"})


def test_spot_needs_max_wait_at_least_max_runtime():
    with pytest.raises(ConfigError, match="max_wait_seconds"):
        load_environments({"environments": "dev", "dev.training.max_wait_seconds": "60"})


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"dev.storage.function_log_retention_days": "10"}, "function_log_retention_days must be one of"),
        ({"dev.preprocessing.max_upload_bytes": "0"}, "max_upload_bytes must be a whole number"),
        (
            {"dev.preprocessing.validation_fraction": "0.5"},
            "validation_fraction must be a number in (0, 0.5)",
        ),
    ],
)
def test_function_settings_are_validated(override, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_environments({"environments": "dev", **override})


def test_function_log_retention_is_short_in_dev_and_long_in_prod():
    assert ENVIRONMENTS[0].name == "dev" and ENVIRONMENTS[-1].name == "prod"
    assert (
        ENVIRONMENTS[0].storage.function_log_retention_days
        < ENVIRONMENTS[-1].storage.function_log_retention_days
    )
