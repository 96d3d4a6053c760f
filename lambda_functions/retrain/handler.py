"""Lambda entry point: thin Powertools wrapper around ``start_job.start_retraining``.

Malformed events are rejected, not raised: see ``lambda_functions.common.observability``.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_functions.common.observability import load_config, powertools, reject_malformed
from lambda_functions.retrain.config import RetrainConfig
from lambda_functions.retrain.start_job import start_retraining
from lambda_functions.retrain.triggers import MalformedEventError, parse_trigger
from mlops_contracts.metrics import RETRAIN_PREFIX, RETRAIN_SERVICE, status_metric

logger, metrics = powertools(RETRAIN_SERVICE)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = load_config(logger, RetrainConfig.from_env)
    try:
        trigger = parse_trigger(event, environment=config.environment_name, request_id=context.aws_request_id)
    except MalformedEventError as error:
        return reject_malformed(logger, metrics, event, error)

    # Clients per invocation: cheap next to a training job, and never stale across tests or regions.
    session = boto3.session.Session()
    result = start_retraining(
        trigger,
        config,
        sagemaker=session.client("sagemaker"),
        s3=session.client("s3"),
        sns=session.client("sns"),
    )
    logger.info("retrain trigger handled", extra={"result": result})
    metrics.add_metric(name=status_metric(RETRAIN_PREFIX, result["status"]), unit=MetricUnit.Count, value=1)
    return result
