"""A customer-managed KMS key for everything one environment stores."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# Services that publish to our encrypted SNS topic (alarms, rules, S3 events, budgets) must be able to
# use the key.
PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com")


class PlatformKey(Construct):
    """KMS key with yearly rotation, an alias, and a grant for the services that publish alerts.

    Exposes ``key``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: str,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        pending_window_days: int = 30,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=alias,
            description=f"Encrypts data, models, logs and alerts of {alias}",
            enable_key_rotation=True,
            removal_policy=removal_policy,
            pending_window=Duration.days(pending_window_days),
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlertPublishingServices",
                principals=[iam.ServicePrincipal(service) for service in PUBLISHING_SERVICES],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy "*" means this key
            )
        )
        stack = Stack.of(self)
        # Encrypted Lambda log groups: CloudWatch Logs uses the key on behalf of this account's log groups.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogs",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{stack.partition}:logs:{stack.region}:"
                        f"{stack.account}:log-group:*"
                    }
                },
            )
        )
