"""The HTTP contract of the real server: /ping, every request and answer type, routes and methods."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from model_code.predictor import SentimentPredictor

# Slow: starts a real server. One xdist group, so the session server is started once, not per worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serving-shared-server")]

TEXTS = [
    "This product is amazing!",
    "Terrible battery life, it died after two days.",
    'He said "never again", and he meant it',
    "Pas mal du tout, vraiment \u00e9l\u00e9gant \u2014 five stars",
]


@pytest.fixture(scope="module")
def predictor(serving_model_dir: Path) -> SentimentPredictor:
    return SentimentPredictor.load(serving_model_dir)


def expected(predictor: SentimentPredictor, texts: list[str]) -> list[dict[str, object]]:
    return [{**p, "model_version": predictor.model_version} for p in predictor.predict(texts)]


def assert_same_predictions(actual: list[dict[str, object]], wanted: list[dict[str, object]]) -> None:
    assert [p["label"] for p in actual] == [p["label"] for p in wanted]
    assert [p["model_version"] for p in actual] == [p["model_version"] for p in wanted]
    for got, want in zip(actual, wanted, strict=True):
        assert got["probability"] == pytest.approx(want["probability"], abs=1e-9)
        assert 0.5 <= float(got["probability"]) <= 1.0


def test_ping_is_200_with_the_model_version(server, predictor: SentimentPredictor) -> None:
    answer = server.request("GET", "/ping")
    assert answer.status == 200
    assert answer.json() == {"status": "healthy", "model_version": predictor.model_version}


@pytest.mark.parametrize("body", [json.dumps(TEXTS[0]), json.dumps({"text": TEXTS[0]})])
def test_single_json_text_gives_one_object(server, predictor: SentimentPredictor, body: str) -> None:
    answer = server.invoke(body)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    result = answer.json()
    assert isinstance(result, dict)
    assert_same_predictions([result], expected(predictor, TEXTS[:1]))


@pytest.mark.parametrize("body", [json.dumps(TEXTS), json.dumps({"texts": TEXTS})])
def test_json_batch_gives_a_list_in_input_order(server, predictor: SentimentPredictor, body: str):
    answer = server.invoke(body)
    assert answer.status == 200
    assert_same_predictions(answer.json(), expected(predictor, TEXTS))  # type: ignore[arg-type]


def test_missing_content_type_is_read_as_json(server, predictor: SentimentPredictor) -> None:
    answer = server.invoke(json.dumps(TEXTS), content_type=None)
    assert answer.status == 200
    assert_same_predictions(answer.json(), expected(predictor, TEXTS))  # type: ignore[arg-type]


@pytest.mark.parametrize("content_type", ["application/jsonlines", "application/x-jsonlines"])
def test_jsonlines_in_strings_and_objects(server, predictor: SentimentPredictor, content_type: str):
    lines = [json.dumps(t) if i % 2 else json.dumps({"text": t}) for i, t in enumerate(TEXTS)]
    answer = server.invoke("\n".join(lines) + "\n", content_type=content_type)
    assert answer.status == 200
    assert_same_predictions(answer.json(), expected(predictor, TEXTS))  # type: ignore[arg-type]


def test_jsonlines_keeps_u0085_inside_a_text(server, predictor: SentimentPredictor) -> None:
    text = "good\u0085 really good"
    answer = server.invoke(json.dumps(text) + "\n", content_type="application/jsonlines")
    assert answer.status == 200
    assert_same_predictions(answer.json(), expected(predictor, [text]))  # type: ignore[arg-type]


def test_csv_in_with_quoted_commas_quotes_and_newlines(server, predictor: SentimentPredictor):
    texts = [*TEXTS, "first line,\nsecond line"]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([t] for t in texts)
    answer = server.invoke(buffer.getvalue(), content_type="text/csv")
    assert answer.status == 200
    assert_same_predictions(answer.json(), expected(predictor, texts))  # type: ignore[arg-type]


def test_csv_answer_has_one_line_per_text(server, predictor: SentimentPredictor) -> None:
    answer = server.invoke(json.dumps(TEXTS), accept="text/csv")
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.body.decode())))
    parsed = [{"label": r[0], "probability": float(r[1]), "model_version": r[2]} for r in rows]
    assert_same_predictions(parsed, expected(predictor, TEXTS))


def test_jsonlines_answer_has_one_object_per_line(server, predictor: SentimentPredictor) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([t] for t in TEXTS)
    answer = server.invoke(buffer.getvalue(), content_type="text/csv", accept="application/jsonlines")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/jsonlines"
    assert answer.body.endswith(b"\n")
    parsed = [json.loads(line) for line in answer.body.decode().splitlines()]
    assert_same_predictions(parsed, expected(predictor, TEXTS))


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("*/*", "application/json"),
        ("text/*", "text/csv"),
        ("application/jsonlines;q=0.5, text/csv;q=0.9", "text/csv"),
        ("image/png, application/json;q=0.1", "application/json"),
    ],
)
def test_accept_negotiation(server, accept: str, content_type: str) -> None:
    answer = server.invoke(json.dumps(TEXTS), accept=accept)
    assert answer.status == 200
    assert answer.headers["content-type"] == content_type


def test_a_batch_scored_in_several_steps_matches_the_predictor(server, predictor: SentimentPredictor) -> None:
    texts = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(50)]
    answer = server.invoke(json.dumps(texts))
    assert answer.status == 200
    assert_same_predictions(answer.json(), expected(predictor, texts))  # type: ignore[arg-type]


def test_overlong_text_is_cut_to_the_cap(server, predictor: SentimentPredictor, serving_limits) -> None:
    text = "Awful, broken on arrival. " * 100 + "Wonderful! " * 2000
    cap = serving_limits.max_text_chars
    assert len(text) > cap
    # The cut changes the answer here (the praise is past the cap), so a missing cut would fail.
    assert predictor.predict([text])[0]["label"] != predictor.predict([text[:cap]])[0]["label"]
    answer = server.invoke(json.dumps({"text": text}))
    assert answer.status == 200
    assert_same_predictions([answer.json()], expected(predictor, [text[:cap]]))  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/invocations", 405),
        ("PUT", "/invocations", 405),
        ("POST", "/ping", 405),
        ("GET", "/", 404),
        ("POST", "/predict", 404),
    ],
)
def test_unknown_routes_and_wrong_methods(server, method: str, path: str, status: int) -> None:
    answer = server.request(method, path, body=b'"x"' if method != "GET" else None)
    assert answer.status == status
    assert "error" in answer.json()  # type: ignore[operator]
