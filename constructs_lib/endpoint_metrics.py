"""The CloudWatch metrics of a SageMaker endpoint variant and of the drift check, defined once for
the alarms and the dashboard."""

from __future__ import annotations

import re

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

from mlops_contracts import metrics as names

SAGEMAKER = "AWS/SageMaker"
INSTANCE_METRICS = "/aws/sagemaker/Endpoints"  # CPU, memory, disk of the instances behind a variant
MICROSECONDS_PER_MS = 1000  # ModelLatency and OverheadLatency are reported in microseconds


def _metric_id(*parts: str) -> str:
    """Math expression ids must be unique within a graph and match ^[a-z][a-zA-Z0-9_]*$."""
    return "_".join(re.sub(r"[^a-zA-Z0-9]", "_", part).lower() for part in parts)


def variant_dimensions(endpoint_name: str, variant: str) -> dict[str, str]:
    return {"EndpointName": endpoint_name, "VariantName": variant}


def invocations(endpoint_name: str, variant: str, period: Duration) -> cw.Metric:
    return cw.Metric(
        namespace=SAGEMAKER,
        metric_name="Invocations",
        dimensions_map=variant_dimensions(endpoint_name, variant),
        statistic=cw.Stats.SUM,
        period=period,
        label=f"{variant} invocations",
    )


def errors(endpoint_name: str, variant: str, period: Duration, kind: str) -> cw.Metric:
    """``kind`` is ``4XX`` or ``5XX``."""
    return cw.Metric(
        namespace=SAGEMAKER,
        metric_name=f"Invocation{kind}Errors",
        dimensions_map=variant_dimensions(endpoint_name, variant),
        statistic=cw.Stats.SUM,
        period=period,
        label=f"{variant} {kind}",
    )


def model_latency(endpoint_name: str, variant: str, period: Duration, statistic: str) -> cw.Metric:
    """Raw ModelLatency in microseconds (alarm thresholds are converted, not the metric)."""
    return cw.Metric(
        namespace=SAGEMAKER,
        metric_name="ModelLatency",
        dimensions_map=variant_dimensions(endpoint_name, variant),
        statistic=statistic,
        period=period,
    )


def latency_ms(endpoint_name: str, variant: str, period: Duration, statistic: str) -> cw.MathExpression:
    """ModelLatency converted to milliseconds for people."""
    latency = _metric_id("latency", variant, statistic)
    return cw.MathExpression(
        expression=f"{latency} / {MICROSECONDS_PER_MS}",
        using_metrics={latency: model_latency(endpoint_name, variant, period, statistic)},
        label=f"{variant} {statistic} (ms)",
        period=period,
    )


def error_rate_percent(endpoint_name: str, variant: str, period: Duration) -> cw.MathExpression:
    """(4xx + 5xx) / invocations in percent; no invocations -> no data point (not a 0 % or 100 %)."""
    e4, e5, calls = (_metric_id(name, variant) for name in ("errors4xx", "errors5xx", "invocations"))
    return cw.MathExpression(
        expression=f"100 * (FILL({e4}, 0) + FILL({e5}, 0)) / {calls}",
        using_metrics={
            e4: errors(endpoint_name, variant, period, "4XX"),
            e5: errors(endpoint_name, variant, period, "5XX"),
            calls: invocations(endpoint_name, variant, period),
        },
        label=f"{variant} error rate (%)",
        period=period,
    )


def instance_metric(
    endpoint_name: str, variant: str, name: str, statistic: str = cw.Stats.AVERAGE
) -> cw.Metric:
    return cw.Metric(
        namespace=INSTANCE_METRICS,
        metric_name=name,
        dimensions_map=variant_dimensions(endpoint_name, variant),
        statistic=statistic,
        period=Duration.minutes(1),
        label=f"{variant} {name}",
    )


def instance_count(endpoint_name: str, variant: str) -> cw.Metric:
    """Instances in service: every instance reports CPUUtilization once a minute, so the per-minute
    sample count is the number of instances (SageMaker publishes no instance-count metric)."""
    metric = instance_metric(endpoint_name, variant, "CPUUtilization", cw.Stats.SAMPLE_COUNT)
    return metric.with_(label=f"{variant} instances")


def drift_metric(
    endpoint_name: str, variant: str, name: str, period: Duration, statistic: str = cw.Stats.MAXIMUM
) -> cw.Metric:
    return cw.Metric(
        namespace=names.NAMESPACE,
        metric_name=name,
        dimensions_map=names.variant_dimensions(endpoint_name, variant),
        statistic=statistic,
        period=period,
        label=f"{variant} {name}",
    )


def drift_feature(endpoint_name: str, variant: str, feature: str, period: Duration) -> cw.Metric:
    return cw.Metric(
        namespace=names.NAMESPACE,
        metric_name=names.DRIFT_FEATURE,
        dimensions_map={**names.variant_dimensions(endpoint_name, variant), names.FEATURE_DIMENSION: feature},
        statistic=cw.Stats.AVERAGE,
        period=period,
        label=f"{variant} {feature}",
    )
