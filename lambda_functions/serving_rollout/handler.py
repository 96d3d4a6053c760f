"""Lambda entry point: thin Powertools wrapper around ``rollout.handle_package_change``.

Malformed events are logged, counted and answered with ``{"status": "rejected"}`` (retries cannot fix
them); AWS API errors raise so Lambda retries, then the dead-letter queue keeps the event.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_functions.common import env
from lambda_functions.common.observability import powertools, reject_malformed
from lambda_functions.serving_rollout.events import MalformedEventError, parse_package_change
from lambda_functions.serving_rollout.rollout import RolloutConfig, handle_package_change
from mlops_contracts.metrics import ROLLOUT_PREFIX, SERVING_ROLLOUT_SERVICE, status_metric
from pipeline_core.endpoint_config import ServingSpec

logger, metrics = powertools(SERVING_ROLLOUT_SERVICE)


def config_from_env() -> RolloutConfig:
    return RolloutConfig(
        environment=env.text("ENVIRONMENT_NAME"),
        group=env.text("MODEL_PACKAGE_GROUP"),
        alert_topic_arn=env.text("ALERT_TOPIC_ARN"),
        spec=ServingSpec.from_json(os.environ.get("SERVING_SPEC", "")),
    )


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = config_from_env()
    try:
        change = parse_package_change(event)
    except MalformedEventError as error:
        return reject_malformed(logger, metrics, event, error)
    session = boto3.session.Session()
    result = handle_package_change(
        change,
        config,
        sagemaker=session.client("sagemaker"),
        ssm=session.client("ssm"),
        sns=session.client("sns"),
    )
    logger.info("model package change handled", extra={"result": result})
    metrics.add_metric(name=status_metric(ROLLOUT_PREFIX, result["status"]), unit=MetricUnit.Count, value=1)
    return result
