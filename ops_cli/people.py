"""``retrain``, ``versions``, ``approve``, ``reject``: what a person does with the pipeline and registry."""

from __future__ import annotations

import getpass
import json
import uuid
from typing import Any

from mlops_contracts import parameters
from ops_cli.settings import OpsError
from pipeline_core import registry

VERSION_COLUMNS = ("version", "approval", "created", "accuracy", "f1", "data_version", "training_job")


def invoke_retrain(
    lambda_client: Any, settings: dict[str, str], reason: str, requested_by: str | None
) -> dict[str, Any]:
    # request_id makes the Lambda name the job after this request: a CLI retry cannot start two jobs.
    payload = {
        "reason": reason,
        "requested_by": requested_by or getpass.getuser(),
        "request_id": str(uuid.uuid4()),
    }
    response = lambda_client.invoke(
        FunctionName=settings[parameters.RETRAIN_FUNCTION_NAME],
        InvocationType="RequestResponse",
        Payload=json.dumps(payload).encode("utf-8"),
    )
    body = response["Payload"].read()
    if response.get("FunctionError"):
        raise OpsError(f"retrain function failed: {body.decode('utf-8', 'replace')[:500]}")
    result = json.loads(body or b"{}")
    if result.get("status") == "rejected":
        raise OpsError(f"retrain function rejected the request: {result.get('reason')}")
    return result


def list_versions(sagemaker: Any, settings: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for summary in registry.iter_packages(sagemaker, settings[parameters.MODEL_PACKAGE_GROUP]):
        package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        metadata = package.get("CustomerMetadataProperties", {})
        metrics = registry.metric_values(package)
        rows.append(
            {
                "version": package.get("ModelPackageVersion"),
                "approval": package.get("ModelApprovalStatus"),
                "created": str(package.get("CreationTime", ""))[:19],
                "accuracy": metrics.get("accuracy"),
                "f1": metrics.get("f1"),
                "data_version": metadata.get(registry.META_DATA_VERSION),
                "training_job": metadata.get(registry.META_TRAINING_JOB),
                "approval_description": package.get("ApprovalDescription"),
                "arn": package["ModelPackageArn"],
            }
        )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    def cell(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float) else ("-" if value is None else str(value))

    table = [list(VERSION_COLUMNS)] + [[cell(row[column]) for column in VERSION_COLUMNS] for row in rows]
    widths = [max(len(line[index]) for line in table) for index in range(len(VERSION_COLUMNS))]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )


def change_approval(
    sagemaker: Any, settings: dict[str, str], target: str, status: str, comment: str, *, force: bool = False
) -> dict[str, Any]:
    if not comment.strip():
        raise OpsError("--comment must say why (it is stored as the approval description)")
    arn = registry.resolve_package_arn(sagemaker, settings[parameters.MODEL_PACKAGE_GROUP], target)
    current = sagemaker.describe_model_package(ModelPackageName=arn)
    gate = current.get("CustomerMetadataProperties", {}).get(registry.META_GATE)
    if status == "Approved" and gate == "Rejected" and not force:
        raise OpsError(
            f"{arn} was rejected by the quality gate ({current.get('ApprovalDescription', '')}); add --force"
        )
    who = getpass.getuser()
    registry.set_approval(sagemaker, arn, status, f"{status} by {who}: {comment.strip()}")
    return {"model_package_arn": arn, "previous": current.get("ModelApprovalStatus"), "approval": status}
