"""Names the endpoint, the approval automation, the operator CLI and the monitoring share.

Variant names are stable on purpose: SageMaker's blue/green updates require the new endpoint
configuration to keep the old variant names, and alarms and dashboards name variants too.
"""

from __future__ import annotations

from mlops_contracts import content_types
from mlops_contracts.naming import endpoint_name

CHAMPION = "champion"
CHALLENGER = "challenger"
VARIANTS = (CHAMPION, CHALLENGER)
# Value of a variant's model-package-arn parameter while no model is approved for it.
NO_MODEL = "none"

# Alarms on each variant that roll a blue/green update back (deterministic names: the endpoint's
# deployment config names them and they name the endpoint, without a dependency cycle).
ALARM_LATENCY = "latency"
ALARM_ERRORS = "error-rate"
ROLLBACK_ALARM_KINDS = (ALARM_LATENCY, ALARM_ERRORS)

# SageMaker endpoint metrics (namespace AWS/SageMaker, dimensions EndpointName and VariantName).
SAGEMAKER_NAMESPACE = "AWS/SageMaker"
METRIC_INVOCATIONS = "Invocations"
METRIC_MODEL_LATENCY = "ModelLatency"  # microseconds
METRIC_5XX = "Invocation5XXErrors"
METRIC_4XX = "Invocation4XXErrors"

# Where SageMaker data capture writes: <capture prefix><endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl
# Captured as text (the rest base64): the endpoint configuration declares these, the readers decode them.
CAPTURE_CONTENT_TYPES = (content_types.JSON, content_types.JSON_LINES)
CAPTURE_CSV_CONTENT_TYPES = (content_types.CSV,)


def rollback_alarm_name(environment: str, variant: str, kind: str) -> str:
    return f"{endpoint_name(environment)}-{variant}-{kind}"
