"""Reading and updating the model registry (a SageMaker model package group).

Shared by the registration Lambda (idempotency, champion lookup), the retrain Lambda (champion
channel) and the CLI (versions, approve, reject). boto3 clients are passed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pipeline_core.tags import sanitize_tag_value

APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")
# CustomerMetadataProperties keys written at registration (lineage and key metrics).
META_TRAINING_JOB = "training_job"
META_GIT_SHA = "git_sha"
META_DATA_VERSION = "data_version"
META_TRIGGER_REASON = "trigger_reason"
META_VALIDATION_SHA256 = "validation_sha256"
META_GATE = "quality_gate"
# The registration alert's SNS message id, set once the alert went out (a retry then skips it).
META_ALERT_ID = "registration_alert"
METRIC_PREFIX = "metric:"
HYPERPARAMETER_PREFIX = "hp:"
_MAX_APPROVAL_DESCRIPTION_CHARS = 1024


class RegistryError(ValueError):
    """A model package the caller named does not exist or cannot be changed as asked."""


def iter_packages(
    sagemaker: Any,
    group: str,
    *,
    approval_status: str | None = None,
    created_after: datetime | None = None,
    newest_first: bool = True,
) -> Iterator[dict[str, Any]]:
    """Model package summaries of the group (all pages)."""
    arguments: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "SortBy": "CreationTime",
        "SortOrder": "Descending" if newest_first else "Ascending",
    }
    if approval_status:
        arguments["ModelApprovalStatus"] = approval_status
    if created_after:
        arguments["CreationTimeAfter"] = created_after
    for page in sagemaker.get_paginator("list_model_packages").paginate(**arguments):
        yield from page.get("ModelPackageSummaryList", [])


def newest_approved_package(sagemaker: Any, group: str) -> dict[str, Any] | None:
    """DescribeModelPackage of the newest Approved package: the champion a candidate must beat."""
    for summary in iter_packages(sagemaker, group, approval_status="Approved"):
        return sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    return None


def model_data_url(package: dict[str, Any]) -> str | None:
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    return containers[0].get("ModelDataUrl") if containers else None


def find_package_for_job(
    sagemaker: Any, group: str, job_name: str, *, created_after: datetime | None = None
) -> dict[str, Any] | None:
    """The package already registered for this training job, if any (replayed events find it here).

    Registration names the job in the description, so only matching summaries are described.
    """
    for summary in iter_packages(sagemaker, group, created_after=created_after):
        if job_name not in summary.get("ModelPackageDescription", ""):
            continue
        package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        if package.get("CustomerMetadataProperties", {}).get(META_TRAINING_JOB) == job_name:
            return package
    return None


def resolve_package_arn(sagemaker: Any, group: str, arn_or_version: str) -> str:
    """Accept a model package ARN or a version number of the group."""
    if arn_or_version.startswith("arn:"):
        return arn_or_version
    if not arn_or_version.isdigit():
        raise RegistryError(f"expected a model package ARN or a version number, got {arn_or_version!r}")
    for summary in iter_packages(sagemaker, group):
        if summary.get("ModelPackageVersion") == int(arn_or_version):
            return summary["ModelPackageArn"]
    raise RegistryError(f"model package group {group!r} has no version {arn_or_version}")


def set_approval(sagemaker: Any, package_arn: str, status: str, description: str) -> dict[str, Any]:
    """Set the approval status with a description; returns the package as it was before."""
    if status not in APPROVAL_STATUSES:
        raise RegistryError(f"approval status must be one of {', '.join(APPROVAL_STATUSES)}, got {status!r}")
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    arguments: dict[str, Any] = {
        "ModelPackageArn": package_arn,
        "ModelApprovalStatus": status,
        "ApprovalDescription": description[:_MAX_APPROVAL_DESCRIPTION_CHARS],
    }
    metadata = package.get("CustomerMetadataProperties")
    if metadata:
        # Sent back unchanged: UpdateModelPackage merges it on AWS; moto replaces it, so both keep it.
        arguments["CustomerMetadataProperties"] = metadata
    sagemaker.update_model_package(**arguments)
    return package


def add_metadata(sagemaker: Any, package: dict[str, Any], updates: dict[str, str]) -> dict[str, Any]:
    """Add CustomerMetadataProperties to a described package; returns the package as updated.

    Status and approval description are sent back as they are: moto replaces every field the request
    leaves out, AWS keeps them, so both end the same.
    """
    metadata = {**package.get("CustomerMetadataProperties", {}), **updates}
    arguments: dict[str, Any] = {
        "ModelPackageArn": package["ModelPackageArn"],
        "CustomerMetadataProperties": metadata,
    }
    if package.get("ModelApprovalStatus"):
        arguments["ModelApprovalStatus"] = package["ModelApprovalStatus"]
    if package.get("ApprovalDescription"):
        arguments["ApprovalDescription"] = package["ApprovalDescription"][:_MAX_APPROVAL_DESCRIPTION_CHARS]
    sagemaker.update_model_package(**arguments)
    return {**package, "CustomerMetadataProperties": metadata}


def metric_values(package: dict[str, Any]) -> dict[str, float]:
    """Key metrics recorded in the package's metadata at registration."""
    values: dict[str, float] = {}
    for key, value in package.get("CustomerMetadataProperties", {}).items():
        if key.startswith(METRIC_PREFIX):
            try:
                values[key[len(METRIC_PREFIX) :]] = float(value)
            except ValueError:
                continue
    return values


def metadata_value(value: object) -> str:
    """A CustomerMetadataProperties value (same character rules as tags)."""
    return sanitize_tag_value(value) or "-"
