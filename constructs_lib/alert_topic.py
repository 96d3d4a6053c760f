"""The SNS topic every alarm, failed job and new model version is announced on."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class AlertTopic(Construct):
    """KMS-encrypted, SSL-only SNS topic with optional e-mail subscriptions.

    Publishers need ``kms:GenerateDataKey*``/``kms:Decrypt`` on the key (see ``PlatformKey``).
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
