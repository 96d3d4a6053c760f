"""Least-privilege execution role for the models behind the endpoint and for batch transform jobs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.s3_prefix_policy import list_access, object_access
from constructs_lib.sagemaker_key_policy import sagemaker_key_statements


class SageMakerModelRole(Construct):
    """Reads model artifacts under ``model_prefixes`` of the models bucket; writes data capture under
    ``capture_prefix`` of the data bucket; batch transform reads ``batch_input_prefix`` (data bucket) and
    writes ``batch_output_prefix`` (models bucket); uses the key; writes its own logs and metrics.
    Image pull is granted by the image's owner (``ModelImage.grant_pull``). Exposes ``role``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_bucket: s3.IBucket,
        models_bucket: s3.IBucket,
        model_prefixes: Sequence[str],
        capture_prefix: str,
        batch_input_prefix: str,
        batch_output_prefix: str,
        encryption_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Execution role of the sentiment model's endpoint variants and batch transform jobs",
        )
        log_groups = [
            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/*",
            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/TransformJobs:*",
        ]
        statements = [
            object_access("ReadModelArtifacts", models_bucket, model_prefixes, ["s3:GetObject"]),
            object_access("WriteDataCapture", data_bucket, [capture_prefix], ["s3:PutObject"]),
            object_access("ReadBatchInput", data_bucket, [batch_input_prefix], ["s3:GetObject"]),
            list_access("ListBatchInput", data_bucket, [batch_input_prefix]),
            object_access(
                "WriteBatchOutput",
                models_bucket,
                [batch_output_prefix],
                ["s3:PutObject", "s3:AbortMultipartUpload"],
            ),
            *sagemaker_key_statements(encryption_key, volumes_sid="EncryptInstanceVolumes"),
            iam.PolicyStatement(
                sid="WriteModelLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=log_groups,
            ),
            # PutMetricData has no resource-level permissions; the namespace condition scopes it.
            iam.PolicyStatement(
                sid="PublishModelMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
            ),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)
