"""Writing a cleaned dataset: train/validation/rejected CSVs spooled to disk, and the manifest.

The outputs of a 200 MiB upload do not fit beside it in the function's memory, so each CSV is
written through a ``CsvSpool``: hashed while written, kept in memory while small and in the work
directory (/tmp) beyond that, then uploaded with a managed (multipart) upload.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from lambda_functions.preprocess.cleaning import RejectedEntry
from mlops_contracts import layout
from model_code.data import LabeledText

ROW_COLUMNS = list(layout.DATA_COLUMNS)  # ``text,label``: the columns training reads by default
REJECTED_COLUMNS = ["line_number", "reason", "raw"]
_SPOOL_MEMORY_BYTES = 1024 * 1024  # beyond this a spool is a file in the work directory
# Two 8 MiB parts in flight and two read ahead: bounded memory (the default reads 10 parts ahead,
# 80 MiB), still a few parts per second. boto3's TransferConfig takes the read-ahead only as an
# attribute of s3transfer's config, not as an argument.
_TRANSFER = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)
_TRANSFER.max_in_memory_upload_chunks = 2


class CsvSpool:
    """A CSV file being written: rows counted, bytes hashed, spilled to ``directory`` when large."""

    def __init__(self, directory: Path, header: Sequence[str]) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY_BYTES, dir=str(directory))  # noqa: SIM115
        self._hash = hashlib.sha256()
        self.bytes = 0
        self.rows = 0
        self.labels: set[int] = set()  # of the rows written with ``write_row``
        self._writer = csv.writer(self, lineterminator="\n")
        self._writer.writerow(header)

    def write(self, text: str) -> None:
        """What ``csv.writer`` calls: encode, hash, spool."""
        data = text.encode("utf-8")
        self._hash.update(data)
        self._file.write(data)
        self.bytes += len(data)

    def writerow(self, row: Sequence[object]) -> None:
        self._writer.writerow(row)
        self.rows += 1

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def upload(self, s3: Any, bucket: str, key: str, content_type: str) -> None:
        self._file.seek(0)
        s3.upload_fileobj(self._file, bucket, key, ExtraArgs={"ContentType": content_type}, Config=_TRANSFER)

    def close(self) -> None:
        self._file.close()


def write_row(spool: CsvSpool, row: LabeledText) -> None:
    spool.writerow([row.text, row.label])
    spool.labels.add(row.label)


def write_rejected(spool: CsvSpool, row: RejectedEntry) -> None:
    spool.writerow(["" if row.line_number is None else row.line_number, row.reason, row.raw])


def reason_kind(reason: str) -> str:
    """``"unknown label: 'x'"`` -> ``"unknown label"``: the per-reason counts in the manifest."""
    return reason.split(":", 1)[0].strip()


def count_reason(counts: dict[str, int], reason: str) -> None:
    kind = reason_kind(reason)
    counts[kind] = counts.get(kind, 0) + 1


def sorted_reasons(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def dataset_digest(output_sha256: dict[str, str]) -> str:
    """The data version's identity: a hash of the training outputs' hashes (same data -> same digest)."""
    canonical = json.dumps(
        {name: output_sha256[name] for name in (layout.TRAIN_NAME, layout.VALIDATION_NAME)}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def manifest_json(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
