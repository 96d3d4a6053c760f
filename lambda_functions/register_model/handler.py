"""Lambda entry point: thin Powertools wrapper around ``register.handle_state_change``.

Malformed events are logged at ERROR, counted (``MalformedEvents``) and answered with
``{"status": "rejected"}`` rather than raised: EventBridge invokes asynchronously, and Lambda's two
retries cannot fix a malformed event. AWS API errors raise, so transient failures are retried; a
retry is safe because registration is idempotent per training job.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_functions.common.observability import load_config, powertools, reject_malformed
from lambda_functions.register_model.config import RegisterConfig
from lambda_functions.register_model.events import MalformedEventError, parse_state_change
from lambda_functions.register_model.register import handle_state_change
from mlops_contracts import metrics as metric_names
from mlops_contracts.metrics import REGISTRATION_PREFIX, status_metric

logger, metrics = powertools(metric_names.REGISTER_MODEL_SERVICE)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = load_config(logger, RegisterConfig.from_env)
    try:
        change = parse_state_change(event)
    except MalformedEventError as error:
        return reject_malformed(logger, metrics, event, error)

    session = boto3.session.Session()
    result = handle_state_change(
        change,
        config,
        sagemaker=session.client("sagemaker"),
        s3=session.client("s3"),
        sns=session.client("sns"),
    )
    logger.info("job state change handled", extra={"result": result})
    metrics.add_metric(
        name=status_metric(REGISTRATION_PREFIX, result["status"]), unit=MetricUnit.Count, value=1
    )
    if result["status"] == "registered" and "resumed_steps" not in result:  # a new package
        metrics.add_metric(name=metric_names.MODELS_REGISTERED, unit=MetricUnit.Count, value=1)
        if result["approval_status"] == "Rejected":
            metrics.add_metric(name=metric_names.MODELS_GATED, unit=MetricUnit.Count, value=1)
    return result
