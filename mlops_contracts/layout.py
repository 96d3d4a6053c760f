"""Where things live in the buckets: every key prefix and file name that one part writes and another reads."""

from __future__ import annotations

# --- data bucket -------------------------------------------------------------------------------
RAW_PREFIX = "raw/"  # uploads by people; the preprocessing function starts on each
PROCESSED_PREFIX = "processed/"  # processed/<data version>/{train,validation,rejected}.csv + manifest.json
REJECTED_PREFIX = "rejected/"  # uploads refused as a whole, with the reason
CAPTURE_PREFIX = "data-capture/"  # SageMaker data capture of the endpoint
GROUND_TRUTH_PREFIX = "ground-truth/"  # {inference_id, label} JSON Lines dropped by people
BATCH_INPUT_PREFIX = "batch-input/"  # inputs of batch scoring jobs

# --- models bucket -----------------------------------------------------------------------------
MODEL_OUTPUT_PREFIX = "training-jobs/"  # <prefix><job name>/output/{model,output}.tar.gz
MODEL_METRICS_PREFIX = "model-metrics/"  # evaluation.json per registered package
CHECKPOINT_PREFIX = "checkpoints/"  # spot training checkpoints
BATCH_OUTPUT_PREFIX = "batch-transform/"  # batch scoring results
SCRATCH_PREFIX = "tmp/"
# Expire after the configured intermediate-artifact age.
INTERMEDIATE_PREFIXES = (CHECKPOINT_PREFIX, SCRATCH_PREFIX)

# --- a processed data version --------------------------------------------------------------------
MANIFEST_NAME = "manifest.json"  # written last: a version folder with a manifest is complete
TRAIN_NAME = "train.csv"
VALIDATION_NAME = "validation.csv"
REJECTED_ROWS_NAME = "rejected.csv"
DATA_COLUMNS = ("text", "label")  # label 0/1

# --- inside a training job's output -------------------------------------------------------------
MODEL_ARCHIVE = "model.tar.gz"
OUTPUT_ARCHIVE = "output.tar.gz"
EVALUATION_FILE = "evaluation.json"
BASELINE_FILE = "baseline.json"
METADATA_FILE = "metadata.json"


def training_output_prefix(job_name: str) -> str:
    """Key prefix of one job's artifacts in the models bucket (SageMaker adds ``<job>/output/``)."""
    return f"{MODEL_OUTPUT_PREFIX}{job_name}/output/"


def model_metrics_key(job_name: str) -> str:
    return f"{MODEL_METRICS_PREFIX}{job_name}/{EVALUATION_FILE}"
