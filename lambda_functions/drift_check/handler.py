"""Lambda entry point (container image): run one drift check and publish its metrics.

Invoked by an EventBridge schedule; the event carries nothing the check needs (its window comes
from the state the previous run left), so any invocation runs one check. AWS API failures raise:
Lambda retries and then the dead-letter queue keep the failure visible.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_functions.common.observability import powertools
from lambda_functions.drift_check.check import Clients, MetricPoint, run_check
from lambda_functions.drift_check.config import DriftCheckConfig
from mlops_contracts.metrics import DRIFT_CHECK_SERVICE, NAMESPACE

logger, _ = powertools(DRIFT_CHECK_SERVICE)


def publish(points: list[MetricPoint], namespace: str) -> None:
    """One EMF record per point: each carries its own variant (and feature) dimensions."""
    for point in points:
        with single_metric(
            name=point.name,
            unit=MetricUnit(point.unit),
            value=point.value,
            namespace=namespace,
            default_dimensions=point.dimensions,
        ):
            pass


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = DriftCheckConfig.from_env()
    session = boto3.session.Session()
    clients = Clients(
        s3=session.client("s3"),
        sagemaker=session.client("sagemaker"),
        ssm=session.client("ssm"),
        events=session.client("events"),
        sns=session.client("sns"),
    )
    result = run_check(
        config,
        clients,
        now=datetime.now(UTC),
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000.0,
    )
    publish(result.metrics, os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE))
    summary = result.summary()
    logger.info("drift check finished", extra={"result": summary})
    return summary
