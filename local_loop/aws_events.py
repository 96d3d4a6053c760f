"""Events in the shapes AWS delivers them through EventBridge (as documented for S3, SageMaker and
scheduled rules), built from what the stand-in holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from local_loop.standin import ACCOUNT, REGION
from mlops_contracts import events as contract


def _envelope(source: str, detail_type: str, resources: list[str], detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def object_created(bucket: str, key: str, size: int, etag: str, version_id: str | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "key": key,
        "size": size,
        "etag": etag.strip('"'),
        "sequencer": "0062E99A88DC407460",
    }
    if version_id:
        obj["version-id"] = version_id
    return _envelope(
        contract.S3_SOURCE,
        contract.S3_OBJECT_CREATED,
        [f"arn:aws:s3:::{bucket}"],
        {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": "LOCAL",
            "requester": ACCOUNT,
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    )


def scheduled(rule_logical_id: str) -> dict[str, Any]:
    return _envelope(
        contract.SCHEDULER_SOURCE,
        contract.SCHEDULED_EVENT,
        [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_logical_id}"],
        {},
    )


def model_package_state_change(describe: dict[str, Any]) -> dict[str, Any]:
    """The detail of SageMaker's event mirrors DescribeModelPackage."""
    detail = _epoch_millis({key: value for key, value in describe.items() if key != "ResponseMetadata"})
    return _envelope(
        contract.SAGEMAKER_SOURCE, contract.MODEL_PACKAGE_STATE_CHANGE, [describe["ModelPackageArn"]], detail
    )


def _epoch_millis(value: Any) -> Any:
    """Datetimes (at any depth) as epoch milliseconds, the way SageMaker's events carry them."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {key: _epoch_millis(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_epoch_millis(item) for item in value]
    return value


def training_state_change(describe: dict[str, Any]) -> dict[str, Any]:
    """The detail of SageMaker's event mirrors DescribeTrainingJob (times in epoch milliseconds)."""
    detail = {
        key: _epoch_millis(value)
        for key, value in describe.items()
        if key != "ResponseMetadata" and not isinstance(value, bytes)
    }
    return _envelope(
        contract.SAGEMAKER_SOURCE, contract.TRAINING_STATE_CHANGE, [describe["TrainingJobArn"]], detail
    )
