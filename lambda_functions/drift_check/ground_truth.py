"""Live accuracy: labels people drop for captured inference ids, joined with what each variant answered.

Labels: JSON Lines under ``s3://<data bucket><ground-truth prefix>`` (any key below it), one
``{"inference_id": "...", "label": 0|1|"negative"|"positive"}`` per line. The inference id is the
one the caller passed to InvokeEndpoint (``InferenceId``), which capture records keep in
``eventMetadata.inferenceId``. A label applies to a request with one text (a batch request has one
id for several answers and cannot be joined). Malformed label lines are counted and skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lambda_functions.drift_check.capture_files import iter_lines, list_written_between
from lambda_functions.drift_check.scoring import MalformedCaptureError, decode_record

LABELS = {0: "negative", 1: "positive", "0": "negative", "1": "positive"}
# Reads the id without parsing the whole line: most captured lines have no label waiting for them.
_INFERENCE_ID = re.compile(rb'"inferenceId"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class Labels:
    by_id: dict[str, str] = field(default_factory=dict)
    files: int = 0
    malformed: int = 0
    dropped: int = 0  # beyond the per-run cap (read next time: the cap is reported, never silent)


@dataclass
class Joined:
    labelled: int = 0
    correct: int = 0
    not_joinable: int = 0  # batch requests or unreadable capture lines carrying a labelled id


def parse_label(line: bytes) -> tuple[str, str]:
    try:
        item = json.loads(line)
    except RecursionError:  # json nests by recursion
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(item, dict):
        raise ValueError("not an object")
    inference_id, label = item.get("inference_id"), item.get("label")
    if not isinstance(inference_id, str) or not inference_id:
        raise ValueError("inference_id missing")
    if isinstance(label, str) and label.lower() in ("positive", "negative"):
        return inference_id, label.lower()
    if isinstance(label, bool) or label not in LABELS:
        raise ValueError("label must be 0, 1, negative or positive")
    return inference_id, LABELS[label]


def read_labels(
    s3: Any, bucket: str, prefix: str, *, since: datetime, until: datetime, max_labels: int
) -> Labels:
    labels = Labels()
    for item in list_written_between(s3, bucket, [prefix], since, until):
        labels.files += 1
        for line in iter_lines(s3, bucket, item.key):
            if not line.strip():
                continue
            try:
                inference_id, label = parse_label(line)
            except (ValueError, UnicodeDecodeError):
                labels.malformed += 1
                continue
            if len(labels.by_id) >= max_labels and inference_id not in labels.by_id:
                labels.dropped += 1
                continue
            labels.by_id[inference_id] = label
    return labels


def join(lines: Iterable[bytes], labels: dict[str, str], joined: Joined) -> None:
    """Count labelled requests and correct answers among captured ``lines`` of one variant."""
    for line in lines:
        match = _INFERENCE_ID.search(line)
        if match is None:
            continue
        try:
            inference_id = json.loads(b'"' + match.group(1) + b'"')
        except ValueError:
            continue
        expected = labels.get(inference_id)
        if expected is None:
            continue
        try:
            predictions = decode_record(line)
        except MalformedCaptureError:
            joined.not_joinable += 1
            continue
        if len(predictions) != 1:
            joined.not_joinable += 1
            continue
        joined.labelled += 1
        joined.correct += predictions[0].label == expected
