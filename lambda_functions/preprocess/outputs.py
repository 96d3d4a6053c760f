"""Serializing a cleaned dataset: train/validation/rejected CSVs and the manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from lambda_functions.preprocess.cleaning import RejectedEntry
from model_code.data import LabeledText


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rows_csv(rows: Iterable[LabeledText]) -> bytes:
    """``text,label`` with a header: the columns training reads by default."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["text", "label"])
    writer.writerows([row.text, row.label] for row in rows)
    return buffer.getvalue().encode("utf-8")


def rejected_csv(rows: Sequence[RejectedEntry]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["line_number", "reason", "raw"])
    writer.writerows(
        ["" if row.line_number is None else row.line_number, row.reason, row.raw] for row in rows
    )
    return buffer.getvalue().encode("utf-8")


def reason_kind(reason: str) -> str:
    """``"unknown label: 'x'"`` -> ``"unknown label"``: the per-reason counts in the manifest."""
    return reason.split(":", 1)[0].strip()


def rejected_by_reason(rows: Sequence[RejectedEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[reason_kind(row.reason)] = counts.get(reason_kind(row.reason), 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def dataset_digest(output_sha256: dict[str, str]) -> str:
    """The data version's identity: a hash of the training outputs' hashes (same data -> same digest)."""
    canonical = json.dumps(
        {name: output_sha256[name] for name in ("train.csv", "validation.csv")}, sort_keys=True
    )
    return sha256_hex(canonical.encode("utf-8"))


def manifest_json(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
