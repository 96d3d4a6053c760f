"""Lambda entry point: thin Powertools wrapper around ``start_job.start_retraining``.

A malformed event is logged at ERROR, counted (metric ``MalformedEvents``) and answered with
``{"status": "rejected", ...}`` instead of raising: EventBridge invokes asynchronously and Lambda
would retry a raised error twice, which cannot fix a malformed event. AWS API failures do raise, so
transient errors get Lambda's retries (and the dead-letter queue after that).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_functions.retrain.config import RetrainConfig
from lambda_functions.retrain.start_job import start_retraining
from lambda_functions.retrain.triggers import MalformedEventError, parse_trigger

logger = Logger(service="retrain")
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "MLOpsSentiment"), service="retrain"
)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = RetrainConfig.from_env()
    try:
        trigger = parse_trigger(event, environment=config.environment_name, request_id=context.aws_request_id)
    except MalformedEventError as error:
        logger.error("rejected malformed event", extra={"error": str(error), "event": event})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        return {"status": "rejected", "reason": str(error)}

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
    metrics.add_metric(name=f"Retrain{result['status'].capitalize()}", unit=MetricUnit.Count, value=1)
    return result
