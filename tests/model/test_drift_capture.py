"""SageMaker capture lines in every encoding the endpoint produces; malformed lines counted, skipped."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest

from model_code.capture_records import (
    CaptureStats,
    MalformedCaptureError,
    decode_record,
    iter_predictions,
    looks_like_capture,
)


def _section(mode: str, content_type: str, body: str, encoding: str) -> dict:
    data = base64.b64encode(body.encode("utf-8")).decode() if encoding == "BASE64" else body
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_line(
    request: tuple[str, str, str], response: tuple[str, str, str], inference_id: str | None = None
) -> str:
    metadata = {"eventId": "0b7c3f5e", "inferenceTime": "2026-11-29T10:00:00Z"}
    if inference_id:
        metadata["inferenceId"] = inference_id
    record = {
        "captureData": {
            "endpointInput": _section("INPUT", *request),
            "endpointOutput": _section("OUTPUT", *response),
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }
    return json.dumps(record)


ANSWER = {"label": "negative", "probability": 0.8, "model_version": "v1"}
JSON_ANSWER = ("application/json", json.dumps(ANSWER), "JSON")


@pytest.mark.parametrize(
    ("request_body", "response", "texts"),
    [
        (("application/json", json.dumps("Broke in a day."), "JSON"), JSON_ANSWER, ["Broke in a day."]),
        (("application/json", json.dumps({"text": "Broke."}), "JSON"), JSON_ANSWER, ["Broke."]),
        (
            ("application/json; charset=utf-8", json.dumps({"texts": ["Great!", "Awful."]}), "BASE64"),
            (
                "application/json",
                json.dumps([{**ANSWER, "label": "positive", "probability": 0.9}, ANSWER]),
                "BASE64",
            ),
            ["Great!", "Awful."],
        ),
        (
            ("application/json", json.dumps(["Caf\u00e9 au lait\u2028ok", "Awful."]), "BASE64"),
            ("application/json", json.dumps([ANSWER, ANSWER]), "JSON"),
            ["Caf\u00e9 au lait\u2028ok", "Awful."],
        ),
        (
            ("application/jsonlines", '"One"\n{"text": "Two"}\n', "BASE64"),
            ("application/jsonlines", json.dumps(ANSWER) + "\n" + json.dumps(ANSWER) + "\n", "BASE64"),
            ["One", "Two"],
        ),
        (
            ("text/csv", '"Good, really good"\nBad\n', "CSV"),
            ("text/csv", "positive,0.75,v1\nnegative,0.8,v1\n", "CSV"),
            ["Good, really good", "Bad"],
        ),
    ],
)
def test_decodes_every_server_format_and_encoding(request_body, response, texts):
    predictions = decode_record(capture_line(request_body, response, inference_id="abc"))
    assert [p.text for p in predictions] == texts
    assert all(p.label in ("positive", "negative") for p in predictions)
    first = predictions[0]
    expected = first.probability if first.label == "positive" else 1.0 - first.probability
    assert first.positive_probability == pytest.approx(expected)


def test_csv_answer_gives_positive_probability():
    line = capture_line(("text/csv", "Bad\n", "CSV"), ("text/csv", "negative,0.8,v1\n", "CSV"))
    (prediction,) = decode_record(line)
    assert prediction.label == "negative"
    assert prediction.positive_probability == pytest.approx(0.2)


GOOD = capture_line(("application/json", json.dumps({"text": "Fine."}), "JSON"), JSON_ANSWER)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "line is not JSON"),
        (json.dumps({"eventVersion": "0"}), "captureData missing"),
        (
            capture_line(("application/json", "Zm9v!!", "JSON"), JSON_ANSWER).replace(
                '"encoding": "JSON"', '"encoding": "BASE64"', 1
            ),
            "endpointInput.data is not base64 of UTF-8 text",
        ),
        (
            capture_line(("application/json", json.dumps(["a", "b"]), "JSON"), JSON_ANSWER),
            "answer count differs from text count",
        ),
        (
            capture_line(("application/xml", "<a/>", "BASE64"), JSON_ANSWER),
            "request type application/xml unknown",
        ),
        (
            capture_line(
                ("application/json", json.dumps("ok"), "JSON"),
                ("application/json", json.dumps({"error": "bad request"}), "JSON"),
            ),
            "answer label unknown",
        ),
        (
            capture_line(("application/json", json.dumps("ok"), "JSON"), ("application/json", "{", "JSON")),
            "answer JSON unreadable",
        ),
        (
            capture_line(("application/json", json.dumps(""), "JSON"), JSON_ANSWER),
            "request text is not a text",
        ),
    ],
)
def test_malformed_lines_are_rejected_with_their_reason(line, reason):
    with pytest.raises(MalformedCaptureError) as error:
        decode_record(line)
    assert str(error.value) == reason


def test_stream_counts_and_skips_malformed_lines():
    two = capture_line(
        ("application/json", json.dumps({"texts": ["A", "B"]}), "BASE64"),
        ("application/json", json.dumps([ANSWER, ANSWER]), "BASE64"),
    )
    lines = [GOOD.encode(), b"", b"{broken", two.encode() + b"\n", b"   ", b'{"captureData": 3}']
    stats = CaptureStats()
    texts = [p.text for p in iter_predictions(iter(lines), stats)]
    assert texts == ["Fine.", "A", "B"]
    assert (stats.lines, stats.records, stats.texts, stats.malformed) == (4, 2, 3, 2)
    assert stats.to_dict()["malformed_reasons"] == {"line is not JSON": 1, "captureData missing": 1}


def test_recognises_capture_lines_but_not_texts():
    assert looks_like_capture(GOOD)
    assert looks_like_capture(GOOD.encode() + b"\n")
    assert not looks_like_capture("It's a {great} movie")
    assert not looks_like_capture('{"text": "hello"}')


def test_capture_reader_and_features_need_only_the_standard_library(python, cli_env):
    """What a drift Lambda imports must load where numpy, scipy and scikit-learn are missing."""
    code = (
        "import sys\n"
        "for name in ('numpy', 'scipy', 'sklearn', 'joblib', 'orjson'):\n"
        "    sys.modules[name] = None  # any import of them now fails\n"
        "import model_code.capture_records, model_code.drift_features\n"
        "print('imported')\n"
    )
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, env=cli_env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"
