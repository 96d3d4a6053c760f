"""One upload under raw/ -> ``processed/<version>/`` (cleaned data + manifest), or a recorded rejection.

Nothing is lost: the upload itself stays in raw/ untouched; every rejected row is in the version's
``rejected.csv``; an upload rejected as a whole gets ``rejected/<key under raw/>.reason.json`` (plus
``.rejected.csv`` when rows were rejected) and an alert.

Memory does not grow with the upload: the object is read in chunks of the version the event names,
rows are parsed one at a time (``model_code.data``), cleaned in two passes over a spool on disk
(``cleaning.Deduplicator``) and the outputs are spooled to the work directory and uploaded in parts
(``outputs.CsvSpool``). An upload over ``MAX_INPUT_BYTES`` is rejected from its HeadObject size,
before any of it is read. benchmarks/preprocess_memory.py measures the peak.

Replays are harmless: the version name comes from the event time and the data digest, so the same
event writes the same objects again. ``manifest.json`` is written last; training only uses versions
that have one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lambda_functions.common.alerts import publish_alert
from lambda_functions.preprocess import outputs
from lambda_functions.preprocess.cleaning import Deduplicator, Kept, RejectedEntry
from lambda_functions.preprocess.config import PreprocessConfig
from lambda_functions.preprocess.events import Upload
from lambda_functions.preprocess.outputs import CsvSpool
from lambda_functions.preprocess.source import ChunkReader, UploadGrewError, UploadObject, locate
from mlops_contracts import content_types, layout
from model_code.data import DataError, LineKind, LineReader, RejectedRow, RowAt, iter_records

# The formats training reads; anything else is rejected before it is parsed.
ACCEPTED_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
PREPROCESSOR_VERSION = "2"


class UploadRejectedError(ValueError):
    """The upload as a whole cannot become a data version."""


@dataclass
class UploadRun:
    """What is known about the upload so far: the rejection record reports it whatever step failed."""

    workdir: Path
    key: str
    obj: UploadObject | None = None
    reader: ChunkReader | None = None
    rejected: CsvSpool | None = None
    rejected_by_reason: dict[str, int] = field(default_factory=dict)

    def reject_row(self, entry: RejectedEntry) -> None:
        if self.rejected is None:
            self.rejected = CsvSpool(self.workdir, outputs.REJECTED_COLUMNS)
        outputs.write_rejected(self.rejected, entry)
        outputs.count_reason(self.rejected_by_reason, entry.reason)

    @property
    def rejected_rows(self) -> int:
        return 0 if self.rejected is None else self.rejected.rows

    def input_record(self, upload: Upload) -> dict[str, Any]:
        return {
            "bucket": upload.bucket,
            "key": self.key,
            "version_id": self.obj.version_id if self.obj else upload.version_id,
            "size": self.obj.size if self.obj else upload.size,
            "etag": upload.etag,
            # Known once the whole object was read.
            "sha256": self.reader.sha256
            if self.reader and self.obj and self.reader.bytes_read == self.obj.size
            else None,
        }


def _file_format(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    if suffix not in ACCEPTED_EXTENSIONS:
        expected = ", ".join(sorted(ACCEPTED_EXTENSIONS))
        raise UploadRejectedError(
            f"unsupported file type {suffix or '(no extension)'!r}; expected one of {expected}"
        )
    return ACCEPTED_EXTENSIONS[suffix]


def _check_size(size: int, config: PreprocessConfig) -> None:
    if size == 0:
        raise UploadRejectedError("empty upload: the object has 0 bytes")
    if size > config.max_input_bytes:
        raise UploadRejectedError(
            f"upload is {size} bytes, over the {config.max_input_bytes}-byte limit (MAX_INPUT_BYTES); "
            "split it into smaller files"
        )


@dataclass
class _Counts:
    input_rows: int = 0
    header_lines: int = 0
    blank_lines: int = 0


def _first_pass(chunks: Iterable[bytes], fmt: str, run: UploadRun, dedup: Deduplicator) -> _Counts:
    """Read and parse the upload; usable rows go to ``dedup``, parse rejections to the rejected spool."""
    counts = _Counts()
    lines = LineReader(chunks)
    try:
        for record in iter_records(lines, fmt=fmt):
            if isinstance(record, RowAt):
                counts.input_rows += 1
                dedup.add(record)
            elif isinstance(record, RejectedRow):
                counts.input_rows += 1
                run.reject_row(RejectedEntry(record.line_number, record.reason, record.raw))
            elif record is LineKind.BLANK:
                counts.blank_lines += 1
            else:
                counts.header_lines += 1
    except (DataError, UploadGrewError) as error:
        raise UploadRejectedError(str(error)) from None
    verdict = lines.stats.verdict()
    if verdict is not None:
        raise UploadRejectedError(verdict)
    return counts


@dataclass
class Cleaned:
    train: CsvSpool
    validation: CsvSpool
    counts: _Counts


def clean_upload(chunks: Iterable[bytes], fmt: str, validation_fraction: float, run: UploadRun) -> Cleaned:
    """The upload's bytes -> spooled train/validation CSVs (rejections go to ``run``); no AWS calls."""
    train = CsvSpool(run.workdir, outputs.ROW_COLUMNS)
    validation = CsvSpool(run.workdir, outputs.ROW_COLUMNS)
    with Deduplicator(run.workdir, validation_fraction) as dedup:
        counts = _first_pass(chunks, fmt, run, dedup)
        for result in dedup.results():
            if isinstance(result, Kept):
                outputs.write_row(validation if result.validation else train, result.row)
            else:
                run.reject_row(result)

    accepted = train.rows + validation.rows
    if accepted + run.rejected_rows != counts.input_rows:  # bookkeeping guard, never expected
        raise RuntimeError(f"row counts do not add up for {run.key}: {accepted} + {run.rejected_rows}")
    if accepted == 0:
        raise UploadRejectedError(f"no usable rows: all {counts.input_rows} rows were rejected")
    if train.rows == 0 or validation.rows == 0 or not _has_both_labels(train):
        raise UploadRejectedError(
            f"too few usable rows to train: {train.rows} train rows, {validation.rows} validation rows "
            "(need both labels in train and at least one validation row)"
        )
    return Cleaned(train, validation, counts)


def _build(upload: Upload, config: PreprocessConfig, run: UploadRun, fmt: str, s3: Any) -> dict[str, Any]:
    assert run.reader is not None
    cleaned = clean_upload(run.reader, fmt, config.validation_fraction, run)
    train, validation, counts = cleaned.train, cleaned.validation, cleaned.counts
    accepted = train.rows + validation.rows
    rejected = run.rejected or CsvSpool(run.workdir, outputs.REJECTED_COLUMNS)
    files = {
        layout.TRAIN_NAME: train,
        layout.VALIDATION_NAME: validation,
        layout.REJECTED_ROWS_NAME: rejected,
    }
    hashes = {name: spool.sha256 for name, spool in files.items()}
    digest = outputs.dataset_digest(hashes)
    version = f"{upload.event_time:%Y%m%dT%H%M%SZ}-{digest[:12]}"
    prefix = f"{config.processed_prefix}{version}/"
    summary = {
        "input_rows": counts.input_rows,
        "accepted": accepted,
        "rejected": run.rejected_rows,
        "train": train.rows,
        "validation": validation.rows,
        # Not rows, listed so the file's lines can be accounted for too.
        "header_lines": counts.header_lines,
        "blank_lines": counts.blank_lines,
    }
    manifest = {
        "version": version,
        "digest": digest,
        "preprocessor_version": PREPROCESSOR_VERSION,
        "input": run.input_record(upload),
        "format": fmt,
        "counts": summary,
        "rejected_by_reason": outputs.sorted_reasons(run.rejected_by_reason),
        "validation_fraction": config.validation_fraction,
        "outputs": {
            name: {"key": prefix + name, "sha256": spool.sha256, "bytes": spool.bytes}
            for name, spool in files.items()
        },
        "event": {"id": upload.event_id, "time": upload.event_time.isoformat()},
    }
    for name, spool in files.items():
        spool.upload(s3, config.data_bucket, prefix + name, content_types.CSV)
    s3.put_object(
        Bucket=config.data_bucket,
        Key=prefix + layout.MANIFEST_NAME,
        Body=outputs.manifest_json(manifest),
        ContentType=content_types.JSON,
    )
    return {"status": "processed", "version": version, "prefix": prefix, "counts": summary}


def _has_both_labels(train: CsvSpool) -> bool:
    return train.labels == {0, 1}


def _relative_key(key: str, config: PreprocessConfig) -> str:
    return key[len(config.raw_prefix) :] if key.startswith(config.raw_prefix) else key


def _reject_upload(
    *, s3: Any, sns: Any, config: PreprocessConfig, upload: Upload, run: UploadRun, reason: str
) -> dict[str, Any]:
    base = f"{config.rejected_prefix}{_relative_key(run.key, config)}"
    record: dict[str, Any] = {
        "input": run.input_record(upload),
        "reason": reason,
        "event_time": upload.event_time.isoformat(),
        "rejected_rows": run.rejected_rows,
    }
    if run.rejected is not None:
        record["rejected_rows_key"] = f"{base}.rejected.csv"
        record["rejected_by_reason"] = outputs.sorted_reasons(run.rejected_by_reason)
        run.rejected.upload(s3, config.data_bucket, record["rejected_rows_key"], content_types.CSV)
    record["reason_key"] = f"{base}.reason.json"
    s3.put_object(
        Bucket=config.data_bucket,
        Key=record["reason_key"],
        Body=outputs.manifest_json(record),
        ContentType=content_types.JSON,
    )
    publish_alert(sns, config.alert_topic_arn, f"Upload rejected: {run.key}", record)
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

    # /tmp: Lambda's ephemeral storage holds the spools; removed when the upload is done.
    with tempfile.TemporaryDirectory(prefix="preprocess-") as workdir:
        run = UploadRun(workdir=Path(workdir), key=upload.key)
        try:
            fmt = _file_format(upload.key)
            run.obj = locate(s3, upload)
            run.key = run.obj.key
            _check_size(run.obj.size, config)  # HeadObject's size: nothing has been read yet
            run.reader = ChunkReader(s3, run.obj, limit=config.max_input_bytes)
            return _build(upload, config, run, fmt, s3)
        except UploadRejectedError as error:
            return _reject_upload(s3=s3, sns=sns, config=config, upload=upload, run=run, reason=str(error))
