"""``python -m ops_cli cost``: estimates from the configuration, checked against hand computation."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from config import load_environments
from ops_cli import cost, prices
from ops_cli.cli import main

ROOT = Path(__file__).resolve().parents[2]


def by_item(result: cost.Estimate, item: str) -> list[cost.Line]:
    return [line for line in result.lines if line.item == item]


def test_instance_endpoint_is_billed_at_the_autoscaling_minimum_around_the_clock() -> None:
    (staging,) = cost.estimates("staging")
    endpoint = by_item(staging, "endpoint")
    assert [line.usd for line in endpoint] == [83.95, 83.95]  # 1 x 0.115 USD/h x 730 h per variant
    assert "champion" in endpoint[0].detail and "challenger" in endpoint[1].detail


def test_training_applies_the_spot_discount_to_scheduled_and_unscheduled_runs() -> None:
    (staging,) = cost.estimates("staging")
    (training,) = by_item(staging, "training")
    runs = 4.35 + 2  # weekly cron + assumed unscheduled runs
    assert training.usd == round(runs * 0.25 * 0.115 * (1 - prices.SPOT_SAVING), 2)
    (spot,) = [line for line in staging.savings if line.item == "spot training"]
    assert spot.usd == round(runs * 0.25 * 0.115 * prices.SPOT_SAVING, 2)


def test_dev_is_cheap_and_says_what_each_choice_saves() -> None:
    (dev,) = cost.estimates("dev")
    (endpoint,) = by_item(dev, "endpoint")
    assert "serverless" in endpoint.detail and endpoint.usd < 1
    saved = {line.item: line.usd for line in dev.savings}
    assert saved["serverless"] == round(83.95 - endpoint.usd, 2)
    assert {"spot training", "no scheduled retraining", "no drift check"} <= set(saved)
    (staging,) = cost.estimates("staging")
    assert dev.total < 15 < staging.total
    assert dev.total == round(sum(line.usd for line in dev.lines), 2)


def test_monitoring_lines_follow_the_configuration() -> None:
    config = load_environments({"environments": "staging"})[0]
    slower = replace(config, monitoring=replace(config.monitoring, drift_check_schedule="rate(6 hours)"))
    (lam,) = by_item(cost.estimate(slower), "lambda")
    (hourly,) = by_item(cost.estimate(config), "lambda")
    assert lam.usd == pytest.approx(hourly.usd / 6, abs=0.01)
    quiet = replace(config, monitoring=replace(config.monitoring, alarm_on_no_invocations=False))
    (alarms,) = by_item(cost.estimate(quiet), "cloudwatch alarms")
    assert alarms.usd == round((cost.alarm_metrics(config, cost.endpoint_plan(config)) - 1) * 0.10, 2)


def test_an_instance_type_without_a_price_is_a_clear_error() -> None:
    config = load_environments({"environments": "prod"})[0]
    unknown = replace(config, training=replace(config.training, instance_type="ml.p9.huge"))
    with pytest.raises(ValueError, match=r"no training price for ml\.p9\.huge in ops_cli/prices\.py"):
        cost.estimate(unknown)


def test_scheduled_runs_from_the_schedule_expression() -> None:
    assert cost.scheduled_runs_per_month("cron(0 3 ? * SUN *)", True) == 4.35
    assert cost.scheduled_runs_per_month("cron(0 3 ? * MON,THU *)", True) == 8.7
    assert cost.scheduled_runs_per_month("rate(7 days)", True) == pytest.approx(4.35, abs=0.01)
    assert cost.scheduled_runs_per_month("cron(0 3 ? * SUN *)", False) == 0


def test_cli_prints_a_table_for_every_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost"]) == 0
    out = capsys.readouterr().out
    for name in ("dev", "staging", "prod"):
        assert f"\n{name} " in out
    assert out.count("  total ") == 3 and prices.AS_OF in out and "Assumed usage:" in out


def test_cli_json_for_one_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--env", "prod", "--json"]) == 0
    (prod,) = json.loads(capsys.readouterr().out)
    assert prod["environment"] == "prod" and prod["monthly_usd"] == round(
        sum(line["usd"] for line in prod["lines"]), 2
    )


def test_unknown_environment_is_one_line_and_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ops_cli", "cost", "--env", "qa"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: unknown environment 'qa' in context 'environments'; known environments: dev, staging, prod"
    ]
