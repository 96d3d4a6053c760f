"""An S3 bucket that is private, versioned, encrypted, SSL-only and logged by default."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


class SecureBucket(Construct):
    """Versioned bucket with all public access blocked and an SSL-only bucket policy.

    With ``encryption_key`` it uses SSE-KMS with an S3 bucket key (fewer KMS calls, lower cost);
    without, SSE-S3, which is what an S3 server access log destination requires.
    With ``removal_policy=DESTROY`` the objects are deleted too, so a dev stack can be torn down.
    Exposes ``bucket``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str | None = None,
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        access_logs_prefix: str | None = None,
        lifecycle_rules: Sequence[s3.LifecycleRule] = (),
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        event_bridge_enabled: bool = False,
        object_ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ) -> None:
        super().__init__(scope, construct_id)
        destroy = removal_policy == RemovalPolicy.DESTROY
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=encryption_key is not None,
            versioned=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=object_ownership,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=access_logs_prefix,
            lifecycle_rules=list(lifecycle_rules),
            removal_policy=removal_policy,
            auto_delete_objects=destroy,
            event_bridge_enabled=event_bridge_enabled,
        )
