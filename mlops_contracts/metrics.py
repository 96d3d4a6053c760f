"""CloudWatch namespace and metric names, shared by the functions that publish and the alarms that watch."""

from __future__ import annotations

import re

NAMESPACE = "MLOpsSentiment"

# Validation metrics printed by `train` (SageMaker scrapes "validation:<name>=<value>;" from the log)
# and stored in evaluation.json / the model package.
VALIDATION_METRICS = ("accuracy", "precision", "recall", "f1", "auc")
VALIDATION_METRIC_PREFIX = "validation:"

# Published by the Lambda functions (Powertools metrics, dimension "service").
MALFORMED_EVENTS = "MalformedEvents"
ROWS_ACCEPTED = "RowsAccepted"
ROWS_REJECTED = "RowsRejected"
UPLOADS_REJECTED = "UploadsRejected"
MODELS_REGISTERED = "ModelsRegistered"
MODELS_GATED = "ModelsRejectedByGate"

# Published by the drift check (dimension "variant").
DRIFT_SCORE = "DriftScore"
DRIFT_REQUESTS = "DriftWindowRequests"
LIVE_ACCURACY = "LiveAccuracy"
LABELLED_REQUESTS = "LabelledRequests"

# Dimensions of the drift check's metrics (the same names SageMaker uses in AWS/SageMaker, so a
# dashboard row reads alike). Powertools adds ``service`` = the function's service name to each.
DRIFT_CHECK_SERVICE = "drift-check"
# Every function's Powertools service name: its metrics' ``service`` dimension, which alarms name.
PREPROCESS_SERVICE = "preprocess"
RETRAIN_SERVICE = "retrain"
REGISTER_MODEL_SERVICE = "register-model"
SERVING_ROLLOUT_SERVICE = "serving-rollout"
SERVICE_DIMENSION = "service"
ENDPOINT_DIMENSION = "EndpointName"
VARIANT_DIMENSION = "VariantName"
FEATURE_DIMENSION = "Feature"
DRIFT_FEATURE = "DriftFeature"  # one value per feature of the window (its mean or rate), dimension Feature
CAPTURE_MALFORMED = "CaptureRecordsMalformed"  # capture lines that could not be read, per variant
DRIFT_EVENTS = "DriftEventsEmitted"
ACCURACY_EVENTS = "AccuracyEventsEmitted"


def variant_dimensions(endpoint: str, variant: str) -> dict[str, str]:
    """Dimensions of every per-variant metric the drift check publishes (alarms must match exactly)."""
    return {ENDPOINT_DIMENSION: endpoint, VARIANT_DIMENSION: variant, SERVICE_DIMENSION: DRIFT_CHECK_SERVICE}


# Features the drift check publishes per variant (DriftFeature, dimension Feature): the window's
# mean of each per-request feature of the drift score, and the share of positive predictions.
DRIFT_FEATURES = (
    "length",
    "oov_rate",
    "surprise",
    "confidence",
    "positive_probability",
    "predicted_positive_rate",
)
# One count per handled event, named after the handler's outcome: <prefix><Status in CamelCase>.
RETRAIN_PREFIX = "Retrain"
REGISTRATION_PREFIX = "Registration"
ROLLOUT_PREFIX = "Rollout"


def status_metric(prefix: str, status: str) -> str:
    """``status_metric("Registration", "already_registered")`` -> ``RegistrationAlreadyRegistered``."""
    return prefix + "".join(part.capitalize() for part in re.split(r"[-_]", status) if part)


RETRAIN_STARTED = status_metric(RETRAIN_PREFIX, "started")
REGISTRATION_REGISTERED = status_metric(REGISTRATION_PREFIX, "registered")
# Published by the registration function when a training or tuning job ends Failed or Stopped (its
# status "alerted"); the failed-training-jobs alarm watches it.
REGISTRATION_ALERTED = status_metric(REGISTRATION_PREFIX, "alerted")
