"""Training pipeline and registry of one environment: wiring only.

Image, execution role and model package group; the three pipeline constructs of constructs_lib
(PreprocessingPipeline, RetrainingTrigger, ModelRegistration: each its function, rules and
permissions) wired to the storage stack's buckets, key and topic; SSM parameters the CLI reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.model_image import ModelImage
from constructs_lib.model_package_group import ModelPackageGroup
from constructs_lib.model_registration import ModelRegistration
from constructs_lib.preprocessing_pipeline import PreprocessingPipeline
from constructs_lib.retraining_trigger import RetrainingTrigger
from constructs_lib.runtime_function import runtime_code
from constructs_lib.sagemaker_training_role import SageMakerTrainingRole
from mlops_contracts import layout, naming, parameters
from stacks.storage_stack import StorageStack, bucket_name

REPO_ROOT = Path(__file__).resolve().parents[1]


class TrainingStack(Stack):
    """Exposes ``image``, ``training_role``, ``model_package_group``, the three constructs
    (``preprocessing``, ``retraining``, ``registration``) and their functions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        storage: StorageStack,
        git_sha: str = "unknown",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        training = config.training
        key, topic = storage.key, storage.alert_topic
        # By name, not by export: same account and region, and the IAM policies read plainly.
        data_bucket = _bucket_by_name(self, "DataBucket", bucket_name(config, "data"))
        models_bucket = _bucket_by_name(self, "ModelsBucket", bucket_name(config, "models"))
        removal_policy = RemovalPolicy.RETAIN if config.storage.retain_data else RemovalPolicy.DESTROY

        self.image = ModelImage(self, "ModelImage", directory=REPO_ROOT / "model_code")
        self.training_role = SageMakerTrainingRole(
            self,
            "TrainingRole",
            data_bucket=data_bucket,
            read_prefixes=[layout.PROCESSED_PREFIX],
            models_bucket=models_bucket,
            artifact_prefixes=[layout.MODEL_OUTPUT_PREFIX, layout.CHECKPOINT_PREFIX],
            encryption_key=key,
        ).role
        self.image.grant_pull(self.training_role)
        self.model_package_group = ModelPackageGroup(
            self,
            "ModelPackageGroup",
            group_name=naming.model_package_group_name(config.name),
            description=f"Sentiment classifier versions for {config.name}",
            removal_policy=removal_policy,
        )
        group = self.model_package_group
        log_retention_days = config.storage.function_log_retention_days

        self.preprocessing = PreprocessingPipeline(
            self,
            "Preprocess",
            code=runtime_code(REPO_ROOT, "preprocess", model_code_paths=["data.py"]),
            data_bucket=data_bucket,
            alert_topic=topic,
            encryption_key=key,
            max_upload_bytes=config.preprocessing.max_upload_bytes,
            validation_fraction=config.preprocessing.validation_fraction,
            removal_policy=removal_policy,
            log_retention_days=log_retention_days,
        )
        self.retraining = RetrainingTrigger(
            self,
            "Retrain",
            code=runtime_code(REPO_ROOT, "retrain", packages=["mlops_contracts", "pipeline_core"]),
            environment_name=config.name,
            training_image_uri=self.image.image_uri,
            training_role=self.training_role,
            data_bucket=data_bucket,
            models_bucket=models_bucket,
            model_package_group=group,
            alert_topic=topic,
            encryption_key=key,
            instance_type=training.instance_type,
            volume_size_gb=training.volume_size_gb,
            max_runtime_seconds=training.max_runtime_seconds,
            max_wait_seconds=training.max_wait_seconds,
            use_spot=training.use_spot,
            hyperparameters=training.hyperparameters,
            cost_tags=config.cost_allocation_tags,
            schedule=training.schedule,
            schedule_enabled=training.schedule_enabled,
            git_sha=git_sha,
            removal_policy=removal_policy,
            log_retention_days=log_retention_days,
        )
        self.registration = ModelRegistration(
            self,
            "RegisterModel",
            code=runtime_code(REPO_ROOT, "register_model", packages=["mlops_contracts", "pipeline_core"]),
            environment_name=config.name,
            models_bucket=models_bucket,
            model_package_group=group,
            alert_topic=topic,
            encryption_key=key,
            min_accuracy=training.min_accuracy,
            min_f1=training.min_f1,
            max_regression=training.max_regression,
            auto_approve=training.auto_approve,
            removal_policy=removal_policy,
            log_retention_days=log_retention_days,
        )
        self.preprocess = self.preprocessing.function
        self.retrain = self.retraining.function
        self.register = self.registration.function

        # --- where the people's CLI finds things (python -m ops_cli --env NAME) ---------------
        published = {
            parameters.TRAINING_IMAGE_URI: self.image.image_uri,
            parameters.TRAINING_ROLE_ARN: self.training_role.role_arn,
            parameters.MODEL_PACKAGE_GROUP: group.group_name,
            parameters.DATA_BUCKET: data_bucket.bucket_name,
            parameters.MODELS_BUCKET: models_bucket.bucket_name,
            parameters.KMS_KEY_ARN: key.key_arn,
            parameters.JOB_NAME_PREFIX: config.job_name_prefix,
            parameters.RETRAIN_FUNCTION_NAME: self.retrain.function_name,
            parameters.ALERT_TOPIC_ARN: topic.topic_arn,
            parameters.COST_TAGS: json.dumps(config.cost_allocation_tags, sort_keys=True),
            parameters.TRAINING_DEFAULTS: json.dumps(
                {name: getattr(training, name) for name in parameters.TRAINING_DEFAULT_FIELDS},
                sort_keys=True,
                default=dict,  # hyperparameters is a Mapping
            ),
        }
        for name, value in published.items():
            ssm.StringParameter(
                self,
                f"Param-{name}",
                parameter_name=parameters.parameter_name(config.name, name),
                string_value=value,
                description=f"{name} of {config.resource_prefix} (read by python -m ops_cli)",
            )


def _bucket_by_name(scope: Construct, construct_id: str, name: str) -> s3.IBucket:
    # ARN from pseudo parameters: identical (and so are the cdk-nag finding ids) with or without a pinned env.
    return s3.Bucket.from_bucket_attributes(
        scope, construct_id, bucket_name=name, bucket_arn=f"arn:{Aws.PARTITION}:s3:::{name}"
    )
