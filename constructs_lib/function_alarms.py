"""Health alarms of the pipeline's functions: errors, throttles, dead letters, malformed events."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from mlops_contracts import metrics as names

PERIOD = Duration.minutes(5)


def malformed_events(service: str) -> cw.Metric:
    """Counted by every pipeline function's Powertools metrics (dimension ``service``)."""
    return cw.Metric(
        namespace=names.NAMESPACE,
        metric_name=names.MALFORMED_EVENTS,
        dimensions_map={names.SERVICE_DIMENSION: service},
        statistic=cw.Stats.SUM,
        period=PERIOD,
        label=f"{service} malformed events",
    )


def failed_training_jobs(register_service: str) -> cw.Metric:
    return cw.Metric(
        namespace=names.NAMESPACE,
        metric_name=names.REGISTRATION_ALERTED,
        dimensions_map={names.SERVICE_DIMENSION: register_service},
        statistic=cw.Stats.SUM,
        period=PERIOD,
        label="training jobs failed or stopped",
    )


class FunctionAlarms(Construct):
    """For each function (keyed by its Powertools service name): errors, throttles, messages in its
    dead-letter queue and, for ``event_functions``, MalformedEvents; plus failed training jobs as the
    registration function reports them. Any occurrence alarms: each is a lost or refused event.
    Exposes ``alarms`` (name -> alarm).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        event_functions: Mapping[str, lambda_.IFunction],
        alert_topic: sns.ITopic,
        register_service: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: dict[str, cw.Alarm] = {}
        action = cw_actions.SnsAction(alert_topic)

        def add(alarm_id: str, description: str, metric: cw.IMetric) -> None:
            alarm = cw.Alarm(
                self,
                alarm_id,
                alarm_description=description,
                metric=metric,
                threshold=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            self.alarms[alarm_id] = alarm

        for service, function in functions.items():
            key = "".join(part.capitalize() for part in service.split("-"))
            add(
                f"{key}Errors",
                f"{service} function: invocations that failed",
                function.metric_errors(period=PERIOD, statistic=cw.Stats.SUM),
            )
            add(
                f"{key}Throttles",
                f"{service} function: throttled invocations",
                function.metric_throttles(period=PERIOD, statistic=cw.Stats.SUM),
            )
            queue = getattr(function, "dead_letter_queue", None)
            if queue is not None:
                add(
                    f"{key}DeadLetters",
                    f"{service} function: events in its dead-letter queue (look, then redrive)",
                    queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic=cw.Stats.MAXIMUM
                    ),
                )
        for service in event_functions:
            key = "".join(part.capitalize() for part in service.split("-"))
            add(
                f"{key}MalformedEvents",
                f"{service} function: malformed events rejected",
                malformed_events(service),
            )
        if register_service:
            add(
                "TrainingJobsFailed",
                "A training or tuning job of this environment ended Failed or Stopped",
                failed_training_jobs(register_service),
            )
