"""Least-privilege execution role for SageMaker training jobs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.s3_prefix_policy import list_access, object_access
from constructs_lib.sagemaker_key_policy import sagemaker_key_statements


class SageMakerTrainingRole(Construct):
    """Reads training data under ``read_prefixes`` of the data bucket, reads and writes model artifacts
    and checkpoints under ``artifact_prefixes`` of the models bucket, uses the key, writes its own logs
    and metrics. Image pull (including the registry-wide ECR login) is granted by whoever owns the
    image (``ModelImage.grant_pull``).
    Exposes ``role``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_bucket: s3.IBucket,
        read_prefixes: Sequence[str],
        models_bucket: s3.IBucket,
        artifact_prefixes: Sequence[str],
        encryption_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Execution role of the sentiment model's SageMaker training jobs",
        )
        statements = [
            object_access("ReadTrainingData", data_bucket, read_prefixes, ["s3:GetObject"]),
            list_access("ListTrainingData", data_bucket, read_prefixes),
            object_access(
                "ReadWriteArtifactsAndCheckpoints",
                models_bucket,
                artifact_prefixes,
                ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
            ),
            list_access("ListArtifactsAndCheckpoints", models_bucket, artifact_prefixes),
            *sagemaker_key_statements(encryption_key, volumes_sid="EncryptTrainingVolumes"),
            iam.PolicyStatement(
                sid="WriteTrainingLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=[
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/TrainingJobs:*"
                ],
            ),
            # PutMetricData has no resource-level permissions; the namespace condition scopes it.
            iam.PolicyStatement(
                sid="PublishTrainingMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/TrainingJobs", "aws/sagemaker/*"]}
                },
            ),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)
