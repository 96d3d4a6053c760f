"""Powertools logger and metrics for a pipeline function, and the one way they reject a bad event.

A malformed event is logged at ERROR, counted (metric ``MalformedEvents``) and answered with
``{"status": "rejected", ...}`` instead of raising: EventBridge invokes asynchronously and Lambda
would retry a raised error twice, which cannot fix a malformed event. AWS API failures do raise, so
transient errors get Lambda's retries (and the dead-letter queue after that).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from mlops_contracts import metrics as metric_names

DEFAULT_NAMESPACE = metric_names.NAMESPACE


def powertools(service: str) -> tuple[Logger, Metrics]:
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE)
    return Logger(service=service), Metrics(namespace=namespace, service=service)


def reject_malformed(logger: Logger, metrics: Metrics, event: object, error: Exception) -> dict[str, Any]:
    logger.error("rejected malformed event", extra={"error": str(error), "event": event})
    metrics.add_metric(name=metric_names.MALFORMED_EVENTS, unit=MetricUnit.Count, value=1)
    return {"status": "rejected", "reason": str(error)}
