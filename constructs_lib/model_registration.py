"""Finished training and tuning jobs -> model packages behind the quality gate."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.job_arns import training_job_arns, tuning_job_arns
from constructs_lib.model_package_group import ModelPackageGroup
from constructs_lib.runtime_function import RuntimeFunction
from constructs_lib.s3_prefix_policy import list_access, object_access
from mlops_contracts import events as contract_events
from mlops_contracts import layout, naming
from mlops_contracts.metrics import REGISTER_MODEL_SERVICE


class ModelRegistration(RuntimeFunction):
    """The registration function, the rules for this environment's finished training and tuning
    jobs, and its permissions. Exposes ``function``, ``role``, ``dead_letter_queue``, ``log_group``,
    ``training_rule`` and ``tuning_rule``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment_name: str,
        models_bucket: s3.IBucket,
        model_package_group: ModelPackageGroup,
        alert_topic: sns.ITopic,
        encryption_key: kms.IKey,
        min_accuracy: float,
        min_f1: float,
        max_regression: float,
        auto_approve: bool = False,
        log_retention_days: int = 90,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            code=code,
            handler=naming.lambda_handler("register_model"),
            description="Registers finished training jobs as model packages behind a quality gate",
            service_name=REGISTER_MODEL_SERVICE,
            encryption_key=encryption_key,
            timeout_seconds=120,
            reserved_concurrency=2,
            removal_policy=removal_policy,
            log_retention_days=log_retention_days,
            environment={
                "ENVIRONMENT_NAME": environment_name,
                "ALERT_TOPIC_ARN": alert_topic.topic_arn,
                "MODEL_PACKAGE_GROUP": model_package_group.group_name,
                "MODELS_BUCKET": models_bucket.bucket_name,
                "MIN_ACCURACY": str(min_accuracy),
                "MIN_F1": str(min_f1),
                "MAX_REGRESSION": str(max_regression),
                "AUTO_APPROVE": str(auto_approve).lower(),
            },
        )
        group = model_package_group
        for statement in (
            iam.PolicyStatement(
                sid="ReadFinishedJobs",
                actions=["sagemaker:DescribeTrainingJob", "sagemaker:DescribeHyperParameterTuningJob"],
                resources=[training_job_arns(environment_name), tuning_job_arns(environment_name)],
            ),
            iam.PolicyStatement(
                sid="RegisterVersions",
                actions=["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:AddTags"],
                resources=[group.group_arn, group.package_arn_pattern],
            ),
            iam.PolicyStatement(
                sid="CompareWithExistingVersions",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[group.package_arn_pattern],
            ),
            iam.PolicyStatement(sid="ListVersions", actions=["sagemaker:ListModelPackages"], resources=["*"]),
            object_access("ReadJobOutputs", models_bucket, [layout.MODEL_OUTPUT_PREFIX], ["s3:GetObject"]),
            # Without ListBucket a missing archive answers 403 (AccessDenied) instead of 404 (NoSuchKey).
            list_access("ListJobOutputs", models_bucket, [layout.MODEL_OUTPUT_PREFIX]),
            object_access(
                "PublishModelMetrics", models_bucket, [layout.MODEL_METRICS_PREFIX], ["s3:PutObject"]
            ),
        ):
            self.function.add_to_role_policy(statement)
        alert_topic.grant_publish(self.function)
        encryption_key.grant(self.function, "kms:Decrypt", "kms:GenerateDataKey*")

        jobs = naming.job_name_prefix(environment_name)
        self.training_rule = events.Rule(
            self,
            "TrainingFinishedRule",
            description="Register or alert when one of this environment's training jobs ends",
            event_pattern=events.EventPattern(
                source=[contract_events.SAGEMAKER_SOURCE],
                detail_type=[contract_events.TRAINING_STATE_CHANGE],
                detail={
                    "TrainingJobName": [{"prefix": jobs}],
                    "TrainingJobStatus": list(contract_events.TERMINAL_TRAINING_STATES),
                },
            ),
            targets=[self.event_target(retry_attempts=4)],
        )
        self.tuning_rule = events.Rule(
            self,
            "TuningFinishedRule",
            description="Register the best training job of a finished hyperparameter tuning job",
            event_pattern=events.EventPattern(
                source=[contract_events.SAGEMAKER_SOURCE],
                detail_type=[contract_events.TUNING_STATE_CHANGE],
                detail={
                    "HyperParameterTuningJobName": [{"prefix": jobs}],
                    "HyperParameterTuningJobStatus": list(contract_events.TERMINAL_TRAINING_STATES),
                },
            ),
            targets=[self.event_target(retry_attempts=4)],
        )
