"""Reading S3 ``Object Created`` events delivered by EventBridge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from mlops_contracts.events import S3_OBJECT_CREATED as OBJECT_CREATED
from mlops_contracts.events import S3_SOURCE


class MalformedEventError(ValueError):
    """Not an S3 Object Created event this function understands; retrying cannot help."""


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str  # as the event carries it (see ``keys_to_try`` in process.py for URL-encoded keys)
    size: int
    etag: str
    version_id: str | None  # the version this event is about (versioned buckets); None: the newest
    event_time: datetime
    event_id: str


def parse_upload(event: object) -> Upload:
    if not isinstance(event, dict):
        raise MalformedEventError(f"event must be a JSON object, got {type(event).__name__}")
    if event.get("source") != S3_SOURCE or event.get("detail-type") != OBJECT_CREATED:
        raise MalformedEventError(
            f"unsupported event (source={event.get('source')!r}, detail-type={event.get('detail-type')!r}); "
            "expected an S3 'Object Created' event"
        )
    detail = event.get("detail")
    bucket_info = detail.get("bucket") if isinstance(detail, dict) else None
    bucket = bucket_info.get("name") if isinstance(bucket_info, dict) else None
    obj = detail.get("object") if isinstance(detail, dict) else None
    if not isinstance(bucket, str) or not bucket or not isinstance(obj, dict):
        raise MalformedEventError("event detail must have bucket.name and object")
    key, size, version_id = obj.get("key"), obj.get("size", 0), obj.get("version-id")
    if not isinstance(key, str) or not key:
        raise MalformedEventError("event detail: object.key must be a non-empty string")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise MalformedEventError(f"event detail: object.size must be a non-negative integer, got {size!r}")
    if version_id is not None and (not isinstance(version_id, str) or not version_id):
        raise MalformedEventError(f"event detail: object.version-id must be a string, got {version_id!r}")
    try:
        event_time = datetime.strptime(str(event.get("time")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise MalformedEventError(
            f"event time must look like 2025-01-31T12:00:00Z, got {event.get('time')!r}"
        ) from None
    return Upload(
        bucket=bucket,
        key=key,
        size=size,
        etag=str(obj.get("etag", "")),
        # "null" is how S3 names the version of an object written before versioning was enabled.
        version_id=version_id,
        event_time=event_time,
        event_id=str(event.get("id", "")),
    )
