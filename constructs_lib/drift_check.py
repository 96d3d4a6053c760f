"""The drift check: a container-image Lambda on an EventBridge schedule with a least-privilege role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Aws, Duration, IgnoreMode, RemovalPolicy
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.runtime_function import event_target, function_support, powertools_environment
from constructs_lib.s3_prefix_policy import list_access, object_access
from mlops_contracts.metrics import DRIFT_CHECK_SERVICE

DOCKERFILE = "lambda_functions/drift_check/Dockerfile"
# The image's build context is the repository root; only these paths are staged into cdk.out (and
# hashed), so editing another function or the model server does not rebuild this image.
MODEL_DRIFT_MODULES = ("__init__.py", "text.py", "capture_records.py", "drift_features.py", "drift_score.py")
ASSET_EXCLUDE = [
    "*",
    "!constraints.txt",
    "!lambda_functions/__init__.py",
    "!lambda_functions/common",
    "!lambda_functions/drift_check",
    "!mlops_contracts",
    "!pipeline_core",
    *(f"!model_code/{module}" for module in MODEL_DRIFT_MODULES),
    "**/__pycache__",
    "**/*.pyc",
]


class DriftCheck(Construct):
    """Reads only the capture and ground-truth prefixes of the data bucket and the training outputs
    (baselines) of the models bucket; describes only this endpoint and its models; writes only its
    state parameter, the retraining events on the default bus and the alert topic.

    Exposes ``function``, ``role``, ``log_group``, ``dead_letter_queue``, ``schedule_rule`` and
    ``state_parameter_name``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repo_root: Path,
        endpoint_name: str,
        data_bucket: s3.IBucket,
        read_prefixes: Sequence[str],
        models_bucket: s3.IBucket,
        baseline_prefix: str,
        model_package_arn_pattern: str,
        alert_topic: sns.ITopic,
        encryption_key: kms.IKey,
        state_parameter_name: str,
        schedule: str,
        environment: Mapping[str, str],
        memory_size: int = 2048,
        timeout_seconds: int = 900,
        log_retention_days: int = 90,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_parameter_name = state_parameter_name
        self.log_group, self.dead_letter_queue, self.role = function_support(
            self,
            service_name=DRIFT_CHECK_SERVICE,
            encryption_key=encryption_key,
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        # x86_64: the image is built wherever `cdk deploy` runs, usually x86; an arm64 build there
        # needs emulation, and for one run an hour the arm64 discount is cents.
        code = lambda_.DockerImageCode.from_image_asset(
            str(repo_root),
            file=DOCKERFILE,
            exclude=ASSET_EXCLUDE,
            ignore_mode=IgnoreMode.DOCKER,
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        self.function = lambda_.DockerImageFunction(
            self,
            "Function",
            code=code,
            architecture=lambda_.Architecture.X86_64,
            role=self.role,
            description="Drift and live accuracy of captured traffic per variant; requests retraining",
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            environment={
                **powertools_environment(DRIFT_CHECK_SERVICE),
                **environment,
                "STATE_PARAMETER": state_parameter_name,
            },
            environment_encryption=encryption_key,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            # One run at a time: the state parameter is read, then written, by a single run.
            reserved_concurrent_executions=1,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=1,
        )
        self.schedule_rule = events.Rule(
            self,
            "Schedule",
            description=f"Drift check of {endpoint_name}",
            schedule=events.Schedule.expression(schedule),
            targets=[
                event_target(self.function, self.dead_letter_queue, retry_attempts=2, max_event_age_hours=6)
            ],
        )

        sagemaker_arn = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        statements = [
            object_access("ReadCaptureAndGroundTruth", data_bucket, read_prefixes, ["s3:GetObject"]),
            list_access("ListCaptureAndGroundTruth", data_bucket, read_prefixes),
            object_access("ReadBaselines", models_bucket, [baseline_prefix], ["s3:GetObject"]),
            iam.PolicyStatement(
                sid="DescribeTheEndpoint",
                actions=["sagemaker:DescribeEndpoint"],
                resources=[f"{sagemaker_arn}:endpoint/{endpoint_name}"],
            ),
            # Endpoint config and model names are chosen at each deployment; both are read-only here.
            iam.PolicyStatement(
                sid="DescribeItsConfigAndModels",
                actions=["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
                resources=[f"{sagemaker_arn}:endpoint-config/*", f"{sagemaker_arn}:model/*"],
            ),
            iam.PolicyStatement(
                sid="DescribeModelPackages",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[model_package_arn_pattern],
            ),
            iam.PolicyStatement(
                sid="KeepState",
                actions=["ssm:GetParameter", "ssm:PutParameter"],
                resources=[
                    f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{state_parameter_name}"
                ],
            ),
            iam.PolicyStatement(
                sid="RequestRetraining",
                actions=["events:PutEvents"],
                resources=[f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:event-bus/default"],
            ),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)
        alert_topic.grant_publish(self.role)
        encryption_key.grant(self.role, "kms:Decrypt", "kms:GenerateDataKey*")
