"""The retrain function reads the drift check's Model Accuracy Degraded event as its own trigger kind."""

from __future__ import annotations

import copy

import pytest

from lambda_functions.retrain.triggers import MalformedEventError, parse_trigger, training_job_name
from mlops_contracts import events as contract_events

EVENT = {
    "version": "0",
    "id": "0d4c8f5e-1111-4222-8333-944455556666",
    "detail-type": contract_events.ACCURACY_DETAIL_TYPE,
    "source": contract_events.EVENT_SOURCE,
    "account": "123456789012",
    "time": "2026-11-29T10:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "environment": "dev",
        "endpoint_name": "mlops-sentiment-dev-endpoint",
        "variant": "champion",
        "accuracy": 0.71,
        "threshold": 0.8,
        "labelled_requests": 240,
    },
}


def test_accuracy_event_is_an_accuracy_trigger_with_its_reason() -> None:
    trigger = parse_trigger(EVENT, environment="dev", request_id="r")
    assert trigger.kind == "accuracy" and trigger.requested_by == "drift-check"
    assert trigger.reason == (
        "live accuracy 0.71 under threshold 0.8 on mlops-sentiment-dev-endpoint/champion "
        "(240 labelled requests)"
    )
    assert trigger.identity == f"event:{EVENT['id']}"
    assert "--acc-" in training_job_name("sentiment-dev--", trigger)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("environment", "prod", "accuracy event for environment 'prod' reached the 'dev' function"),
        ("accuracy", "low", "'accuracy' must be a finite number"),
        ("variant", "", "'variant' must be a non-empty string"),
    ],
)
def test_malformed_accuracy_events_are_rejected(path: str, value: object, message: str) -> None:
    event = copy.deepcopy(EVENT)
    event["detail"][path] = value
    with pytest.raises(MalformedEventError, match=message):
        parse_trigger(event, environment="dev", request_id="r")
