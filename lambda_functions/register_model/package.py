"""The CreateModelPackage request: image + model data, model metrics, lineage metadata, gate verdict."""

from __future__ import annotations

import hashlib
from typing import Any

from lambda_functions.register_model.quality_gate import GateDecision
from mlops_contracts import content_types
from mlops_contracts.tags import HP_DATA_VERSION, HP_GIT_SHA, HP_TRIGGER_REASON
from pipeline_core import registry

CONTENT_TYPES = list(content_types.INFERENCE_TYPES)
_MAX_DESCRIPTION_CHARS = 1024
_MAX_METADATA_ENTRIES = 50  # SageMaker's limit on CustomerMetadataProperties


def lineage(describe_job: dict[str, Any]) -> dict[str, str]:
    """Git sha, data version and trigger reason, carried by the job's mlops_* hyperparameters."""
    hyperparameters = describe_job.get("HyperParameters", {})
    return {
        "git_sha": hyperparameters.get(HP_GIT_SHA, "unknown"),
        "data_version": hyperparameters.get(HP_DATA_VERSION, "unknown"),
        "trigger_reason": hyperparameters.get(HP_TRIGGER_REASON, "unknown"),
    }


def customer_metadata(
    describe_job: dict[str, Any],
    metrics: dict[str, float],
    validation_sha256: str | None,
    decision: GateDecision,
) -> dict[str, str]:
    origin = lineage(describe_job)
    metadata = {
        registry.META_TRAINING_JOB: describe_job["TrainingJobName"],
        registry.META_GIT_SHA: origin["git_sha"],
        registry.META_DATA_VERSION: origin["data_version"],
        registry.META_TRIGGER_REASON: origin["trigger_reason"],
        registry.META_VALIDATION_SHA256: validation_sha256 or "unknown",
        registry.META_GATE: decision.approval_status,
    }
    metadata.update({f"{registry.METRIC_PREFIX}{name}": f"{value:.6f}" for name, value in metrics.items()})
    model_hyperparameters = {
        key: value
        for key, value in sorted(describe_job.get("HyperParameters", {}).items())
        if not key.startswith(("mlops_", "sagemaker_", "_"))
    }
    for key, value in model_hyperparameters.items():
        if len(metadata) >= _MAX_METADATA_ENTRIES:
            break
        metadata[f"{registry.HYPERPARAMETER_PREFIX}{key}"] = value
    return {
        registry.metadata_value(key)[:128]: registry.metadata_value(value) for key, value in metadata.items()
    }


def client_token(job_name: str) -> str:
    """CreateModelPackage's idempotency token: one package per training job, even for racing deliveries."""
    return hashlib.sha256(job_name.encode("utf-8")).hexdigest()[:32]


def build_model_package_request(
    *,
    group: str,
    describe_job: dict[str, Any],
    metrics: dict[str, float],
    validation_sha256: str | None,
    metrics_s3_uri: str,
    decision: GateDecision,
) -> dict[str, Any]:
    job_name = describe_job["TrainingJobName"]
    origin = lineage(describe_job)
    description = (
        f"Training job {job_name} on data {origin['data_version']} (git {origin['git_sha']}). "
        + decision.description
    )
    return {
        "ModelPackageGroupName": group,
        "ModelPackageDescription": description[:_MAX_DESCRIPTION_CHARS],
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": describe_job["AlgorithmSpecification"]["TrainingImage"],
                    "ModelDataUrl": describe_job["ModelArtifacts"]["S3ModelArtifacts"],
                }
            ],
            "SupportedContentTypes": CONTENT_TYPES,
            "SupportedResponseMIMETypes": CONTENT_TYPES,
        },
        "ModelMetrics": {
            "ModelQuality": {"Statistics": {"ContentType": content_types.JSON, "S3Uri": metrics_s3_uri}}
        },
        "ModelApprovalStatus": decision.approval_status,
        "MetadataProperties": {"CommitId": origin["git_sha"], "GeneratedBy": describe_job["TrainingJobArn"]},
        "CustomerMetadataProperties": customer_metadata(describe_job, metrics, validation_sha256, decision),
        "ClientToken": client_token(job_name),
    }
