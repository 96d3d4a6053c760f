"""Reading "SageMaker Model Package State Change" events (EventBridge)."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_contracts.events import MODEL_PACKAGE_STATE_CHANGE, SAGEMAKER_SOURCE


class MalformedEventError(ValueError):
    """Not a model package state change this function understands; retrying cannot help."""


@dataclass(frozen=True)
class PackageStateChange:
    group: str
    package_arn: str
    version: int | None
    approval: str
    event_id: str


def parse_package_change(event: object) -> PackageStateChange:
    if not isinstance(event, dict):
        raise MalformedEventError(f"event must be a JSON object, got {type(event).__name__}")
    if event.get("source") != SAGEMAKER_SOURCE or event.get("detail-type") != MODEL_PACKAGE_STATE_CHANGE:
        raise MalformedEventError(
            f"unsupported event (source={event.get('source')!r}, detail-type={event.get('detail-type')!r}); "
            f"expected a {MODEL_PACKAGE_STATE_CHANGE}"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise MalformedEventError("event 'detail' must be an object")
    values = {}
    for key in ("ModelPackageGroupName", "ModelPackageArn", "ModelApprovalStatus"):
        value = detail.get(key)
        if not isinstance(value, str) or not value:
            raise MalformedEventError(f"event detail: '{key}' must be a non-empty string")
        values[key] = value
    version = detail.get("ModelPackageVersion")
    return PackageStateChange(
        group=values["ModelPackageGroupName"],
        package_arn=values["ModelPackageArn"],
        version=version if isinstance(version, int) else None,
        approval=values["ModelApprovalStatus"],
        event_id=str(event.get("id", "")),
    )
