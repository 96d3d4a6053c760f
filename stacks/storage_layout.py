"""Where things live in the buckets. Stacks pass these to Lambdas and jobs; nothing hard-codes them twice."""

RAW_PREFIX = "raw/"
PROCESSED_PREFIX = "processed/"
REJECTED_PREFIX = "rejected/"
MODEL_OUTPUT_PREFIX = "training-jobs/"
MODEL_METRICS_PREFIX = "model-metrics/"
CHECKPOINT_PREFIX = "checkpoints/"
SCRATCH_PREFIX = "tmp/"
# Expire after the configured intermediate-artifact age.
INTERMEDIATE_PREFIXES = (CHECKPOINT_PREFIX, SCRATCH_PREFIX)
