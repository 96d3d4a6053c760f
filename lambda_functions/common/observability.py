"""Powertools logger and metrics for a pipeline function, and the one way they reject a bad event.

A malformed event is logged at ERROR, counted (metric ``MalformedEvents``) and answered with
``{"status": "rejected", ...}`` instead of raising: EventBridge invokes asynchronously and Lambda
would retry a raised error twice, which cannot fix a malformed event. AWS API failures do raise, so
transient errors get Lambda's retries (and the dead-letter queue after that).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from lambda_functions.common.env import ConfigError
from mlops_contracts import metrics as contract_metrics

Config = TypeVar("Config")


def powertools(service: str) -> tuple[Logger, Metrics]:
    # The stack sets POWERTOOLS_METRICS_NAMESPACE to the same contract value; tests may override it.
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", contract_metrics.NAMESPACE)
    return Logger(service=service), Metrics(namespace=namespace, service=service)


def load_config(logger: Logger, loader: Callable[[], Config]) -> Config:
    """Read the function's configuration; a missing or malformed variable is logged as what it is
    (a deployment error, one line naming the variable) and raised, so the invocation fails."""
    try:
        return loader()
    except ConfigError as error:
        logger.error("configuration error: %s", error)
        raise


def reject_malformed(logger: Logger, metrics: Metrics, event: object, error: Exception) -> dict[str, Any]:
    logger.error("rejected malformed event", extra={"error": str(error), "event": event})
    metrics.add_metric(name=contract_metrics.MALFORMED_EVENTS, unit=MetricUnit.Count, value=1)
    return {"status": "rejected", "reason": str(error)}
