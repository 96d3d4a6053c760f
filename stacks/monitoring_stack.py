"""Monitoring of one environment: the drift check, alarms, the dashboard and the cost budget.

The endpoint is referenced by its deterministic name (``naming.endpoint_name``), so alarms need no
reference to the serving stack and cannot form a cycle with it. The pipeline functions come in as
props, keyed by their Powertools service name (the ``service`` dimension of their metrics).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from config import EnvironmentConfig
from config.endpoint_plan import EndpointPlan
from constructs_lib.cost_budget import CostBudget
from constructs_lib.drift_check import DriftCheck
from constructs_lib.endpoint_alarms import EndpointAlarms
from constructs_lib.function_alarms import FunctionAlarms
from constructs_lib.platform_dashboard import PlatformDashboard
from mlops_contracts import events as contract_events
from mlops_contracts import layout, metrics, naming, parameters
from stacks.storage_stack import StorageStack, bucket_name

REPO_ROOT = Path(__file__).resolve().parents[1]
BILLING_METRICS_REGION = "us-east-1"
DAYS_PER_MONTH = 30.42
# Work bounds of one run, from benchmarks/drift_check_benchmark.py (see benchmarks/README.md).
# Measured ~2,600 capture records/s (536 B each) on a shared core: 512 MiB is ~1M records, ~6.5 min of
# reading, which leaves the other half of the 15-minute limit for the ground-truth join of the same run.
MAX_CAPTURE_BYTES_PER_RUN = 512 * 1024 * 1024
MAX_SAMPLE = 20_000
MAX_LABELS = 500_000


def schedule_period(expression: str) -> Duration:
    """The metric period matching the check's schedule: ``rate(N unit)``, else hourly."""
    match = re.match(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$", expression)
    if not match:
        return Duration.hours(1)
    amount, unit = int(match[1]), match[2].rstrip("s")
    seconds = amount * {"minute": 60, "hour": 3600, "day": 86400}[unit]
    # CloudWatch alarm periods: 10, 30 or a multiple of 60 seconds, at most one day.
    return Duration.seconds(min(max(60, seconds), 86400))


class MonitoringStack(Stack):
    """Exposes ``drift_check`` (None without data capture), ``endpoint_alarms``, ``function_alarms``,
    ``budget`` and ``dashboard``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        storage: StorageStack,
        endpoint: EndpointPlan,
        functions: Mapping[str, lambda_.IFunction],
        retrain_function: lambda_.IFunction,
        model_package_arn_pattern: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = config.monitoring
        topic, key = storage.alert_topic, storage.key
        endpoint_name = naming.endpoint_name(config.name)
        variants = endpoint.variant_names
        period = schedule_period(settings.drift_check_schedule)
        removal_policy = RemovalPolicy.RETAIN if config.storage.retain_data else RemovalPolicy.DESTROY
        all_functions = dict(functions)

        self.drift_check: DriftCheck | None = None
        if endpoint.has_capture:
            data_bucket = _bucket_by_name(self, "DataBucket", bucket_name(config, "data"))
            models_bucket = _bucket_by_name(self, "ModelsBucket", bucket_name(config, "models"))
            self.drift_check = DriftCheck(
                self,
                "DriftCheck",
                repo_root=REPO_ROOT,
                endpoint_name=endpoint_name,
                data_bucket=data_bucket,
                read_prefixes=[layout.CAPTURE_PREFIX, layout.GROUND_TRUTH_PREFIX],
                models_bucket=models_bucket,
                baseline_prefix=layout.MODEL_OUTPUT_PREFIX,
                model_package_arn_pattern=model_package_arn_pattern,
                alert_topic=topic,
                encryption_key=key,
                state_parameter_name=parameters.parameter_name(config.name, parameters.DRIFT_CHECK_STATE),
                schedule=settings.drift_check_schedule,
                memory_size=settings.drift_check_memory_mb,
                timeout_seconds=settings.drift_check_timeout_seconds,
                removal_policy=removal_policy,
                log_retention_days=config.storage.function_log_retention_days,
                environment={
                    "ENVIRONMENT_NAME": config.name,
                    "ENDPOINT_NAME": endpoint_name,
                    "VARIANTS": ",".join(variants),
                    "DATA_BUCKET": data_bucket.bucket_name,
                    "ALERT_TOPIC_ARN": topic.topic_arn,
                    "DRIFT_THRESHOLD": str(settings.drift_threshold),
                    "MIN_REQUESTS": str(settings.drift_min_requests),
                    "COOLDOWN_HOURS": str(settings.retrain_cooldown_hours),
                    "MAX_WINDOW_HOURS": str(settings.max_window_hours),
                    "MIN_LIVE_ACCURACY": str(settings.min_live_accuracy),
                    "MIN_LABELLED_REQUESTS": str(settings.min_labelled_requests),
                    "GROUND_TRUTH_LOOKBACK_HOURS": str(settings.ground_truth_lookback_hours),
                    "MAX_CAPTURE_BYTES": str(MAX_CAPTURE_BYTES_PER_RUN),
                    "MAX_SAMPLE": str(MAX_SAMPLE),
                    "MAX_LABELS": str(MAX_LABELS),
                },
            )
            all_functions[metrics.DRIFT_CHECK_SERVICE] = self.drift_check.function
            # The retrain function already answers drift events; live accuracy is the drift check's
            # second reason to retrain, so its rule lives next to its producer.
            events.Rule(
                self,
                "RetrainOnAccuracy",
                description="Retrain when live accuracy on ground-truth labels falls below the threshold",
                event_pattern=events.EventPattern(
                    source=[contract_events.EVENT_SOURCE],
                    detail_type=[contract_events.ACCURACY_DETAIL_TYPE],
                    detail={"environment": [config.name]},
                ),
                targets=[
                    targets.LambdaFunction(
                        retrain_function,
                        retry_attempts=2,
                        dead_letter_queue=self.drift_check.dead_letter_queue,
                    )
                ],
            )

        self.endpoint_alarms = EndpointAlarms(
            self,
            "EndpointAlarms",
            endpoint_name=endpoint_name,
            variants=variants,
            alert_topic=topic,
            latency_threshold_ms=settings.latency_threshold_ms,
            latency_evaluation_minutes=settings.latency_evaluation_minutes,
            error_rate_threshold_percent=settings.error_rate_threshold_percent,
            error_rate_evaluation_minutes=settings.error_rate_evaluation_minutes,
            no_invocations_minutes=settings.no_invocations_minutes
            if settings.alarm_on_no_invocations
            else None,
            drift_period=period if endpoint.has_capture else None,
            drift_threshold=settings.drift_threshold,
            min_live_accuracy=settings.min_live_accuracy,
        )
        register_service = (
            metrics.REGISTER_MODEL_SERVICE if metrics.REGISTER_MODEL_SERVICE in functions else None
        )
        self.function_alarms = FunctionAlarms(
            self,
            "FunctionAlarms",
            functions=all_functions,
            event_functions=functions,
            alert_topic=topic,
            register_service=register_service,
        )
        show_charges = config.region == BILLING_METRICS_REGION
        self.budget = CostBudget(
            self,
            "DailyBudget",
            budget_name=f"{config.resource_prefix}-daily",
            daily_limit_usd=settings.daily_budget_usd,
            alert_topic=topic,
            tag_value=config.name,
            estimated_charges_alarm_usd=round(settings.daily_budget_usd * DAYS_PER_MONTH, 2)
            if show_charges
            else None,
        )
        alarms = [*self.endpoint_alarms.alarms.values(), *self.function_alarms.alarms.values()]
        if self.budget.charges_alarm is not None:
            alarms.append(self.budget.charges_alarm)
        self.dashboard = PlatformDashboard(
            self,
            "Dashboard",
            dashboard_name=config.resource_prefix,
            environment_name=config.name,
            endpoint_name=endpoint_name,
            variants=variants,
            has_capture=endpoint.has_capture,
            drift_period=period,
            drift_threshold=settings.drift_threshold,
            min_live_accuracy=settings.min_live_accuracy,
            functions=all_functions,
            event_services=list(functions),
            register_service=register_service,
            alarms=alarms,
            show_estimated_charges=show_charges,
            daily_budget_usd=settings.daily_budget_usd,
        ).dashboard


def _bucket_by_name(scope: Construct, construct_id: str, name: str) -> s3.IBucket:
    return s3.Bucket.from_bucket_attributes(
        scope, construct_id, bucket_name=name, bucket_arn=f"arn:{Aws.PARTITION}:s3:::{name}"
    )
