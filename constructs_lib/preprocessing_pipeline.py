"""Uploads under raw/ in the data bucket -> a versioned, cleaned data set under processed/."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.runtime_function import RuntimeFunction
from constructs_lib.s3_prefix_policy import list_access, object_access
from mlops_contracts import events as contract_events
from mlops_contracts import layout, naming
from mlops_contracts.metrics import PREPROCESS_SERVICE


class PreprocessingPipeline(RuntimeFunction):
    """The preprocessing function, the rule that starts it on every upload under ``raw/`` and its
    permissions. Exposes ``function``, ``role``, ``dead_letter_queue``, ``log_group`` and ``rule``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        data_bucket: s3.IBucket,
        alert_topic: sns.ITopic,
        encryption_key: kms.IKey,
        max_upload_bytes: int,
        validation_fraction: float,
        memory_size: int = 1024,
        # Measured (benchmarks/README.md, preprocessing memory): about 0.44 CPU-seconds and 1.9 MB of
        # /tmp per input MB, so the largest allowed upload needs minutes and more than the default /tmp.
        timeout_seconds: int = 900,
        ephemeral_storage_mb: int = 1024,
        # Uploads are rare; a burst of them must not fan out into many large concurrent reads.
        reserved_concurrency: int = 2,
        log_retention_days: int = 90,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            code=code,
            handler=naming.lambda_handler("preprocess"),
            description="Validates and cleans uploads under raw/ into a versioned processed/ data set",
            service_name=PREPROCESS_SERVICE,
            encryption_key=encryption_key,
            timeout_seconds=timeout_seconds,
            memory_size=memory_size,
            ephemeral_storage_mb=ephemeral_storage_mb,
            reserved_concurrency=reserved_concurrency,
            removal_policy=removal_policy,
            log_retention_days=log_retention_days,
            environment={
                "ALERT_TOPIC_ARN": alert_topic.topic_arn,
                "DATA_BUCKET": data_bucket.bucket_name,
                "VALIDATION_FRACTION": str(validation_fraction),
                "MAX_INPUT_BYTES": str(max_upload_bytes),
            },
        )
        for statement in (
            # GetObjectVersion: the function reads the version the event names, not whatever is newest.
            object_access(
                "ReadRawUploads", data_bucket, [layout.RAW_PREFIX], ["s3:GetObject", "s3:GetObjectVersion"]
            ),
            # Without ListBucket a missing key answers 403 instead of 404.
            list_access("ListRawUploads", data_bucket, [layout.RAW_PREFIX]),
            object_access(
                "WriteCleanedAndRejectedData",
                data_bucket,
                [layout.PROCESSED_PREFIX, layout.REJECTED_PREFIX],
                # Outputs are uploaded in parts; a failed upload aborts its parts instead of leaving them.
                ["s3:PutObject", "s3:AbortMultipartUpload"],
            ),
        ):
            self.function.add_to_role_policy(statement)
        alert_topic.grant_publish(self.function)
        encryption_key.grant(self.function, "kms:Decrypt", "kms:GenerateDataKey*")
        self.rule = events.Rule(
            self,
            "RawUploadRule",
            description="Start preprocessing when a file lands under raw/ in the data bucket",
            event_pattern=events.EventPattern(
                source=[contract_events.S3_SOURCE],
                detail_type=[contract_events.S3_OBJECT_CREATED],
                detail={
                    "bucket": {"name": [data_bucket.bucket_name]},
                    "object": {"key": [{"prefix": layout.RAW_PREFIX}]},
                },
            ),
            targets=[self.event_target(retry_attempts=2)],
        )
