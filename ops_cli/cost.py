"""``python -m ops_cli cost``: each environment's monthly estimate from the configuration the stacks use.

The quantities come from ``config`` (environments, training, monitoring) and the endpoint plan
(``config.endpoint_plan``); prices from ``ops_cli/prices.py``. Usage-driven quantities that no
configuration states (training minutes billed per run, serverless traffic, stored gigabytes) are the
ASSUMPTIONS below, printed with the estimate. Each environment also lists what its cheaper choices
save against the always-on, on-demand alternative.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from config import EnvironmentConfig, load_environments
from config.endpoint_plan import EndpointPlan, endpoint_plan
from mlops_contracts import metrics as metric_names
from ops_cli import prices

# What the configuration cannot know; change here (and say why) when real usage is measured.
ASSUMPTIONS: dict[str, float] = {
    # `train` fits in ~30 s on 2 cores (README); SageMaker bills instance start-up and upload too.
    "training_hours_billed_per_run": 0.25,
    "unscheduled_runs_per_month": 2,  # drift, accuracy or manual retraining
    "serverless_requests_per_month": 100_000,
    "serverless_seconds_per_request": 0.05,
    "kilobytes_per_request": 2,
    "stored_gb": 5,  # data, models, capture and logs buckets together
    "logs_ingested_gb": 1,
    "image_gb": 1.0,  # model image + drift-check image in ECR
    "drift_run_seconds": 60,  # see benchmarks/README.md (drift check) for measured throughput
    "pipeline_custom_metrics": 12,  # Powertools metrics of preprocess, retrain and register-model
}
PIPELINE_FUNCTIONS = 3  # preprocess, retrain, register-model
DRIFT_METRICS_PER_VARIANT = 7 + len(metric_names.DRIFT_FEATURES)
BILLING_METRICS_REGION = "us-east-1"
RUNS_PER_MONTH_WEEKLY = 4.35


@dataclass(frozen=True)
class Line:
    item: str
    detail: str
    usd: float


@dataclass
class Estimate:
    environment: str
    lines: list[Line] = field(default_factory=list)
    savings: list[Line] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(line.usd for line in self.lines), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "monthly_usd": self.total,
            "lines": [asdict(line) for line in self.lines],
            "savings": [asdict(line) for line in self.savings],
        }


def _price(table: dict[str, float], instance_type: str, what: str) -> float:
    if instance_type not in table:
        raise ValueError(f"no {what} price for {instance_type} in ops_cli/prices.py; add it with its source")
    return table[instance_type]


def scheduled_runs_per_month(schedule: str, enabled: bool) -> float:
    """Weekly crons (``? * SUN``) run ~4.35 times a month; ``rate(N days)`` 30.4/N times."""
    if not enabled:
        return 0.0
    rate = re.match(r"^rate\((\d+) days?\)$", schedule)
    if rate:
        return 30.42 / int(rate[1])
    cron = re.match(r"^cron\(\S+ \S+ (\S+) \S+ (\S+) \S+\)$", schedule)
    if cron and cron[1] in ("?", "*") and cron[2] not in ("?", "*"):
        return RUNS_PER_MONTH_WEEKLY * len(cron[2].split(","))
    if cron and cron[1] in ("?", "*") and cron[2] in ("?", "*"):
        return 30.42
    return RUNS_PER_MONTH_WEEKLY


def runs_per_hour(schedule: str) -> float:
    match = re.match(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$", schedule)
    if not match:
        return 1.0
    hours = int(match[1]) * {"minute": 1 / 60, "hour": 1.0, "day": 24.0}[match[2].rstrip("s")]
    return 1.0 / hours


def alarm_metrics(config: EnvironmentConfig, plan: EndpointPlan) -> int:
    """Metrics evaluated by the monitoring stack's alarms (CloudWatch bills alarms per metric)."""
    per_variant = 1 + 3 + (2 if plan.has_capture else 0)  # latency, error-rate math (3), drift, accuracy
    count = per_variant * len(plan.variants)
    count += 1 if config.monitoring.alarm_on_no_invocations else 0
    functions = PIPELINE_FUNCTIONS + (1 if plan.has_capture else 0)
    count += functions * 3 + PIPELINE_FUNCTIONS + 1  # errors, throttles, DLQ; malformed; failed jobs
    count += 1 if config.region == BILLING_METRICS_REGION else 0
    return count


def _endpoint(plan: EndpointPlan) -> tuple[list[Line], float]:
    """Lines for the endpoint, and what one ml.m5.large always on would cost instead."""
    always_on = prices.INFERENCE_PER_HOUR["ml.m5.large"] * prices.HOURS_PER_MONTH
    if plan.serverless:
        requests = ASSUMPTIONS["serverless_requests_per_month"]
        gb_seconds = (
            requests * ASSUMPTIONS["serverless_seconds_per_request"] * plan.serverless_memory_mb / 1024
        )
        processed_gb = requests * ASSUMPTIONS["kilobytes_per_request"] * 2 / 1024 / 1024
        usd = gb_seconds * prices.SERVERLESS_PER_GB_SECOND + processed_gb * prices.SERVERLESS_PER_GB_PROCESSED
        detail = f"serverless {plan.serverless_memory_mb} MB, {requests:,.0f} requests (assumed), no capture"
        return [Line("endpoint", detail, usd)], always_on
    lines = []
    for variant in plan.variants:
        hourly = _price(prices.INFERENCE_PER_HOUR, variant.instance_type, "inference")
        usd = variant.min_instances * hourly * prices.HOURS_PER_MONTH
        detail = (
            f"{variant.name}: {variant.min_instances} x {variant.instance_type} (autoscaling minimum; "
            f"max {variant.max_instances}) x {prices.HOURS_PER_MONTH} h x ${hourly}/h"
        )
        lines.append(Line("endpoint", detail, usd))
    return lines, always_on


def _drift_lambda(schedule: str, memory_mb: int) -> Line:
    runs = runs_per_hour(schedule) * prices.HOURS_PER_MONTH
    gb_seconds = runs * ASSUMPTIONS["drift_run_seconds"] * memory_mb / 1024
    usd = gb_seconds * prices.LAMBDA_PER_GB_SECOND_X86 + runs / 1e6 * prices.LAMBDA_PER_MILLION_REQUESTS
    seconds = ASSUMPTIONS["drift_run_seconds"]
    detail = f"drift check {runs:.0f} runs x {seconds:g} s x {memory_mb} MB; pipeline pennies"
    return Line("lambda", detail, usd)


def estimate(config: EnvironmentConfig) -> Estimate:
    plan = endpoint_plan(config)
    training, monitoring = config.training, config.monitoring
    result = Estimate(config.name)
    endpoint_lines, always_on = _endpoint(plan)
    result.lines += endpoint_lines
    if plan.serverless:
        result.savings.append(
            Line("serverless", "instead of one ml.m5.large always on", always_on - endpoint_lines[0].usd)
        )

    runs = scheduled_runs_per_month(training.schedule, training.schedule_enabled)
    runs += ASSUMPTIONS["unscheduled_runs_per_month"]
    hourly = _price(prices.TRAINING_PER_HOUR, training.instance_type, "training")
    on_demand = runs * ASSUMPTIONS["training_hours_billed_per_run"] * hourly
    discount = prices.SPOT_SAVING if training.use_spot else 0.0
    result.lines.append(
        Line(
            "training",
            f"{runs:.1f} runs x {ASSUMPTIONS['training_hours_billed_per_run']} h x {training.instance_type}"
            + (f", spot -{discount:.0%}" if training.use_spot else ", on demand"),
            on_demand * (1 - discount),
        )
    )
    if training.use_spot:
        result.savings.append(Line("spot training", "instead of on-demand training", on_demand * discount))
    if not training.schedule_enabled:
        weekly = (
            RUNS_PER_MONTH_WEEKLY * ASSUMPTIONS["training_hours_billed_per_run"] * hourly * (1 - discount)
        )
        result.savings.append(Line("no scheduled retraining", "weekly schedule disabled", weekly))

    result.lines.append(
        Line(
            "storage",
            f"S3 {ASSUMPTIONS['stored_gb']:g} GB (assumed)",
            ASSUMPTIONS["stored_gb"] * prices.S3_STANDARD_PER_GB_MONTH,
        )
    )
    result.lines.append(
        Line(
            "images", f"ECR {ASSUMPTIONS['image_gb']:g} GB", ASSUMPTIONS["image_gb"] * prices.ECR_PER_GB_MONTH
        )
    )
    alarm_count = alarm_metrics(config, plan)
    result.lines.append(
        Line("cloudwatch alarms", f"{alarm_count} alarm metrics", alarm_count * prices.ALARM_METRIC_PER_MONTH)
    )
    result.lines.append(Line("cloudwatch dashboard", "1 dashboard", prices.DASHBOARD_PER_MONTH))
    custom = ASSUMPTIONS["pipeline_custom_metrics"]
    drift_metrics = DRIFT_METRICS_PER_VARIANT * len(plan.variants) if plan.has_capture else 0
    result.lines.append(
        Line(
            "cloudwatch custom metrics",
            f"{custom:.0f} pipeline + {drift_metrics} drift/accuracy",
            (custom + drift_metrics) * prices.CUSTOM_METRIC_PER_MONTH,
        )
    )
    result.lines.append(
        Line(
            "cloudwatch logs",
            f"{ASSUMPTIONS['logs_ingested_gb']:g} GB ingested, {config.storage.log_retention_days} days kept",
            ASSUMPTIONS["logs_ingested_gb"] * prices.LOGS_INGESTED_PER_GB,
        )
    )
    drift_lambda = _drift_lambda(monitoring.drift_check_schedule, monitoring.drift_check_memory_mb)
    if plan.has_capture:
        result.lines.append(Line("lambda", drift_lambda.detail, drift_lambda.usd))
    else:
        result.lines.append(Line("lambda", "pipeline functions only (no drift input), within pennies", 0.0))
        # What two captured variants would add: their drift metrics, drift/accuracy alarms, the check.
        avoided = 2 * (
            DRIFT_METRICS_PER_VARIANT * prices.CUSTOM_METRIC_PER_MONTH + 2 * prices.ALARM_METRIC_PER_MONTH
        )
        result.savings.append(
            Line(
                "no drift check",
                "serverless has no capture: no drift function, metrics, alarms",
                avoided + drift_lambda.usd,
            )
        )
    result.lines.append(Line("kms", "1 customer-managed key", prices.KMS_KEY_PER_MONTH))
    result.lines.append(Line("budget", "1 daily budget (the first two of an account are free)", 0.0))
    result.lines = [Line(line.item, line.detail, round(line.usd, 2)) for line in result.lines]
    result.savings = [Line(line.item, line.detail, round(line.usd, 2)) for line in result.savings]
    return result


def estimates(environment: str | None) -> list[Estimate]:
    context = {"environments": environment} if environment else {}
    return [estimate(config) for config in load_environments(context)]


def format_table(results: Sequence[Estimate]) -> str:
    out = [f"Monthly estimate, {prices.REGION} list prices of {prices.AS_OF} (USD)"]
    for result in results:
        out.append("")
        out.append(f"{result.environment:<34}{'':<80}{'USD/month':>10}")
        out += [f"  {line.item:<32}{line.detail:<80}{line.usd:>10.2f}" for line in result.lines]
        out.append(f"  {'total':<32}{'':<80}{result.total:>10.2f}")
        out += [f"  {'saves: ' + line.item:<32}{line.detail:<80}{line.usd:>10.2f}" for line in result.savings]
    out.append("")
    out.append("Assumed usage: " + ", ".join(f"{key}={value:g}" for key, value in ASSUMPTIONS.items()))
    return "\n".join(out)
