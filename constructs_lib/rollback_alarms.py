"""Per-variant alarms that roll a blue/green endpoint update back: latency p99 and 5xx error rate.

Names are deterministic (``mlops_contracts.serving.rollback_alarm_name``): the endpoint's deployment
config names the alarms and the alarms name the endpoint, with no CloudFormation reference between
them, so there is no dependency cycle.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from mlops_contracts import serving


class RollbackAlarms(Construct):
    """Exposes ``alarms`` (variant -> {kind: Alarm}) and ``alarm_names`` (flat, in a stable order)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        endpoint_name: str,
        variants: Sequence[str],
        latency_p99_ms: int,
        error_rate: float,
        alert_topic: sns.ITopic | None = None,
        period_minutes: int = 1,
        evaluation_periods: int = 3,
    ) -> None:
        super().__init__(scope, construct_id)
        period = Duration.minutes(period_minutes)
        self.alarms: dict[str, dict[str, cloudwatch.Alarm]] = {}
        self.alarm_names: list[str] = []
        for variant in variants:
            dimensions = {"EndpointName": endpoint_name, "VariantName": variant}

            def metric(name: str, statistic: str, dims: dict[str, str] = dimensions) -> cloudwatch.Metric:
                return cloudwatch.Metric(
                    namespace=serving.SAGEMAKER_NAMESPACE,
                    metric_name=name,
                    dimensions_map=dims,
                    statistic=statistic,
                    period=period,
                )

            latency_name = serving.rollback_alarm_name(environment, variant, serving.ALARM_LATENCY)
            errors_name = serving.rollback_alarm_name(environment, variant, serving.ALARM_ERRORS)
            latency = cloudwatch.Alarm(
                self,
                f"{variant}-latency",
                alarm_name=latency_name,
                alarm_description=f"{variant} of {endpoint_name}: ModelLatency p99 above {latency_p99_ms} ms "
                "(rolls back a blue/green update)",
                # ModelLatency is reported in microseconds.
                metric=metric(serving.METRIC_MODEL_LATENCY, "p99"),
                threshold=latency_p99_ms * 1000,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=2,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            errors = cloudwatch.Alarm(
                self,
                f"{variant}-errors",
                alarm_name=errors_name,
                alarm_description=f"{variant} of {endpoint_name}: 5xx share of invocations above "
                f"{error_rate:g} "
                "(rolls back a blue/green update)",
                metric=cloudwatch.MathExpression(
                    expression="IF(invocations > 0, errors / invocations, 0)",
                    using_metrics={
                        "errors": metric(serving.METRIC_5XX, "Sum"),
                        "invocations": metric(serving.METRIC_INVOCATIONS, "Sum"),
                    },
                    period=period,
                ),
                threshold=error_rate,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=2,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            if alert_topic is not None:
                for alarm in (latency, errors):
                    alarm.add_alarm_action(cw_actions.SnsAction(alert_topic))
            self.alarms[variant] = {serving.ALARM_LATENCY: latency, serving.ALARM_ERRORS: errors}
            self.alarm_names += [latency_name, errors_name]
