"""SSM parameters a deployed environment publishes for the operator CLI: ``/<project>/<env>/<key>``."""

from __future__ import annotations

from mlops_contracts.naming import PROJECT

TRAINING_IMAGE_URI = "training-image-uri"
TRAINING_ROLE_ARN = "training-role-arn"
MODEL_PACKAGE_GROUP = "model-package-group"
DATA_BUCKET = "data-bucket"
MODELS_BUCKET = "models-bucket"
KMS_KEY_ARN = "kms-key-arn"
JOB_NAME_PREFIX = "job-name-prefix"
RETRAIN_FUNCTION_NAME = "retrain-function-name"
ALERT_TOPIC_ARN = "alert-topic-arn"
# JSON objects: the environment's cost allocation tags (mlops_contracts.tags.COST_TAG_KEYS) and its
# training settings, so a job started from the CLI is tagged and sized like one the Lambda starts.
COST_TAGS = "cost-tags"
TRAINING_DEFAULTS = "training-defaults"
# The keys of the TRAINING_DEFAULTS object (config.settings.TrainingSettings fields of the same name).
TRAINING_DEFAULT_FIELDS = (
    "instance_type",
    "volume_size_gb",
    "max_runtime_seconds",
    "max_wait_seconds",
    "use_spot",
    "hyperparameters",
)

# What the training stack writes and the CLI reads (a test checks both sides against this).
TRAINING_KEYS = (
    TRAINING_IMAGE_URI,
    TRAINING_ROLE_ARN,
    MODEL_PACKAGE_GROUP,
    DATA_BUCKET,
    MODELS_BUCKET,
    KMS_KEY_ARN,
    JOB_NAME_PREFIX,
    RETRAIN_FUNCTION_NAME,
    ALERT_TOPIC_ARN,
    COST_TAGS,
    TRAINING_DEFAULTS,
)


def parameter_name(environment: str, key: str) -> str:
    return f"/{PROJECT}/{environment}/{key}"


# Written and read by the drift check only: when it last ran, its last retraining events, and the
# labelled-request counts it is still accumulating (not published for the CLI).
DRIFT_CHECK_STATE = "drift-check-state"

# --- serving: the one source of truth for what each variant serves ------------------------------
# Written by the approval function and the CLI, read by the serving stack at deploy time
# (CloudFormation parameters of type AWS::SSM::Parameter::Value<String>) - see docs/serving.md.
SERVING_MODEL_PACKAGE = "model-package-arn"
SERVING_WEIGHT = "weight"
SERVING_VARIANT_FIELDS = (SERVING_MODEL_PACKAGE, SERVING_WEIGHT)
# The previous champion, so that `rollback` knows where to go back to.
SERVING_PREVIOUS_CHAMPION = "serving/previous-champion/model-package-arn"
# JSON written by the serving stack: how to build endpoint configs (same for Lambda and CLI).
SERVING_SPEC = "serving/spec"


def serving_variant_key(variant: str, field: str) -> str:
    """``serving/<variant>/<field>``, e.g. ``serving/challenger/model-package-arn``."""
    return f"serving/{variant}/{field}"
