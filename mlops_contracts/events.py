"""EventBridge sources, detail types and states that producers emit and rules match."""

from __future__ import annotations

import json

# Our own events (put by the drift check, consumed by the retrain function), on the default bus.
EVENT_BUS_NAME = "default"
EVENT_SOURCE = "mlops-sentiment"
DRIFT_DETAIL_TYPE = "Model Drift Detected"
ACCURACY_DETAIL_TYPE = "Model Accuracy Degraded"

# AWS events.
S3_SOURCE = "aws.s3"
S3_OBJECT_CREATED = "Object Created"
SAGEMAKER_SOURCE = "aws.sagemaker"
TRAINING_STATE_CHANGE = "SageMaker Training Job State Change"
TUNING_STATE_CHANGE = "SageMaker HyperParameter Tuning Job State Change"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
SCHEDULED_EVENT = "Scheduled Event"
SCHEDULER_SOURCE = "aws.events"

TERMINAL_TRAINING_STATES = ("Completed", "Failed", "Stopped")
# A job in one of these states still occupies the slot: no second job is started beside it.
ACTIVE_TRAINING_STATES = ("InProgress", "Stopping")

# Why a training job was started (recorded on the job and the model package).
REASON_SCHEDULE = "schedule"
REASON_DRIFT = "drift"
REASON_ACCURACY = "accuracy"
REASON_MANUAL = "manual"


def drift_detected_entry(
    *, environment: str, endpoint_name: str, drift_score: float, threshold: float
) -> dict[str, str]:
    """The PutEvents entry the drift check sends; the retrain rule matches it and the retrain function
    reads its detail (``lambda_functions/retrain/triggers.py``). One builder, so the two cannot drift."""
    detail = {
        "environment": environment,
        "endpoint_name": endpoint_name,
        "drift_score": drift_score,
        "threshold": threshold,
    }
    return {"Source": EVENT_SOURCE, "DetailType": DRIFT_DETAIL_TYPE, "Detail": json.dumps(detail)}
