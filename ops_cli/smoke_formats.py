"""The request and answer formats the smoke test exercises: every one the model server accepts.

One ``Format`` per way a client can call ``/invocations`` (see ``model_code/server/codecs.py``):
a JSON batch, a single JSON text, JSON Lines and CSV. Each knows how to write its request body and
how to read the answer back into ``Prediction`` objects, so a wrong or unreadable answer is caught
whatever format it came in.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mlops_contracts import content_types


class AnswerError(ValueError):
    """The answer could not be read as predictions; the message says why, in one line."""


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    model_version: str


@dataclass(frozen=True)
class Format:
    name: str
    content_type: str
    accept: str
    single: bool  # one text per request, answered with one JSON object
    encode: Callable[[Sequence[str]], bytes]
    decode: Callable[[bytes], list[Prediction]]


def _prediction(item: object, where: str) -> Prediction:
    if not isinstance(item, dict):
        raise AnswerError(f"{where} is not an object: {str(item)[:80]!r}")
    label, probability, version = item.get("label"), item.get("probability"), item.get("model_version")
    if not isinstance(label, str):
        raise AnswerError(f"{where} has no string 'label'")
    if not isinstance(probability, int | float) or isinstance(probability, bool):
        raise AnswerError(f"{where} has no numeric 'probability'")
    if not isinstance(version, str):
        raise AnswerError(f"{where} has no string 'model_version'")
    return Prediction(label, float(probability), version)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AnswerError(f"answer is not UTF-8 (byte {error.start})") from None


def _json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AnswerError(f"{where} is not JSON ({error.msg}): {text[:80]!r}") from None


def _decode_json_list(body: bytes) -> list[Prediction]:
    value = _json(_text(body), "answer")
    if not isinstance(value, list):
        raise AnswerError(f"a batch answer must be a JSON list, got {type(value).__name__}")
    return [_prediction(item, f"answer[{i}]") for i, item in enumerate(value)]


def _decode_json_object(body: bytes) -> list[Prediction]:
    return [_prediction(_json(_text(body), "answer"), "answer")]


def _decode_jsonlines(body: bytes) -> list[Prediction]:
    lines = [line for line in _text(body).split("\n") if line.strip()]
    return [_prediction(_json(line, f"line {n}"), f"line {n}") for n, line in enumerate(lines, start=1)]


def _decode_csv(body: bytes) -> list[Prediction]:
    predictions = []
    rows = csv.reader(io.StringIO(_text(body), newline=""))
    for number, row in enumerate(rows, start=1):
        if len(row) != 3:
            raise AnswerError(f"CSV line {number} has {len(row)} fields, expected label,probability,version")
        try:
            probability = float(row[1])
        except ValueError:
            raise AnswerError(f"CSV line {number}: probability {row[1]!r} is not a number") from None
        predictions.append(Prediction(row[0], probability, row[2]))
    return predictions


def _encode_csv(texts: Sequence[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([text] for text in texts)
    return out.getvalue().encode("utf-8")


FORMATS: tuple[Format, ...] = (
    Format(
        name="json batch",
        content_type=content_types.JSON,
        accept=content_types.JSON,
        single=False,
        encode=lambda texts: json.dumps({"texts": list(texts)}).encode("utf-8"),
        decode=_decode_json_list,
    ),
    Format(
        name="json single",
        content_type=content_types.JSON,
        accept=content_types.JSON,
        single=True,
        encode=lambda texts: json.dumps({"text": texts[0]}).encode("utf-8"),
        decode=_decode_json_object,
    ),
    Format(
        name="jsonlines",
        content_type=content_types.JSON_LINES,
        accept=content_types.JSON_LINES,
        single=False,
        encode=lambda texts: "".join(json.dumps(text) + "\n" for text in texts).encode("utf-8"),
        decode=_decode_jsonlines,
    ),
    Format(
        name="csv",
        content_type=content_types.CSV,
        accept=content_types.CSV,
        single=False,
        encode=_encode_csv,
        decode=_decode_csv,
    ),
)
