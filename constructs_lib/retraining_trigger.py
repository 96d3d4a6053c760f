"""Schedule, drift events and people -> at most one SageMaker training job at a time."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.job_arns import training_job_arns
from constructs_lib.model_package_group import ModelPackageGroup
from constructs_lib.runtime_function import RuntimeFunction
from constructs_lib.s3_prefix_policy import list_access, object_access
from mlops_contracts import events as contract_events
from mlops_contracts import layout, naming
from mlops_contracts.metrics import RETRAIN_SERVICE


class RetrainingTrigger(RuntimeFunction):
    """The retrain function, its schedule and drift rules, and its permissions (start jobs with the
    training role, read data versions and the champion). Exposes ``function``, ``role``,
    ``dead_letter_queue``, ``log_group``, ``schedule_rule`` and ``drift_rule``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment_name: str,
        training_image_uri: str,
        training_role: iam.IRole,
        data_bucket: s3.IBucket,
        models_bucket: s3.IBucket,
        model_package_group: ModelPackageGroup,
        alert_topic: sns.ITopic,
        encryption_key: kms.IKey,
        instance_type: str,
        volume_size_gb: int,
        max_runtime_seconds: int,
        max_wait_seconds: int,
        use_spot: bool,
        hyperparameters: Mapping[str, str],
        cost_tags: Mapping[str, str],
        schedule: str,
        schedule_enabled: bool = True,
        git_sha: str = "unknown",
        log_retention_days: int = 90,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            code=code,
            handler=naming.lambda_handler("retrain"),
            description="Starts one SageMaker training job per trigger (schedule, drift or manual)",
            service_name=RETRAIN_SERVICE,
            encryption_key=encryption_key,
            # One trigger at a time: the "is a job already running?" check must not race itself.
            reserved_concurrency=1,
            removal_policy=removal_policy,
            log_retention_days=log_retention_days,
            environment={
                "ENVIRONMENT_NAME": environment_name,
                "ALERT_TOPIC_ARN": alert_topic.topic_arn,
                "MODEL_PACKAGE_GROUP": model_package_group.group_name,
                "TRAINING_IMAGE_URI": training_image_uri,
                "TRAINING_ROLE_ARN": training_role.role_arn,
                "DATA_BUCKET": data_bucket.bucket_name,
                "MODELS_BUCKET": models_bucket.bucket_name,
                "KMS_KEY_ARN": encryption_key.key_arn,
                "INSTANCE_TYPE": instance_type,
                "VOLUME_SIZE_GB": str(volume_size_gb),
                "MAX_RUNTIME_SECONDS": str(max_runtime_seconds),
                "MAX_WAIT_SECONDS": str(max_wait_seconds),
                "USE_SPOT": str(use_spot).lower(),
                "HYPERPARAMETERS": json.dumps(dict(hyperparameters), sort_keys=True),
                "GIT_SHA": git_sha,
                "COST_TAGS": json.dumps(dict(cost_tags), sort_keys=True),
            },
        )
        function = self.function
        for statement in (
            iam.PolicyStatement(
                sid="StartAndTagTrainingJobs",
                actions=["sagemaker:CreateTrainingJob", "sagemaker:AddTags", "sagemaker:DescribeTrainingJob"],
                resources=[training_job_arns(environment_name)],
            ),
            # ListTrainingJobs and ListModelPackages have no resource-level permissions.
            iam.PolicyStatement(
                sid="FindRunningJobsAndChampion",
                actions=["sagemaker:ListTrainingJobs", "sagemaker:ListModelPackages"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="ReadChampionPackage",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[model_package_group.package_arn_pattern],
            ),
            list_access("FindNewestDataVersion", data_bucket, [layout.PROCESSED_PREFIX]),
            object_access("ReadDataManifests", data_bucket, [layout.PROCESSED_PREFIX], ["s3:GetObject"]),
            iam.PolicyStatement(
                sid="HandTheTrainingRoleToSageMaker",
                actions=["iam:PassRole"],
                resources=[training_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            # SageMaker creates grants on the platform key for the job's volume and outputs; only
            # grants for an AWS resource, never one a person could use directly.
            iam.PolicyStatement(
                sid="DescribePlatformKey", actions=["kms:DescribeKey"], resources=[encryption_key.key_arn]
            ),
            iam.PolicyStatement(
                sid="LetSageMakerUseThePlatformKey",
                actions=["kms:CreateGrant"],
                resources=[encryption_key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ):
            function.add_to_role_policy(statement)
        alert_topic.grant_publish(function)
        encryption_key.grant(function, "kms:Decrypt", "kms:GenerateDataKey*")

        self.schedule_rule = events.Rule(
            self,
            "RetrainSchedule",
            description=f"Scheduled retraining of {environment_name}",
            schedule=events.Schedule.expression(schedule),
            enabled=schedule_enabled,
            targets=[self.event_target(retry_attempts=2)],
        )
        self.drift_rule = events.Rule(
            self,
            "RetrainOnDrift",
            description="Retrain when the drift check reports drift in this environment",
            event_pattern=events.EventPattern(
                source=[contract_events.EVENT_SOURCE],
                detail_type=[contract_events.DRIFT_DETAIL_TYPE],
                detail={"environment": [environment_name]},
            ),
            targets=[self.event_target(retry_attempts=2)],
        )
