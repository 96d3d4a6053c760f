"""``batch-score``: a SageMaker Batch Transform job with an approved model over a data bucket prefix.

Input: CSV (one text per line) or JSON Lines under the data bucket (default prefix batch-input/), the
container's existing formats. Output: the models bucket under batch-transform/<job>/, KMS-encrypted
(output and volume), tagged with the cost-allocation tags. Batch Transform has no spot capacity (only
training jobs do), so the job runs on on-demand instances and stops when the input is scored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mlops_contracts import layout
from mlops_contracts.content_types import CSV, JSON_LINES
from ops_cli.settings import OpsError
from pipeline_core import registry
from pipeline_core.endpoint_config import ServingSpec
from pipeline_core.s3_uri import split_s3_uri

FORMATS = {"csv": CSV, "jsonl": JSON_LINES}
MAX_JOB_NAME_CHARS = 63


def batch_score(
    *,
    sagemaker: Any,
    s3: Any,
    spec: ServingSpec,
    data_bucket: str,
    models_bucket: str,
    model: str,
    input_uri: str | None,
    data_format: str,
    instance_type: str,
    instance_count: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    if data_format not in FORMATS:
        raise OpsError(f"--format must be one of {', '.join(FORMATS)}, got {data_format!r}")
    if instance_count < 1:
        raise OpsError(f"--instance-count must be >= 1, got {instance_count}")
    bucket, prefix = split_s3_uri(input_uri) if input_uri else (data_bucket, layout.BATCH_INPUT_PREFIX)
    if bucket != data_bucket or not prefix.startswith(layout.BATCH_INPUT_PREFIX):
        raise OpsError(
            f"--input must be under s3://{data_bucket}/{layout.BATCH_INPUT_PREFIX} "
            "(the model role reads only there), "
            f"got s3://{bucket}/{prefix}"
        )
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    if not listed.get("Contents"):
        raise OpsError(f"nothing to score: s3://{bucket}/{prefix} is empty")
    arn = registry.resolve_package_arn(sagemaker, spec.model_package_group, model)
    if f":model-package/{spec.model_package_group}/" not in arn:
        raise OpsError(f"{arn} is not in this environment's model package group {spec.model_package_group}")
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    if package.get("ModelApprovalStatus") != "Approved":
        raise OpsError(f"{arn} is {package.get('ModelApprovalStatus')}; only approved models score batches")
    version = package.get("ModelPackageVersion", "x")
    stamp = (now or datetime.now(UTC)).strftime("%y%m%d%H%M%S")
    name = f"{spec.endpoint_name.removesuffix('-endpoint')}-batch-v{version}-{stamp}"[:MAX_JOB_NAME_CHARS]
    tags = [{"Key": key, "Value": value} for key, value in sorted(spec.tags.items())]
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=spec.execution_role_arn,
        Containers=[{"ModelPackageName": arn}],
        EnableNetworkIsolation=True,
        Tags=tags,
    )
    content_type = FORMATS[data_format]
    output = f"s3://{models_bucket}/{layout.BATCH_OUTPUT_PREFIX}{name}/"
    sagemaker.create_transform_job(
        TransformJobName=name,
        ModelName=name,
        BatchStrategy="MultiRecord",
        MaxPayloadInMB=6,
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}"}},
            "ContentType": content_type,
            "SplitType": "Line",
        },
        TransformOutput={
            "S3OutputPath": output,
            "Accept": content_type,
            "AssembleWith": "Line",
            "KmsKeyId": spec.kms_key_arn,
        },
        TransformResources={
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeKmsKeyId": spec.kms_key_arn,
        },
        Tags=tags,
    )
    return {
        "transform_job": name,
        "model_package_arn": arn,
        "input": f"s3://{bucket}/{prefix}",
        "output": output,
    }
