"""One upload under raw/ -> ``processed/<version>/`` (cleaned data + manifest), or a recorded rejection.

Nothing is lost: the upload itself stays in raw/ untouched; every rejected row is in the version's
``rejected.csv``; an upload rejected as a whole gets ``rejected/<key under raw/>.reason.json`` (plus
``.rejected.csv`` when rows were rejected) and an alert.

Replays are harmless: the version name comes from the event time and the data digest, so the same
event writes the same objects again. ``manifest.json`` is written last; training only uses versions
that have one.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

from lambda_functions.common.alerts import publish_alert
from lambda_functions.preprocess import outputs
from lambda_functions.preprocess.cleaning import CleanResult, RejectedEntry, clean
from lambda_functions.preprocess.config import PreprocessConfig
from lambda_functions.preprocess.events import Upload
from model_code.data import DataError, parse_records

# The formats training reads; anything else is rejected before it is parsed.
ACCEPTED_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
PREPROCESSOR_VERSION = "1"


class UploadRejectedError(ValueError):
    """The upload as a whole cannot become a data version."""

    def __init__(self, reason: str, rejected_rows: list[RejectedEntry] | None = None) -> None:
        super().__init__(reason)
        self.rejected_rows = rejected_rows or []


def _read_upload(s3: Any, upload: Upload) -> tuple[str, dict[str, Any], bytes]:
    """(the key that exists, its head, its bytes). EventBridge may carry the key URL-encoded."""
    candidates = [upload.key] + ([unquote_plus(upload.key)] if unquote_plus(upload.key) != upload.key else [])
    for key in candidates:
        try:
            response = s3.get_object(Bucket=upload.bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                continue
            raise
        return key, response, response["Body"].read()
    raise FileNotFoundError(f"s3://{upload.bucket}/{upload.key} no longer exists")


def _check_shape(upload_key: str, size: int, config: PreprocessConfig) -> str:
    suffix = PurePosixPath(upload_key).suffix.lower()
    if suffix not in ACCEPTED_EXTENSIONS:
        expected = ", ".join(sorted(ACCEPTED_EXTENSIONS))
        raise UploadRejectedError(
            f"unsupported file type {suffix or '(no extension)'!r}; expected one of {expected}"
        )
    if size == 0:
        raise UploadRejectedError("empty upload: the object has 0 bytes")
    if size > config.max_input_bytes:
        raise UploadRejectedError(f"upload is {size} bytes, over the {config.max_input_bytes}-byte limit")
    return ACCEPTED_EXTENSIONS[suffix]


def _cleaned(data: bytes, fmt: str, key: str, config: PreprocessConfig) -> CleanResult:
    try:
        read = parse_records(data, fmt=fmt, name=key)
    except DataError as error:
        raise UploadRejectedError(str(error)) from None
    result = clean(read, config.validation_fraction)
    if result.accepted + len(result.rejected) != result.input_rows:  # bookkeeping guard, never expected
        raise RuntimeError(f"row counts do not add up for {key}: {result.accepted} + {len(result.rejected)}")
    if result.accepted == 0:
        raise UploadRejectedError(
            f"no usable rows: all {result.input_rows} rows were rejected", result.rejected
        )
    train_labels = {row.label for row in result.train}
    if train_labels != {0, 1} or not result.validation:
        raise UploadRejectedError(
            f"too few usable rows to train: {len(result.train)} train rows with labels "
            f"{sorted(train_labels)}, {len(result.validation)} validation rows "
            "(need both labels in train and at least one validation row)",
            result.rejected,
        )
    return result


def _relative_key(key: str, config: PreprocessConfig) -> str:
    return key[len(config.raw_prefix) :] if key.startswith(config.raw_prefix) else key


def _reject_upload(
    *,
    s3: Any,
    sns: Any,
    config: PreprocessConfig,
    upload: Upload,
    key: str,
    error: UploadRejectedError,
    sha256: str | None,
) -> dict[str, Any]:
    base = f"{config.rejected_prefix}{_relative_key(key, config)}"
    record: dict[str, Any] = {
        "input": {
            "bucket": upload.bucket,
            "key": key,
            "size": upload.size,
            "etag": upload.etag,
            "sha256": sha256,
        },
        "reason": str(error),
        "event_time": upload.event_time.isoformat(),
        "rejected_rows": len(error.rejected_rows),
    }
    if error.rejected_rows:
        record["rejected_rows_key"] = f"{base}.rejected.csv"
        s3.put_object(
            Bucket=config.data_bucket,
            Key=record["rejected_rows_key"],
            Body=outputs.rejected_csv(error.rejected_rows),
        )
    record["reason_key"] = f"{base}.reason.json"
    s3.put_object(
        Bucket=config.data_bucket,
        Key=record["reason_key"],
        Body=outputs.manifest_json(record),
        ContentType="application/json",
    )
    publish_alert(sns, config.alert_topic_arn, f"Upload rejected: {key}", record)
    return {"status": "rejected", **record}


def process_upload(upload: Upload, config: PreprocessConfig, *, s3: Any, sns: Any) -> dict[str, Any]:
    if (
        upload.bucket != config.data_bucket
        or not upload.key.startswith(config.raw_prefix)
        or upload.key.endswith("/")
    ):
        return {
            "status": "ignored",
            "key": upload.key,
            "detail": f"not a file under s3://{config.data_bucket}/{config.raw_prefix}",
        }

    key, sha256 = upload.key, None
    try:
        _check_shape(upload.key, upload.size, config)
        key, _, data = _read_upload(s3, upload)
        sha256 = outputs.sha256_hex(data)
        fmt = _check_shape(key, len(data), config)  # the object as read is what counts
        result = _cleaned(data, fmt, key, config)
    except UploadRejectedError as error:
        return _reject_upload(
            s3=s3, sns=sns, config=config, upload=upload, key=key, error=error, sha256=sha256
        )

    files = {
        "train.csv": outputs.rows_csv(result.train),
        "validation.csv": outputs.rows_csv(result.validation),
        "rejected.csv": outputs.rejected_csv(result.rejected),
    }
    hashes = {name: outputs.sha256_hex(body) for name, body in files.items()}
    digest = outputs.dataset_digest(hashes)
    version = f"{upload.event_time:%Y%m%dT%H%M%SZ}-{digest[:12]}"
    prefix = f"{config.processed_prefix}{version}/"
    counts = {
        "input_rows": result.input_rows,
        "accepted": result.accepted,
        "rejected": len(result.rejected),
        "train": len(result.train),
        "validation": len(result.validation),
        # Not rows, listed so the file's lines can be accounted for too.
        "header_lines": result.header_lines,
        "blank_lines": result.blank_lines,
    }
    manifest = {
        "version": version,
        "digest": digest,
        "preprocessor_version": PREPROCESSOR_VERSION,
        "input": {
            "bucket": upload.bucket,
            "key": key,
            "size": len(data),
            "etag": upload.etag,
            "sha256": sha256,
        },
        "format": fmt,
        "counts": counts,
        "rejected_by_reason": outputs.rejected_by_reason(result.rejected),
        "validation_fraction": config.validation_fraction,
        "outputs": {
            name: {"key": prefix + name, "sha256": hashes[name], "bytes": len(body)}
            for name, body in files.items()
        },
        "event": {"id": upload.event_id, "time": upload.event_time.isoformat()},
    }
    for name, body in files.items():
        s3.put_object(Bucket=config.data_bucket, Key=prefix + name, Body=body, ContentType="text/csv")
    s3.put_object(
        Bucket=config.data_bucket,
        Key=prefix + "manifest.json",
        Body=outputs.manifest_json(manifest),
        ContentType="application/json",
    )
    return {"status": "processed", "version": version, "prefix": prefix, "counts": counts}
