"""``python -m ops_cli predict --endpoint``: request and answer handling, with a botocore Stubber."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ops_cli import endpoint_client
from ops_cli.cli import main as ops_main
from ops_cli.endpoint_client import EndpointError, invoke


def _body(payload: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(payload), len(payload))


@pytest.fixture
def client():
    return boto3.client(
        "sagemaker-runtime",
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",  # noqa: S106 - dummy credentials for the stub
    )


def _expect(
    stubber: Stubber, texts: list[str], answer: bytes, content_type: str = "application/jsonlines"
) -> None:
    stubber.add_response(
        "invoke_endpoint",
        {"Body": _body(answer), "ContentType": content_type},
        {
            "EndpointName": "sentiment-dev",
            "ContentType": "application/json",
            "Accept": "application/jsonlines",
            "Body": json.dumps(texts).encode(),
        },
    )


def test_jsonlines_answer_in_batches(client, monkeypatch):
    monkeypatch.setattr(endpoint_client, "TEXTS_PER_REQUEST", 2)
    line = b'{"label": "positive", "probability": 0.9, "model_version": "v1"}\n'
    with Stubber(client) as stubber:
        _expect(stubber, ["a", "b"], line * 2)
        _expect(stubber, ["c"], line)
        answers = invoke(client, "sentiment-dev", ["a", "b", "c"])
        stubber.assert_no_pending_responses()
    assert answers == [{"label": "positive", "probability": 0.9, "model_version": "v1"}] * 3


def test_plain_json_answer_is_accepted(client):
    with Stubber(client) as stubber:
        _expect(stubber, ["a"], b'[{"label": "negative", "probability": 0.7}]', "application/json")
        assert invoke(client, "sentiment-dev", ["a"]) == [{"label": "negative", "probability": 0.7}]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"<html>oops</html>", "unreadable"),
        (b'{"foo": 1}\n', "not a list of"),
        (b'{"label": "positive", "probability": 0.9}\n' * 2, "2 predictions for 1 texts"),
    ],
)
def test_unexpected_answers_are_clear_errors(client, answer, message):
    with Stubber(client) as stubber:
        _expect(stubber, ["a"], answer)
        with pytest.raises(EndpointError, match=message):
            invoke(client, "sentiment-dev", ["a"])


def test_service_error_is_one_line(client):
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "invoke_endpoint",
            service_error_code="ValidationError",
            service_message="Endpoint sentiment-dev not found.",
        )
        with pytest.raises(EndpointError, match="not found"):
            invoke(client, "sentiment-dev", ["a"])


def test_cli_endpoint_mode_writes_lines_and_fails_cleanly(client, monkeypatch, capsys):
    factory = lambda service, **kwargs: client  # noqa: E731 - the one client the stubber controls
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"good\n\nbad\n")))
    with Stubber(client) as stubber:
        _expect(
            stubber,
            ["good", "bad"],
            b'{"label":"positive","probability":0.8}\n{"label":"negative","probability":0.6}\n',
        )
        assert ops_main(["predict", "--endpoint", "sentiment-dev", "--input", "-"], factory) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["label"] for line in lines] == ["positive", None, "negative"]

    with Stubber(client) as stubber:
        stubber.add_client_error(
            "invoke_endpoint", service_error_code="ModelError", service_message="boom\nline two"
        )
        assert ops_main(["predict", "--endpoint", "sentiment-dev", "--text", "hi"], factory) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: endpoint sentiment-dev: boom line two") and err.count("\n") == 1
