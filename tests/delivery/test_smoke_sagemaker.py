"""The smoke test's SageMaker target: DescribeEndpoint then InvokeEndpoint, checked with botocore's
Stubber so the exact API parameters (endpoint name, content types) are verified."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from mlops_contracts import naming
from ops_cli.smoke_formats import FORMATS
from ops_cli.smoke_test import load_cases, run
from ops_cli.smoke_transport import SageMakerTransport
from tests.delivery.conftest import CASES

ENDPOINT = naming.endpoint_name("staging")


def _client(service: str):
    return boto3.client(
        service,
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",  # noqa: S106
    )


def _answer(fmt, texts: list[str], labels: dict[str, str]) -> tuple[bytes, str]:
    predictions = [{"label": labels[t], "probability": 0.93, "model_version": "v7"} for t in texts]
    if fmt.accept == "text/csv":
        return "".join(f"{p['label']},0.93,v7\n" for p in predictions).encode(), fmt.accept
    if fmt.accept == "application/jsonlines":
        return "".join(json.dumps(p) + "\n" for p in predictions).encode(), fmt.accept
    return json.dumps(predictions[0] if fmt.single else predictions).encode(), fmt.accept


@pytest.fixture
def stubbed():
    sagemaker, runtime = _client("sagemaker"), _client("sagemaker-runtime")
    with Stubber(sagemaker) as sagemaker_stub, Stubber(runtime) as runtime_stub:
        yield SageMakerTransport(ENDPOINT, sagemaker, runtime), sagemaker_stub, runtime_stub


def _expect_describe(stub: Stubber, status: str) -> None:
    stub.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:eu-west-1:111111111111:endpoint/{ENDPOINT}",
            "EndpointConfigName": "config",
            "EndpointStatus": status,
            "CreationTime": "2026-01-01T00:00:00Z",
            "LastModifiedTime": "2026-01-01T00:00:00Z",
        },
        {"EndpointName": ENDPOINT},
    )


def _expect_invocations(stub: Stubber, cases, labels_answered: dict[str, str]) -> None:
    for fmt in FORMATS:
        batches = [[c] for c in cases] if fmt.single else [cases]
        for batch in batches:
            texts = [c.text for c in batch]
            body, content_type = _answer(fmt, texts, labels_answered)
            stub.add_response(
                "invoke_endpoint",
                {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": content_type},
                {
                    "EndpointName": ENDPOINT,
                    "ContentType": fmt.content_type,
                    "Accept": fmt.accept,
                    "Body": fmt.encode(texts),
                },
            )


def test_a_right_endpoint_passes_through_every_format(stubbed, capsys):
    transport, sagemaker_stub, runtime_stub = stubbed
    cases = load_cases(CASES)
    _expect_describe(sagemaker_stub, "InService")
    _expect_invocations(runtime_stub, cases, {c.text: c.label for c in cases})
    assert run(transport, cases, repeat=1, budget_ms=5000, warmup=0) == 0
    runtime_stub.assert_no_pending_responses()
    assert f"smoke test passed against endpoint {ENDPOINT}: model version v7" in capsys.readouterr().out


def test_an_endpoint_answering_one_label_fails(stubbed, capsys):
    transport, sagemaker_stub, runtime_stub = stubbed
    cases = load_cases(CASES)
    _expect_describe(sagemaker_stub, "InService")
    _expect_invocations(runtime_stub, cases, {c.text: "positive" for c in cases})
    assert run(transport, cases, repeat=1, budget_ms=5000, warmup=0) == 1
    err = capsys.readouterr().err
    assert f"smoke test failed against endpoint {ENDPOINT}: json batch: " in err
    assert "'Broke after two days, a total waste of money.': expected negative, got 'positive'" in err


def test_an_endpoint_not_in_service_fails_before_any_call(stubbed, capsys):
    transport, sagemaker_stub, _ = stubbed
    _expect_describe(sagemaker_stub, "Updating")
    assert run(transport, load_cases(CASES), repeat=1, budget_ms=5000, warmup=0) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"smoke test failed: endpoint {ENDPOINT} is Updating, not InService"
    )


def test_a_model_error_reports_the_container_status(stubbed, capsys):
    transport, sagemaker_stub, runtime_stub = stubbed
    _expect_describe(sagemaker_stub, "InService")
    runtime_stub.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message="Received server error (500)",
        http_status_code=424,
        response_meta={},
    )
    runtime_stub.add_client_error("invoke_endpoint", service_error_code="ValidationError")
    runtime_stub.add_client_error("invoke_endpoint", service_error_code="ValidationError")
    runtime_stub.add_client_error("invoke_endpoint", service_error_code="ValidationError")
    assert run(transport, load_cases(CASES), repeat=1, budget_ms=5000, warmup=0) == 1
    err = capsys.readouterr().err
    assert f"json batch: endpoint {ENDPOINT}: Received server error (500)" in err
    assert "csv: endpoint" in err
