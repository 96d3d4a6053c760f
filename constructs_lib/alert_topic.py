"""The SNS topic every alarm, failed job and new model version is announced on."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class AlertTopic(Construct):
    """KMS-encrypted, SSL-only SNS topic with optional e-mail subscriptions.

    Publishers need ``kms:GenerateDataKey*``/``kms:Decrypt`` on the key (see ``PlatformKey``).
    ``service_publishers`` (e.g. ``budgets.amazonaws.com``) may publish on behalf of this account only.
    Exposes ``topic``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        display_name: str,
        emails: Sequence[str] = (),
        service_publishers: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=display_name,
            master_key=encryption_key,
            enforce_ssl=True,
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        if service_publishers:
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowServicePublishers",
                    principals=[iam.ServicePrincipal(service) for service in service_publishers],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                )
            )
