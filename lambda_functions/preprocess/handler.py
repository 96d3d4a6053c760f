"""Lambda entry point: thin Powertools wrapper around ``process.process_upload``.

Malformed events are logged at ERROR, counted (``MalformedEvents``) and answered with
``{"status": "rejected"}``: Lambda's async retries cannot fix them. A bad *upload* is not an error
of the function: it is recorded under rejected/ with its reason and alerted (status ``rejected``).
AWS API failures raise, so they are retried; processing is idempotent per event.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_functions.common.observability import load_config, powertools, reject_malformed
from lambda_functions.preprocess.config import PreprocessConfig
from lambda_functions.preprocess.events import MalformedEventError, parse_upload
from lambda_functions.preprocess.process import process_upload
from mlops_contracts import metrics as metric_names
from mlops_contracts.metrics import PREPROCESS_SERVICE

logger, metrics = powertools(PREPROCESS_SERVICE)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = load_config(logger, PreprocessConfig.from_env)
    try:
        upload = parse_upload(event)
    except MalformedEventError as error:
        return reject_malformed(logger, metrics, event, error)

    session = boto3.session.Session()
    result = process_upload(upload, config, s3=session.client("s3"), sns=session.client("sns"))
    logger.info("upload handled", extra={"result": result})
    if result["status"] == "rejected":
        metrics.add_metric(name=metric_names.UPLOADS_REJECTED, unit=MetricUnit.Count, value=1)
    if result["status"] == "processed":
        counts = result["counts"]
        metrics.add_metric(name=metric_names.ROWS_ACCEPTED, unit=MetricUnit.Count, value=counts["accepted"])
        metrics.add_metric(name=metric_names.ROWS_REJECTED, unit=MetricUnit.Count, value=counts["rejected"])
    return result
