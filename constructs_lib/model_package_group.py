"""A SageMaker model package group: the versioned registry of one environment's model."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct


class ModelPackageGroup(Construct):
    """Exposes ``group_name``, ``group_arn`` and ``package_arn_pattern`` (the versions inside it)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group_name: str,
        description: str,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.resource = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=group_name,
            model_package_group_description=description,
        )
        self.resource.apply_removal_policy(removal_policy)
        self.group_name = group_name
        self.group_arn = self.resource.attr_model_package_group_arn
        self.package_arn_pattern = (
            f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:model-package/{group_name}/*"
        )
