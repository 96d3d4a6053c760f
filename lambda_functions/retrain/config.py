"""The retrain function's configuration, read once per invocation from its environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambda_functions.common import env


@dataclass(frozen=True)
class RetrainConfig:
    environment_name: str
    job_name_prefix: str
    training_image_uri: str
    training_role_arn: str
    data_bucket: str
    processed_prefix: str
    models_bucket: str
    model_output_prefix: str
    checkpoint_prefix: str
    kms_key_arn: str | None
    instance_type: str
    volume_size_gb: int
    max_runtime_seconds: int
    max_wait_seconds: int
    use_spot: bool
    hyperparameters: dict[str, str]
    model_package_group: str
    git_sha: str
    alert_topic_arn: str
    cost_tags: dict[str, str]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetrainConfig:
        return cls(
            environment_name=env.text("ENVIRONMENT_NAME", environ=environ),
            job_name_prefix=env.text("JOB_NAME_PREFIX", environ=environ),
            training_image_uri=env.text("TRAINING_IMAGE_URI", environ=environ),
            training_role_arn=env.text("TRAINING_ROLE_ARN", environ=environ),
            data_bucket=env.text("DATA_BUCKET", environ=environ),
            processed_prefix=env.text("PROCESSED_PREFIX", "processed/", environ=environ),
            models_bucket=env.text("MODELS_BUCKET", environ=environ),
            model_output_prefix=env.text("MODEL_OUTPUT_PREFIX", "training-jobs/", environ=environ),
            checkpoint_prefix=env.text("CHECKPOINT_PREFIX", "checkpoints/", environ=environ),
            kms_key_arn=env.optional("KMS_KEY_ARN", environ=environ),
            instance_type=env.text("INSTANCE_TYPE", "ml.m5.large", environ=environ),
            volume_size_gb=env.integer("VOLUME_SIZE_GB", 10, environ=environ),
            max_runtime_seconds=env.integer("MAX_RUNTIME_SECONDS", 3600, environ=environ),
            max_wait_seconds=env.integer("MAX_WAIT_SECONDS", 7200, environ=environ),
            use_spot=env.boolean("USE_SPOT", True, environ=environ),
            hyperparameters=env.string_map("HYPERPARAMETERS", environ=environ),
            model_package_group=env.text("MODEL_PACKAGE_GROUP", environ=environ),
            git_sha=env.text("GIT_SHA", "unknown", environ=environ),
            alert_topic_arn=env.text("ALERT_TOPIC_ARN", environ=environ),
            cost_tags=env.string_map("COST_TAGS", environ=environ),
        )
