"""Storage layer of one environment: the key, the data/models/logs buckets and the alert topic."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.alert_topic import AlertTopic
from constructs_lib.platform_key import PlatformKey
from constructs_lib.secure_bucket import SecureBucket
from constructs_lib.storage_lifecycle import archive_rule, expiry_rules, housekeeping_rule
from mlops_contracts import naming
from mlops_contracts.layout import INTERMEDIATE_PREFIXES, RAW_PREFIX


def bucket_name(config: EnvironmentConfig, purpose: str) -> str:
    """Deterministic bucket names (unique per account and region) let other stacks build ARNs from
    the name instead of importing exports, and make IAM policies readable."""
    return naming.bucket_name(config.name, purpose, Aws.ACCOUNT_ID, Aws.REGION)


class StorageStack(Stack):
    """Exposes ``key``, ``data_bucket``, ``models_bucket``, ``logs_bucket`` and ``alert_topic``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = config.storage
        removal_policy = RemovalPolicy.RETAIN if storage.retain_data else RemovalPolicy.DESTROY
        housekeeping = housekeeping_rule(
            noncurrent_version_expiry_days=storage.noncurrent_version_expiry_days
        )
        intermediate = expiry_rules(
            prefixes=INTERMEDIATE_PREFIXES, after_days=storage.intermediate_artifact_expiry_days
        )

        self.key = PlatformKey(
            self,
            "PlatformKey",
            alias=f"alias/{config.resource_prefix}",
            removal_policy=removal_policy,
            pending_window_days=30 if storage.retain_data else 7,
        ).key

        # S3 server access logging cannot deliver to an SSE-KMS bucket, so the logs bucket uses SSE-S3.
        self.logs_bucket = SecureBucket(
            self,
            "LogsBucket",
            bucket_name=bucket_name(config, "logs"),
            lifecycle_rules=[
                housekeeping,
                *expiry_rules(prefixes=[""], after_days=storage.log_retention_days),
            ],
            removal_policy=removal_policy,
        ).bucket

        self.data_bucket = SecureBucket(
            self,
            "DataBucket",
            bucket_name=bucket_name(config, "data"),
            encryption_key=self.key,
            access_logs_bucket=self.logs_bucket,
            access_logs_prefix="s3-access/data/",
            lifecycle_rules=[
                housekeeping,
                archive_rule(prefix=RAW_PREFIX, after_days=storage.raw_data_to_glacier_after_days),
                *intermediate,
            ],
            removal_policy=removal_policy,
            # Uploads under raw/ start preprocessing through EventBridge (no cross-stack notification cycle).
            event_bridge_enabled=True,
        ).bucket

        self.models_bucket = SecureBucket(
            self,
            "ModelsBucket",
            bucket_name=bucket_name(config, "models"),
            encryption_key=self.key,
            access_logs_bucket=self.logs_bucket,
            access_logs_prefix="s3-access/models/",
            lifecycle_rules=[housekeeping, *intermediate],
            removal_policy=removal_policy,
        ).bucket

        self.alert_topic = AlertTopic(
            self,
            "AlertTopic",
            encryption_key=self.key,
            display_name=f"{config.resource_prefix} alerts",
            emails=config.alerts.emails,
            # The daily cost budget (monitoring stack) notifies this topic.
            service_publishers=["budgets.amazonaws.com"],
        ).topic
