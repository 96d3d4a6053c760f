"""Request bodies in and answers out, chosen by ``Content-Type`` and ``Accept``.

Request bodies (UTF-8 only):

- ``application/json`` (also when Content-Type is missing): one of
  ``"a text"`` or ``{"text": "a text"}`` (a single text; the JSON answer is one object), or
  ``["t1", "t2"]`` or ``{"texts": ["t1", "t2"]}`` (a batch; the JSON answer is a list in input order).
- ``application/jsonlines`` (aliases ``application/x-jsonlines``, ``application/jsonl``): one JSON
  value per line, each ``"a text"`` or ``{"text": "a text"}``; always a batch.
- ``text/csv``: one text per line (RFC 4180 quoting for texts holding commas, quotes or newlines),
  no header; always a batch. This is what Batch Transform sends with ``SplitType=Line``.

Every text must be a non-blank string. Texts longer than the configured cap are cut to it (the
model only needs the opening of a very long review; rejecting would fail a whole Batch Transform
mini-batch for one long line). Unknown JSON keys are rejected, so a typo never goes unnoticed.

Answers, by ``Accept`` (``application/json`` when absent or ``*/*``): each prediction is
``{"label": "positive"|"negative", "probability": P(label), "model_version": "..."}``;
``application/jsonlines`` gives one such object per line; ``text/csv`` gives
``label,probability,model_version`` per line, no header, so Batch Transform output lines up with
its input.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import orjson

from model_code.server.errors import HttpError
from model_code.server.settings import RequestLimits

JSON = "application/json"
JSONLINES = "application/jsonlines"
CSV = "text/csv"
_JSONLINES_ALIASES = frozenset(
    {JSONLINES, "application/x-jsonlines", "application/jsonl", "application/json-lines"}
)
_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
# Ranges that "*/*"-style Accept values resolve to, in our order of preference.
_RANGE_DEFAULTS = {"*/*": JSON, "application/*": JSON, "text/*": CSV}
SUPPORTED_REQUEST_TYPES = f"{JSON}, {JSONLINES}, {CSV}"

# The body limit already bounds a CSV field; the csv module's own 128 KiB cap would otherwise turn a
# long (but allowed) text into a parse error instead of the documented cut.
csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class ParsedRequest:
    texts: list[str]
    single: bool  # one text in -> one JSON object out (not a list)


def _media_type(header: str) -> tuple[str, str | None]:
    """``"Application/JSON; charset=UTF-8"`` -> ``("application/json", "utf-8")``."""
    media, _, parameters = header.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def request_media_type(content_type: str | None) -> str:
    """The request's media type, one of JSON/JSONLINES/CSV, or a 415."""
    if not content_type:
        return JSON
    media, charset = _media_type(content_type)
    if charset is not None and charset not in _UTF8_CHARSETS:
        raise HttpError(415, f"charset {charset!r} is not supported; send UTF-8")
    if media in (JSON, CSV):
        return media
    if media in _JSONLINES_ALIASES:
        return JSONLINES
    raise HttpError(415, f"Content-Type {media!r} is not supported; use one of {SUPPORTED_REQUEST_TYPES}")


def response_media_type(accept: str | None) -> str:
    """The best type we can produce for an Accept header (q-values honoured), or a 406."""
    if not accept or accept in (JSON, "*/*"):  # the common cases, without parsing
        return JSON
    best, best_quality = None, 0.0
    for part in accept.split(","):
        media, _, parameters = part.partition(";")
        media = media.strip().lower()
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        candidate = _RANGE_DEFAULTS.get(media) or (
            JSONLINES if media in _JSONLINES_ALIASES else media if media in (JSON, CSV) else None
        )
        if candidate is not None and quality > best_quality:
            best, best_quality = candidate, quality
    if best is None:
        raise HttpError(406, f"cannot answer in {accept!r}; Accept one of {JSON}, {JSONLINES}, {CSV}")
    return best


def _decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HttpError(400, f"body is not valid UTF-8 (byte {error.start})") from None


def _check_text(value: object, where: str, limits: RequestLimits) -> str:
    if not isinstance(value, str):
        raise HttpError(400, f"{where} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise HttpError(400, f"{where} is empty")
    return value[: limits.max_text_chars]


def _check_count(count: int, limits: RequestLimits) -> None:
    if count == 0:
        raise HttpError(400, "no texts: send at least one")
    if count > limits.max_texts:
        raise HttpError(413, f"{count} texts in one request; the limit is {limits.max_texts}")


def _text_of_object(value: dict[str, Any], where: str, limits: RequestLimits) -> str:
    if set(value) != {"text"}:
        raise HttpError(400, f'{where} must be {{"text": "..."}}, got keys {sorted(value)}')
    return _check_text(value["text"], f"{where}.text", limits)


def _parse_json(body: bytes, limits: RequestLimits) -> ParsedRequest:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        _decode_utf8(body)  # a UTF-8 problem gets its own, clearer message
        raise HttpError(400, f"body is not valid JSON: {error}") from None
    if isinstance(value, str):
        return ParsedRequest([_check_text(value, "text", limits)], single=True)
    if isinstance(value, dict):
        if set(value) == {"text"}:
            return ParsedRequest([_text_of_object(value, "body", limits)], single=True)
        if set(value) != {"texts"}:
            raise HttpError(
                400,
                f'a JSON object must be {{"text": "..."}} or {{"texts": [...]}}, got keys {sorted(value)}',
            )
        value = value["texts"]
        if not isinstance(value, list):
            raise HttpError(400, f"texts must be a list of strings, got {type(value).__name__}")
    if not isinstance(value, list):
        raise HttpError(
            400, f"body must be a string, a list of strings or an object, got {type(value).__name__}"
        )
    _check_count(len(value), limits)
    return ParsedRequest(
        [_check_text(item, f"texts[{i}]", limits) for i, item in enumerate(value)], single=False
    )


def _parse_jsonlines(body: bytes, limits: RequestLimits) -> ParsedRequest:
    # Split on "\n" only: str.splitlines() would also break inside texts at U+0085 or U+2028.
    lines = _decode_utf8(body).split("\n")
    if lines and not lines[-1].strip():
        lines.pop()  # the final newline ends the last line; it does not start an empty one
    _check_count(len(lines), limits)
    texts = []
    for number, line in enumerate(lines, start=1):
        where = f"line {number}"
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise HttpError(400, f"{where} is not valid JSON: {error}") from None
        texts.append(
            _text_of_object(value, where, limits)
            if isinstance(value, dict)
            else _check_text(value, where, limits)
        )
    return ParsedRequest(texts, single=False)


def _parse_csv(body: bytes, limits: RequestLimits) -> ParsedRequest:
    texts = []
    try:
        for number, row in enumerate(
            csv.reader(io.StringIO(_decode_utf8(body), newline=""), strict=True), start=1
        ):
            if len(row) > 1:
                raise HttpError(
                    400,
                    f"line {number} has {len(row)} fields; text/csv takes one text per line, quote commas",
                )
            texts.append(_check_text(row[0] if row else "", f"line {number}", limits))
            if len(texts) > limits.max_texts:
                break  # enough to know it is too many; do not parse the rest
    except csv.Error as error:
        raise HttpError(400, f"body is not valid CSV: {error}") from None
    _check_count(len(texts), limits)
    return ParsedRequest(texts, single=False)


def parse_body(media_type: str, body: bytes, limits: RequestLimits) -> ParsedRequest:
    if not body.strip():
        raise HttpError(400, "request body is empty")
    if media_type == JSON:
        return _parse_json(body, limits)
    if media_type == JSONLINES:
        return _parse_jsonlines(body, limits)
    return _parse_csv(body, limits)


def encode_predictions(predictions: list[dict[str, Any]], single: bool, media_type: str) -> bytes:
    if media_type == JSON:
        return orjson.dumps(predictions[0] if single else predictions)
    if media_type == JSONLINES:
        return b"".join(orjson.dumps(prediction) + b"\n" for prediction in predictions)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows((p["label"], repr(p["probability"]), p["model_version"]) for p in predictions)
    return out.getvalue().encode("utf-8")
