"""What a SageMaker execution role needs of the platform key: data keys for S3 objects, and grants
for the instance volumes SageMaker encrypts on its behalf (only for AWS resources)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms


def sagemaker_key_statements(encryption_key: kms.IKey, *, volumes_sid: str) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="UseThePlatformKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources=[encryption_key.key_arn],
        ),
        iam.PolicyStatement(
            sid=volumes_sid,
            actions=["kms:CreateGrant"],
            resources=[encryption_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]
