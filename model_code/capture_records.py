"""Read SageMaker data-capture files line by line: each captured text with the model's answer.

Standard library only, so a drift-check Lambda can import it without numpy or scipy.

One capture line (JSON Lines, as SageMaker writes them under ``<prefix>/<endpoint>/<variant>/
yyyy/mm/dd/hh/*.jsonl``)::

    {"captureData": {
        "endpointInput":  {"observedContentType": "application/json", "mode": "INPUT",
                           "data": "...", "encoding": "JSON" | "CSV" | "BASE64"},
        "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                           "data": "...", "encoding": "JSON" | "CSV" | "BASE64"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "..."},
     "eventVersion": "0"}

``data`` holds the body as text when ``encoding`` is JSON or CSV, base64 otherwise. Bodies follow
the server's formats (``model_code/server/codecs.py``; restated here because the server module
needs orjson): requests are ``application/json`` (a text, ``{"text": ...}``, a list or
``{"texts": [...]}``), ``application/jsonlines`` (one text or ``{"text": ...}`` per line) or
``text/csv`` (one text per line); answers are a JSON object or list, JSON Lines, or CSV lines
``label,probability,model_version``, each with ``label`` and ``probability`` = P(label).

A line that cannot be read this way (bad JSON, unknown type, answer count not matching the texts)
is counted in ``CaptureStats.malformed`` with its reason and skipped: one bad line must never stop
a drift check. Memory is bounded by the longest line, whatever the file size.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

LABELS = ("negative", "positive")
_JSON = "application/json"
_JSONLINES = frozenset(
    {"application/jsonlines", "application/x-jsonlines", "application/jsonl", "application/json-lines"}
)
_CSV = "text/csv"
csv.field_size_limit(1 << 30)  # captured texts can be long; the csv module's 128 KiB cap is not ours


class MalformedCaptureError(ValueError):
    """A capture line this reader cannot turn into texts with answers (the message is the reason)."""


@dataclass(frozen=True)
class CapturedPrediction:
    """One text the endpoint scored, with its answer: P(positive) is what drift features need."""

    text: str
    label: str
    probability: float  # P(label), as the server answers

    @property
    def positive_probability(self) -> float:
        return self.probability if self.label == "positive" else 1.0 - self.probability


@dataclass
class CaptureStats:
    """What a read saw: lines, records read, texts, and malformed lines by reason."""

    lines: int = 0
    records: int = 0
    texts: int = 0
    malformed: int = 0
    malformed_reasons: Counter[str] = field(default_factory=Counter)

    def add_malformed(self, reason: str) -> None:
        self.malformed += 1
        self.malformed_reasons[reason] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "records": self.records,
            "texts": self.texts,
            "malformed": self.malformed,
            "malformed_reasons": dict(self.malformed_reasons.most_common(10)),
        }


def _media_type(content_type: object) -> str:
    if not isinstance(content_type, str):
        raise MalformedCaptureError("observedContentType missing")
    return content_type.partition(";")[0].strip().lower()


def _body(section: object, where: str) -> tuple[str, str]:
    """(media type, body text) of a captured endpointInput/endpointOutput."""
    if not isinstance(section, dict):
        raise MalformedCaptureError(f"{where} missing")
    data = section.get("data")
    if not isinstance(data, str):
        raise MalformedCaptureError(f"{where}.data missing")
    encoding = str(section.get("encoding", "")).upper()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise MalformedCaptureError(f"{where}.data is not base64 of UTF-8 text") from None
    elif encoding not in ("JSON", "CSV"):
        raise MalformedCaptureError(f"{where}.encoding {encoding or 'missing'} unknown")
    return _media_type(section.get("observedContentType")), data


def _text(value: object, where: str) -> str:
    if isinstance(value, dict) and set(value) == {"text"}:
        value = value["text"]
    if not isinstance(value, str) or not value.strip():
        raise MalformedCaptureError(f"{where} is not a text")
    return value


def _json_lines(body: str) -> list[Any]:
    # Split on "\n" only: str.splitlines() would also break inside texts at U+0085 or U+2028.
    return [json.loads(line) for line in body.split("\n") if line.strip()]


def _csv_rows(body: str) -> list[list[str]]:
    try:
        return [row for row in csv.reader(io.StringIO(body, newline=""), strict=True) if row]
    except csv.Error:
        raise MalformedCaptureError("CSV body unreadable") from None


def request_texts(media_type: str, body: str) -> list[str]:
    """The texts of a request body, in order."""
    try:
        if media_type == _JSON or not media_type:
            value = json.loads(body)
            if isinstance(value, dict) and set(value) == {"texts"}:
                value = value["texts"]
            items = value if isinstance(value, list) else [value]
            texts = [_text(item, "request text") for item in items]
        elif media_type in _JSONLINES:
            texts = [_text(item, "request line") for item in _json_lines(body)]
        elif media_type == _CSV:
            texts = [_text(row[0] if len(row) == 1 else None, "request CSV row") for row in _csv_rows(body)]
        else:
            raise MalformedCaptureError(f"request type {media_type} unknown")
    except json.JSONDecodeError:
        raise MalformedCaptureError("request JSON unreadable") from None
    if not texts:
        raise MalformedCaptureError("request has no texts")
    return texts


def _answer(value: object) -> tuple[str, float]:
    if not isinstance(value, dict):
        raise MalformedCaptureError("answer is not an object")
    return _checked(value.get("label"), value.get("probability"))


def _checked(label: object, probability: object) -> tuple[str, float]:
    if label not in LABELS:
        raise MalformedCaptureError("answer label unknown")
    try:
        number = float(probability)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MalformedCaptureError("answer probability not a number") from None
    if not 0.0 <= number <= 1.0:
        raise MalformedCaptureError("answer probability outside [0, 1]")
    return str(label), number


def response_answers(media_type: str, body: str) -> list[tuple[str, float]]:
    """(label, P(label)) per answer in a response body, in order."""
    try:
        if media_type == _JSON or not media_type:
            value = json.loads(body)
            return [_answer(item) for item in (value if isinstance(value, list) else [value])]
        if media_type in _JSONLINES:
            return [_answer(item) for item in _json_lines(body)]
        if media_type == _CSV:
            answers = []
            for row in _csv_rows(body):
                if len(row) < 2:
                    raise MalformedCaptureError("answer CSV row needs label,probability")
                answers.append(_checked(row[0], row[1]))
            return answers
    except json.JSONDecodeError:
        raise MalformedCaptureError("answer JSON unreadable") from None
    raise MalformedCaptureError(f"answer type {media_type} unknown")


def decode_record(line: str | bytes) -> list[CapturedPrediction]:
    """The texts and answers of one capture line; ``MalformedCaptureError`` says why it cannot be read."""
    try:
        return _decode_record(line)
    except RecursionError:  # json nests by recursion: a line (or a body in it) nested too deeply
        raise MalformedCaptureError("JSON nested too deeply") from None


def _decode_record(line: str | bytes) -> list[CapturedPrediction]:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MalformedCaptureError("line is not JSON") from None
    capture = record.get("captureData") if isinstance(record, dict) else None
    if not isinstance(capture, dict):
        raise MalformedCaptureError("captureData missing")
    texts = request_texts(*_body(capture.get("endpointInput"), "endpointInput"))
    answers = response_answers(*_body(capture.get("endpointOutput"), "endpointOutput"))
    if len(answers) != len(texts):
        raise MalformedCaptureError("answer count differs from text count")
    return [
        CapturedPrediction(text, label, probability)
        for text, (label, probability) in zip(texts, answers, strict=True)
    ]


def iter_predictions(lines: Iterable[str | bytes], stats: CaptureStats) -> Iterator[CapturedPrediction]:
    """Every captured text with its answer, streaming; malformed lines are counted in ``stats``."""
    for line in lines:
        if not line.strip():
            continue  # a trailing newline or blank line is not a record
        stats.lines += 1
        try:
            predictions = decode_record(line)
        except MalformedCaptureError as error:
            stats.add_malformed(str(error))
            continue
        stats.records += 1
        stats.texts += len(predictions)
        yield from predictions


def looks_like_capture(first_line: str | bytes) -> bool:
    """True when a file's first non-blank line is a capture record (else: plain texts)."""
    stripped = first_line.strip()
    if isinstance(stripped, bytes):
        stripped = stripped.decode("utf-8", "replace")
    if not stripped.startswith("{"):
        return False
    try:
        record = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return False
    return isinstance(record, dict) and "captureData" in record
