"""Training pipeline and registry of one environment.

Image, execution role and model package group; the preprocessing, retraining and registration
Lambdas with the EventBridge rules that start them; SSM parameters that the people's CLI reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.model_image import ModelImage
from constructs_lib.model_package_group import ModelPackageGroup
from constructs_lib.runtime_function import RuntimeFunction, runtime_code
from constructs_lib.s3_prefix_policy import list_access, object_access
from constructs_lib.sagemaker_training_role import SageMakerTrainingRole
from mlops_contracts import events as contract_events
from mlops_contracts import layout, naming, parameters
from stacks.storage_stack import StorageStack, bucket_name

REPO_ROOT = Path(__file__).resolve().parents[1]


class TrainingStack(Stack):
    """Exposes ``image``, ``training_role``, ``model_package_group`` and the three functions."""

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

        # Pseudo parameters (not the concrete env) keep ARNs, and so the cdk-nag finding ids, the same
        # whether an environment pins its account or not.
        sagemaker_arn = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        training_job_arns = f"{sagemaker_arn}:training-job/{config.job_name_prefix}*"
        tuning_job_arns = f"{sagemaker_arn}:hyper-parameter-tuning-job/{config.job_name_prefix}*"
        # Names the functions can derive (prefixes, job name prefix) come from mlops_contracts in the
        # function itself; only deployment values and settings from config/ are passed.
        common_env = {
            "ENVIRONMENT_NAME": config.name,
            "ALERT_TOPIC_ARN": topic.topic_arn,
            "MODEL_PACKAGE_GROUP": group.group_name,
        }

        cost_tags = json.dumps(config.cost_allocation_tags, sort_keys=True)
        training_defaults = json.dumps(
            {name: getattr(training, name) for name in parameters.TRAINING_DEFAULT_FIELDS},
            sort_keys=True,
            default=dict,  # hyperparameters is a Mapping
        )

        # --- preprocessing: raw/ uploads -> processed/<version>/ -------------------------------------
        preprocess_runtime = RuntimeFunction(
            self,
            "Preprocess",
            code=runtime_code(REPO_ROOT, "preprocess", model_code_paths=["data.py"]),
            handler="lambda_functions.preprocess.handler.lambda_handler",
            description="Validates and cleans uploads under raw/ into a versioned processed/ data set",
            service_name="preprocess",
            encryption_key=key,
            timeout_seconds=300,
            memory_size=1024,
            # Uploads are rare; a burst of them must not fan out into many large concurrent reads.
            reserved_concurrency=2,
            removal_policy=removal_policy,
            log_retention_days=config.storage.function_log_retention_days,
            environment={
                "ALERT_TOPIC_ARN": topic.topic_arn,
                "DATA_BUCKET": data_bucket.bucket_name,
                "VALIDATION_FRACTION": str(config.preprocessing.validation_fraction),
                "MAX_INPUT_BYTES": str(config.preprocessing.max_upload_bytes),
            },
        )
        self.preprocess = preprocess_runtime.function
        for statement in (
            # GetObjectVersion: the function reads the version the event names, not whatever is newest.
            object_access(
                "ReadRawUploads", data_bucket, [layout.RAW_PREFIX], ["s3:GetObject", "s3:GetObjectVersion"]
            ),
            # Without ListBucket a missing key answers 403 instead of 404.
            list_access("ListRawUploads", data_bucket, [layout.RAW_PREFIX]),
            object_access(
                "WriteCleanedAndRejectedData",
                data_bucket,
                [layout.PROCESSED_PREFIX, layout.REJECTED_PREFIX],
                ["s3:PutObject"],
            ),
        ):
            self.preprocess.add_to_role_policy(statement)
        events.Rule(
            self,
            "RawUploadRule",
            description="Start preprocessing when a file lands under raw/ in the data bucket",
            event_pattern=events.EventPattern(
                source=[contract_events.S3_SOURCE],
                detail_type=[contract_events.S3_OBJECT_CREATED],
                detail={
                    "bucket": {"name": [data_bucket.bucket_name]},
                    "object": {"key": [{"prefix": layout.RAW_PREFIX}]},
                },
            ),
            targets=[preprocess_runtime.event_target(retry_attempts=2)],
        )

        # --- retraining: schedule, drift and by hand -------------------------------------------------
        retrain_runtime = RuntimeFunction(
            self,
            "Retrain",
            code=runtime_code(REPO_ROOT, "retrain", packages=["mlops_contracts", "pipeline_core"]),
            handler="lambda_functions.retrain.handler.lambda_handler",
            description="Starts one SageMaker training job per trigger (schedule, drift or manual)",
            service_name="retrain",
            encryption_key=key,
            # One trigger at a time: the "is a job already running?" check must not race itself.
            reserved_concurrency=1,
            removal_policy=removal_policy,
            log_retention_days=config.storage.function_log_retention_days,
            environment={
                **common_env,
                "TRAINING_IMAGE_URI": self.image.image_uri,
                "TRAINING_ROLE_ARN": self.training_role.role_arn,
                "DATA_BUCKET": data_bucket.bucket_name,
                "MODELS_BUCKET": models_bucket.bucket_name,
                "KMS_KEY_ARN": key.key_arn,
                "INSTANCE_TYPE": training.instance_type,
                "VOLUME_SIZE_GB": str(training.volume_size_gb),
                "MAX_RUNTIME_SECONDS": str(training.max_runtime_seconds),
                "MAX_WAIT_SECONDS": str(training.max_wait_seconds),
                "USE_SPOT": str(training.use_spot).lower(),
                "HYPERPARAMETERS": json.dumps(dict(training.hyperparameters), sort_keys=True),
                "GIT_SHA": git_sha,
                "COST_TAGS": cost_tags,
            },
        )
        self.retrain = retrain_runtime.function
        self.retrain.add_to_role_policy(
            iam.PolicyStatement(
                sid="StartAndTagTrainingJobs",
                actions=["sagemaker:CreateTrainingJob", "sagemaker:AddTags", "sagemaker:DescribeTrainingJob"],
                resources=[training_job_arns],
            )
        )
        # ListTrainingJobs and ListModelPackages have no resource-level permissions.
        self.retrain.add_to_role_policy(
            iam.PolicyStatement(
                sid="FindRunningJobsAndChampion",
                actions=["sagemaker:ListTrainingJobs", "sagemaker:ListModelPackages"],
                resources=["*"],
            )
        )
        self.retrain.add_to_role_policy(
            iam.PolicyStatement(
                sid="ReadChampionPackage",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[group.package_arn_pattern],
            )
        )
        self.retrain.add_to_role_policy(
            list_access("FindNewestDataVersion", data_bucket, [layout.PROCESSED_PREFIX])
        )
        self.retrain.add_to_role_policy(
            object_access("ReadDataManifests", data_bucket, [layout.PROCESSED_PREFIX], ["s3:GetObject"])
        )
        self.retrain.add_to_role_policy(
            iam.PolicyStatement(
                sid="HandTheTrainingRoleToSageMaker",
                actions=["iam:PassRole"],
                resources=[self.training_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        # SageMaker creates grants on the platform key for the job's volume and outputs; only grants
        # for an AWS resource, never one a person could use directly.
        self.retrain.add_to_role_policy(
            iam.PolicyStatement(
                sid="DescribePlatformKey", actions=["kms:DescribeKey"], resources=[key.key_arn]
            )
        )
        self.retrain.add_to_role_policy(
            iam.PolicyStatement(
                sid="LetSageMakerUseThePlatformKey",
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )

        schedule = events.Rule(
            self,
            "RetrainSchedule",
            description=f"Scheduled retraining of {config.name}",
            schedule=events.Schedule.expression(training.schedule),
            enabled=training.schedule_enabled,
        )
        schedule.add_target(retrain_runtime.event_target(retry_attempts=2))
        events.Rule(
            self,
            "RetrainOnDrift",
            description="Retrain when the drift check reports drift in this environment",
            event_pattern=events.EventPattern(
                source=[contract_events.EVENT_SOURCE],
                detail_type=[contract_events.DRIFT_DETAIL_TYPE],
                detail={"environment": [config.name]},
            ),
            targets=[retrain_runtime.event_target(retry_attempts=2)],
        )

        # --- registration: finished jobs -> model package (gated) -----------------------------------
        register_runtime = RuntimeFunction(
            self,
            "RegisterModel",
            code=runtime_code(REPO_ROOT, "register_model", packages=["mlops_contracts", "pipeline_core"]),
            handler="lambda_functions.register_model.handler.lambda_handler",
            description="Registers finished training jobs as model packages behind a quality gate",
            service_name="register-model",
            encryption_key=key,
            timeout_seconds=120,
            reserved_concurrency=2,
            removal_policy=removal_policy,
            log_retention_days=config.storage.function_log_retention_days,
            environment={
                **common_env,
                "MODELS_BUCKET": models_bucket.bucket_name,
                "MIN_ACCURACY": str(training.min_accuracy),
                "MIN_F1": str(training.min_f1),
                "MAX_REGRESSION": str(training.max_regression),
                "AUTO_APPROVE": str(training.auto_approve).lower(),
            },
        )
        self.register = register_runtime.function
        self.register.add_to_role_policy(
            iam.PolicyStatement(
                sid="ReadFinishedJobs",
                actions=["sagemaker:DescribeTrainingJob", "sagemaker:DescribeHyperParameterTuningJob"],
                resources=[training_job_arns, tuning_job_arns],
            )
        )
        self.register.add_to_role_policy(
            iam.PolicyStatement(
                sid="RegisterVersions",
                actions=["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:AddTags"],
                resources=[group.group_arn, group.package_arn_pattern],
            )
        )
        self.register.add_to_role_policy(
            iam.PolicyStatement(
                sid="CompareWithExistingVersions",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[group.package_arn_pattern],
            )
        )
        self.register.add_to_role_policy(
            iam.PolicyStatement(sid="ListVersions", actions=["sagemaker:ListModelPackages"], resources=["*"])
        )
        self.register.add_to_role_policy(
            object_access("ReadJobOutputs", models_bucket, [layout.MODEL_OUTPUT_PREFIX], ["s3:GetObject"])
        )
        # Without ListBucket a missing archive answers 403 (AccessDenied) instead of 404 (NoSuchKey).
        self.register.add_to_role_policy(
            list_access("ListJobOutputs", models_bucket, [layout.MODEL_OUTPUT_PREFIX])
        )
        self.register.add_to_role_policy(
            object_access(
                "PublishModelMetrics", models_bucket, [layout.MODEL_METRICS_PREFIX], ["s3:PutObject"]
            )
        )
        events.Rule(
            self,
            "TrainingFinishedRule",
            description="Register or alert when one of this environment's training jobs ends",
            event_pattern=events.EventPattern(
                source=[contract_events.SAGEMAKER_SOURCE],
                detail_type=[contract_events.TRAINING_STATE_CHANGE],
                detail={
                    "TrainingJobName": [{"prefix": config.job_name_prefix}],
                    "TrainingJobStatus": list(contract_events.TERMINAL_TRAINING_STATES),
                },
            ),
            targets=[register_runtime.event_target(retry_attempts=4)],
        )
        events.Rule(
            self,
            "TuningFinishedRule",
            description="Register the best training job of a finished hyperparameter tuning job",
            event_pattern=events.EventPattern(
                source=[contract_events.SAGEMAKER_SOURCE],
                detail_type=[contract_events.TUNING_STATE_CHANGE],
                detail={
                    "HyperParameterTuningJobName": [{"prefix": config.job_name_prefix}],
                    "HyperParameterTuningJobStatus": list(contract_events.TERMINAL_TRAINING_STATES),
                },
            ),
            targets=[register_runtime.event_target(retry_attempts=4)],
        )

        # --- shared grants ----------------------------------------------------------------------------
        for function in (self.preprocess, self.retrain, self.register):
            topic.grant_publish(function)
            key.grant(function, "kms:Decrypt", "kms:GenerateDataKey*")

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
            parameters.COST_TAGS: cost_tags,
            parameters.TRAINING_DEFAULTS: training_defaults,
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
