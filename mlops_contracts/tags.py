"""Tag and hyperparameter keys that carry lineage and cost allocation."""

from __future__ import annotations

# Cost allocation tags on every resource and job (values come from the environment's configuration).
COST_TAG_KEYS = ("project", "environment", "owner", "cost-center")

# Lineage on training jobs: as tags (console, cost reports) and as mlops_* hyperparameters, which
# DescribeTrainingJob returns (so registration needs no ListTags) and tuning jobs pass to children.
TAG_TRIGGER_REASON = "mlops:trigger-reason"
TAG_DATA_VERSION = "mlops:data-version"
TAG_GIT_SHA = "mlops:git-sha"
HP_TRIGGER_REASON = "mlops_trigger_reason"
HP_DATA_VERSION = "mlops_data_version"
HP_GIT_SHA = "mlops_git_sha"
# Hyperparameter keys with these prefixes carry platform metadata; the model ignores them.
PLATFORM_HYPERPARAMETER_PREFIXES = ("sagemaker_", "mlops_")
