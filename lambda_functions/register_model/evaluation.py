"""Reading ``evaluation.json`` from a training job's ``output.tar.gz`` (see docs/contracts.md)."""

from __future__ import annotations

import io
import json
import math
import tarfile
from pathlib import PurePosixPath
from typing import Any

from botocore.exceptions import ClientError

from mlops_contracts import layout
from mlops_contracts import metrics as contract_metrics
from pipeline_core.s3_uri import join_s3_uri, split_s3_uri

EVALUATION_NAME = layout.EVALUATION_FILE
KEY_METRICS = contract_metrics.VALIDATION_METRICS
# output.tar.gz holds two small JSON files; anything far larger is not what train writes.
_MAX_OUTPUT_BYTES = 64 * 1024 * 1024
_MAX_EVALUATION_BYTES = 8 * 1024 * 1024
_NOT_FOUND = ("404", "NoSuchKey", "NotFound")
# Without s3:ListBucket, S3 answers a missing key with 403; with it, 403 means the function may not
# read an archive that should exist. Either way retrying cannot help: the job cannot be registered.
_FORBIDDEN = ("403", "AccessDenied", "Forbidden")


class EvaluationError(ValueError):
    """The job's output has no usable evaluation; the job cannot be registered."""


def output_archive_uri(describe_job: dict[str, Any]) -> str:
    """``<S3OutputPath>/<job>/output/output.tar.gz``, where SageMaker uploads /opt/ml/output/data."""
    output_path = describe_job["OutputDataConfig"]["S3OutputPath"]
    return join_s3_uri(
        *split_s3_uri(output_path), describe_job["TrainingJobName"], "output", layout.OUTPUT_ARCHIVE
    )


def evaluation_from_archive(archive: bytes) -> tuple[dict[str, Any], bytes]:
    """The parsed evaluation and its exact bytes (copied as the package's model-quality statistics)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            for member in tar.getmembers():
                if member.isfile() and PurePosixPath(member.name).name == EVALUATION_NAME:
                    if member.size > _MAX_EVALUATION_BYTES:
                        raise EvaluationError(f"{EVALUATION_NAME} is {member.size} bytes; too large")
                    handle = tar.extractfile(member)
                    raw = handle.read() if handle else b""
                    break
            else:
                raise EvaluationError(f"{layout.OUTPUT_ARCHIVE} has no {EVALUATION_NAME}")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise EvaluationError(f"{layout.OUTPUT_ARCHIVE} is not a readable archive: {error}") from None
    try:
        evaluation = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise EvaluationError(f"{EVALUATION_NAME} is not valid JSON: {error}") from None
    if not isinstance(evaluation, dict):
        raise EvaluationError(f"{EVALUATION_NAME} must hold a JSON object")
    return evaluation, raw


def _archive_error(error: ClientError, bucket: str, key: str) -> EvaluationError | None:
    code = error.response["Error"]["Code"]
    if code in _NOT_FOUND:
        return EvaluationError(f"no output archive at s3://{bucket}/{key}")
    if code in _FORBIDDEN:
        return EvaluationError(
            f"no readable output archive at s3://{bucket}/{key} ({code}: it does not exist, or this "
            "function is not allowed to read it)"
        )
    return None  # throttling, a server error ...: worth a retry


def read_evaluation(s3: Any, describe_job: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    bucket, key = split_s3_uri(output_archive_uri(describe_job))
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if head["ContentLength"] > _MAX_OUTPUT_BYTES:
            raise EvaluationError(
                f"s3://{bucket}/{key} is {head['ContentLength']} bytes; expected a small archive"
            )
        archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        problem = _archive_error(error, bucket, key)
        if problem is None:
            raise
        raise problem from None
    return evaluation_from_archive(archive)


def metric_block(block: object, where: str) -> dict[str, float]:
    """``{"accuracy": 0.86, ...}`` from a ``binary_classification_metrics`` block; every key metric needed."""
    if not isinstance(block, dict):
        raise EvaluationError(f"{where} must be an object of metrics")
    values: dict[str, float] = {}
    for name in KEY_METRICS:
        entry = block.get(name)
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise EvaluationError(f"{where}.{name}.value must be a finite number, got {value!r}")
        values[name] = float(value)
    return values


def candidate_metrics(evaluation: dict[str, Any]) -> dict[str, float]:
    return metric_block(evaluation.get("binary_classification_metrics"), "binary_classification_metrics")


def champion_metrics(evaluation: dict[str, Any]) -> dict[str, float] | None:
    """The approved model's metrics on the same validation rows, when train got a champion channel."""
    champion = evaluation.get("champion")
    if champion is None:
        return None
    if isinstance(champion, dict) and "binary_classification_metrics" in champion:
        champion = champion["binary_classification_metrics"]
    return metric_block(champion, "champion")


def validation_sha256(evaluation: dict[str, Any]) -> str | None:
    validation = evaluation.get("validation")
    digest = validation.get("sha256") if isinstance(validation, dict) else None
    return digest if isinstance(digest, str) and digest else None
