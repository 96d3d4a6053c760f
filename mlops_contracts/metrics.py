"""CloudWatch namespace and metric names, shared by the functions that publish and the alarms that watch."""

from __future__ import annotations

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
TRAINING_JOBS_STARTED = "TrainingJobsStarted"
MODELS_REGISTERED = "ModelsRegistered"
MODELS_GATED = "ModelsRejectedByGate"

# Published by the drift check (dimension "variant").
DRIFT_SCORE = "DriftScore"
DRIFT_REQUESTS = "DriftWindowRequests"
LIVE_ACCURACY = "LiveAccuracy"
LABELLED_REQUESTS = "LabelledRequests"
