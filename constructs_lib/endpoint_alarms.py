"""Alarms on a SageMaker endpoint's variants and on the drift check's verdicts, to the alert topic."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib import endpoint_metrics as m
from mlops_contracts import metrics as names

MINUTE = Duration.minutes(1)


class EndpointAlarms(Construct):
    """Per variant: model latency, error rate (metric math) and, with ``drift_period``, drift score
    and live accuracy; for the first variant (the champion, which takes most traffic): no
    invocations. Latency thresholds are given in milliseconds and converted to ModelLatency's
    microseconds here. Exposes ``alarms`` (name -> alarm) for the dashboard.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variants: Sequence[str],
        alert_topic: sns.ITopic,
        latency_threshold_ms: float = 500.0,
        latency_evaluation_minutes: int = 5,
        latency_statistic: str = cw.Stats.percentile(90),
        error_rate_threshold_percent: float = 5.0,
        error_rate_evaluation_minutes: int = 3,
        no_invocations_minutes: int | None = 30,
        drift_period: Duration | None = None,
        drift_threshold: float = 0.3,
        min_live_accuracy: float = 0.8,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: dict[str, cw.Alarm] = {}
        action = cw_actions.SnsAction(alert_topic)

        def add(alarm_id: str, alarm: cw.Alarm) -> None:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[alarm_id] = alarm

        for variant in variants:
            key = variant.capitalize()
            add(
                f"{key}Latency",
                cw.Alarm(
                    self,
                    f"{key}Latency",
                    alarm_description=(
                        f"{endpoint_name}/{variant}: model latency {latency_statistic} above "
                        f"{latency_threshold_ms:g} ms for {latency_evaluation_minutes} minutes"
                    ),
                    metric=m.model_latency(endpoint_name, variant, MINUTE, latency_statistic),
                    threshold=latency_threshold_ms * m.MICROSECONDS_PER_MS,
                    comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=latency_evaluation_minutes,
                    datapoints_to_alarm=latency_evaluation_minutes,
                    # No requests, no latency: silence is the no-invocations alarm's business.
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                ),
            )
            add(
                f"{key}ErrorRate",
                cw.Alarm(
                    self,
                    f"{key}ErrorRate",
                    alarm_description=(
                        f"{endpoint_name}/{variant}: (4xx + 5xx) / invocations above "
                        f"{error_rate_threshold_percent:g} % for {error_rate_evaluation_minutes} minutes"
                    ),
                    metric=m.error_rate_percent(endpoint_name, variant, MINUTE),
                    threshold=error_rate_threshold_percent,
                    comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=error_rate_evaluation_minutes,
                    datapoints_to_alarm=error_rate_evaluation_minutes,
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                ),
            )
            if drift_period is None:
                continue
            add(
                f"{key}Drift",
                cw.Alarm(
                    self,
                    f"{key}Drift",
                    alarm_description=f"{endpoint_name}/{variant}: drift score above {drift_threshold:g}",
                    metric=m.drift_metric(endpoint_name, variant, names.DRIFT_SCORE, drift_period),
                    threshold=drift_threshold,
                    comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=1,
                    # Windows too small to judge publish no score: that is not drift.
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                ),
            )
            add(
                f"{key}LiveAccuracy",
                cw.Alarm(
                    self,
                    f"{key}LiveAccuracy",
                    alarm_description=(
                        f"{endpoint_name}/{variant}: accuracy on ground-truth labels "
                        f"below {min_live_accuracy:g}"
                    ),
                    metric=m.drift_metric(
                        endpoint_name, variant, names.LIVE_ACCURACY, drift_period, cw.Stats.MINIMUM
                    ),
                    threshold=min_live_accuracy,
                    comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                    evaluation_periods=1,
                    # Published only when enough labels were joined to judge.
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                ),
            )

        if no_invocations_minutes and variants:
            champion = variants[0]
            periods = max(1, no_invocations_minutes // 5)
            add(
                "NoInvocations",
                cw.Alarm(
                    self,
                    "NoInvocations",
                    alarm_description=(
                        f"{endpoint_name}/{champion}: no invocations for {periods * 5} minutes"
                    ),
                    metric=m.invocations(endpoint_name, champion, Duration.minutes(5)),
                    threshold=1,
                    comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                    evaluation_periods=periods,
                    datapoints_to_alarm=periods,
                    # SageMaker publishes nothing when nothing is invoked: missing data is the silence.
                    treat_missing_data=cw.TreatMissingData.BREACHING,
                ),
            )
