"""One CloudWatch dashboard per environment: endpoint, drift, live accuracy, training, functions, cost."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_lib import endpoint_metrics as m
from constructs_lib.cost_budget import estimated_charges
from constructs_lib.function_alarms import failed_training_jobs, malformed_events
from mlops_contracts import metrics as names

MINUTE = Duration.minutes(1)
FIVE_MINUTES = Duration.minutes(5)
LATENCY_STATISTICS = ("p50", "p90", "p99")


class PlatformDashboard(Construct):
    """Rows: header (and, without data capture, that there is no drift input), per-variant traffic,
    latency in ms, errors, instances and CPU/memory; drift score and features; live accuracy;
    training; function health and dead letters; cost; then every alarm's state.
    Exposes ``dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        environment_name: str,
        endpoint_name: str,
        variants: Sequence[str],
        has_capture: bool,
        drift_period: Duration,
        drift_threshold: float,
        min_live_accuracy: float,
        functions: Mapping[str, lambda_.IFunction],
        event_services: Sequence[str],
        register_service: str | None,
        alarms: Sequence[cw.IAlarm],
        show_estimated_charges: bool,
        daily_budget_usd: float,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        header = (
            f"# {environment_name}: {endpoint_name}\n"
            f"Variants: {', '.join(variants)}. Latency in milliseconds (SageMaker reports microseconds). "
            f"Drift threshold {drift_threshold:g}; live accuracy threshold {min_live_accuracy:g}; "
            f"daily budget {daily_budget_usd:g} USD."
        )
        if not has_capture:
            header += (
                "\n\n**No drift input:** this environment serves on serverless inference, which has no data "
                "capture, so there is no drift score and no live accuracy here."
            )
        dash = self.dashboard
        dash.add_widgets(cw.TextWidget(markdown=header, width=24, height=3 if has_capture else 4))

        dash.add_widgets(
            cw.GraphWidget(
                title="Invocations per variant",
                left=[m.invocations(endpoint_name, v, MINUTE) for v in variants],
                width=8,
            ),
            cw.GraphWidget(
                title="Errors per variant (4xx, 5xx)",
                left=[m.errors(endpoint_name, v, MINUTE, kind) for v in variants for kind in ("4XX", "5XX")],
                right=[m.error_rate_percent(endpoint_name, v, MINUTE) for v in variants],
                width=8,
            ),
            cw.GraphWidget(
                title="Model latency (ms) p50 / p90 / p99",
                left=[
                    m.latency_ms(endpoint_name, v, MINUTE, stat)
                    for v in variants
                    for stat in LATENCY_STATISTICS
                ],
                width=8,
            ),
        )
        dash.add_widgets(
            cw.GraphWidget(
                title="Instances per variant",
                left=[m.instance_count(endpoint_name, v) for v in variants],
                width=8,
            ),
            cw.GraphWidget(
                title="CPU utilization per variant (%)",
                left=[m.instance_metric(endpoint_name, v, "CPUUtilization") for v in variants],
                width=8,
            ),
            cw.GraphWidget(
                title="Memory utilization per variant (%)",
                left=[m.instance_metric(endpoint_name, v, "MemoryUtilization") for v in variants],
                width=8,
            ),
        )
        if has_capture:
            dash.add_widgets(
                cw.GraphWidget(
                    title="Drift score per variant",
                    left=[
                        m.drift_metric(endpoint_name, v, names.DRIFT_SCORE, drift_period) for v in variants
                    ],
                    left_annotations=[cw.HorizontalAnnotation(value=drift_threshold, label="drift")],
                    width=8,
                ),
                cw.GraphWidget(
                    title="Requests per drift window",
                    left=[
                        m.drift_metric(endpoint_name, v, names.DRIFT_REQUESTS, drift_period, cw.Stats.SUM)
                        for v in variants
                    ],
                    right=[
                        m.drift_metric(endpoint_name, v, names.CAPTURE_MALFORMED, drift_period, cw.Stats.SUM)
                        for v in variants
                    ],
                    width=8,
                ),
                cw.GraphWidget(
                    title="Live accuracy (ground truth) per variant",
                    left=[
                        m.drift_metric(endpoint_name, v, names.LIVE_ACCURACY, drift_period, cw.Stats.MINIMUM)
                        for v in variants
                    ],
                    right=[
                        m.drift_metric(endpoint_name, v, names.LABELLED_REQUESTS, drift_period, cw.Stats.SUM)
                        for v in variants
                    ],
                    left_annotations=[cw.HorizontalAnnotation(value=min_live_accuracy, label="minimum")],
                    width=8,
                ),
            )
            dash.add_widgets(
                *(
                    cw.GraphWidget(
                        title=f"Drift features: {variant} (window means)",
                        left=[
                            m.drift_feature(endpoint_name, variant, f, drift_period)
                            for f in names.DRIFT_FEATURES
                        ],
                        width=24 // max(len(variants), 1),
                    )
                    for variant in variants
                )
            )

        training = [
            cw.Metric(
                namespace=names.NAMESPACE,
                metric_name=name,
                dimensions_map={names.SERVICE_DIMENSION: service},
                statistic=cw.Stats.SUM,
                period=Duration.hours(1),
                label=name,
            )
            for service, name in (
                (names.RETRAIN_SERVICE, names.RETRAIN_STARTED),
                (names.REGISTER_MODEL_SERVICE, names.REGISTRATION_REGISTERED),
            )
        ]
        if register_service:
            training.append(failed_training_jobs(register_service))
        dash.add_widgets(
            cw.GraphWidget(title="Training jobs and outcomes", left=training, width=8),
            cw.GraphWidget(
                title="Function errors and throttles",
                left=[
                    f.metric_errors(period=FIVE_MINUTES, label=f"{s} errors") for s, f in functions.items()
                ],
                right=[
                    f.metric_throttles(period=FIVE_MINUTES, label=f"{s} throttles")
                    for s, f in functions.items()
                ],
                width=8,
            ),
            cw.GraphWidget(
                title="Dead letters and malformed events",
                left=[
                    queue.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic=cw.Stats.MAXIMUM, label=f"{s} dead letters"
                    )
                    for s, f in functions.items()
                    if (queue := getattr(f, "dead_letter_queue", None)) is not None
                ],
                right=[malformed_events(service) for service in event_services],
                width=8,
            ),
        )
        if show_estimated_charges:
            dash.add_widgets(
                cw.GraphWidget(
                    title="Estimated charges (account, month to date)",
                    left=[estimated_charges()],
                    width=24,
                )
            )
        else:
            dash.add_widgets(
                cw.TextWidget(
                    markdown=(
                        "Estimated charges: the AWS/Billing metric exists only in us-east-1; "
                        "this environment's "
                        f"daily budget ({daily_budget_usd:g} USD) notifies the alert topic. "
                        "`python -m ops_cli cost` estimates the monthly cost from the configuration."
                    ),
                    width=24,
                    height=2,
                )
            )
        if alarms:
            dash.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=24, height=6))
