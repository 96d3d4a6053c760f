"""The retrain function's configuration: its environment (set by the stack from ``config/``) and the
names ``mlops_contracts`` defines or derives from the environment name (never passed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambda_functions.common import env
from mlops_contracts import layout, naming


@dataclass(frozen=True)
class RetrainConfig:
    environment_name: str
    job_name_prefix: str
    training_image_uri: str
    training_role_arn: str
    data_bucket: str
    models_bucket: str
    kms_key_arn: str
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
    processed_prefix: str = layout.PROCESSED_PREFIX
    model_output_prefix: str = layout.MODEL_OUTPUT_PREFIX
    checkpoint_prefix: str = layout.CHECKPOINT_PREFIX

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetrainConfig:
        environment_name = env.text("ENVIRONMENT_NAME", environ=environ)
        return cls(
            environment_name=environment_name,
            job_name_prefix=naming.job_name_prefix(environment_name),
            training_image_uri=env.text("TRAINING_IMAGE_URI", environ=environ),
            training_role_arn=env.text("TRAINING_ROLE_ARN", environ=environ),
            data_bucket=env.text("DATA_BUCKET", environ=environ),
            models_bucket=env.text("MODELS_BUCKET", environ=environ),
            kms_key_arn=env.text("KMS_KEY_ARN", environ=environ),
            instance_type=env.text("INSTANCE_TYPE", environ=environ),
            volume_size_gb=env.integer("VOLUME_SIZE_GB", environ=environ),
            max_runtime_seconds=env.integer("MAX_RUNTIME_SECONDS", environ=environ),
            max_wait_seconds=env.integer("MAX_WAIT_SECONDS", environ=environ),
            use_spot=env.boolean("USE_SPOT", environ=environ),
            hyperparameters=env.string_map("HYPERPARAMETERS", environ=environ),
            model_package_group=env.text("MODEL_PACKAGE_GROUP", environ=environ),
            git_sha=env.text("GIT_SHA", environ=environ),
            alert_topic_arn=env.text("ALERT_TOPIC_ARN", environ=environ),
            cost_tags=env.string_map("COST_TAGS", environ=environ),
        )
