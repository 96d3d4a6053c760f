"""The approval automation: model package state changes -> serving state + guarded rollout + alerts.

Runs against moto with real event shapes; UpdateEndpoint goes through a Stubber (see conftest).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_functions.serving_rollout.events import parse_package_change
from lambda_functions.serving_rollout.rollout import RolloutConfig, handle_package_change

EVENT = Path(__file__).parent / "events" / "model_package_state_change.json"


def event(arn: str, status: str, group: str, version: int = 2) -> dict:
    text = EVENT.read_text().replace("PACKAGE_ARN", arn).replace("APPROVAL_STATUS", status)
    body = json.loads(text.replace("GROUP_NAME", group))
    body["detail"]["ModelPackageVersion"] = version
    return body


@pytest.fixture
def handle(fleet, kit):
    topic = fleet.sns.list_topics()["Topics"][0]["TopicArn"]
    config = RolloutConfig(environment="dev", group=kit.GROUP, alert_topic_arn=topic, spec=kit.SPEC)

    def run(arn: str, status: str, group: str = kit.GROUP, version: int = 2) -> dict:
        change = parse_package_change(event(arn, status, group, version))
        return handle_package_change(change, config, sagemaker=fleet.sagemaker, ssm=fleet.ssm, sns=fleet.sns)

    return run


def test_an_approved_package_is_rolled_out_as_challenger_and_announced(fleet, kit, handle):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger="none")
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[1])
    fleet.sagemaker.expect_update()
    result = handle(fleet.packages[2], "Approved")
    assert result["status"] == "rolling-out" and result["role"] == "challenger"
    assert fleet.state_value("challenger") == fleet.packages[2]
    assert fleet.state_value("champion") == fleet.packages[1]
    (update,) = fleet.sagemaker.updates
    assert fleet.served_packages(update["EndpointConfigName"]) == {
        "champion": fleet.packages[1],
        "challenger": fleet.packages[2],
    }
    (alert,) = fleet.alerts()
    assert alert["subject"] == "[dev] rolling out version 2 as challenger"
    assert (
        alert["body"]["deployment"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"]
        == "CANARY"
    )


def test_the_first_approved_model_becomes_champion_and_waits_for_a_deploy(fleet, kit, handle):
    kit.put_state(fleet.ssm, champion="none", challenger="none")
    result = handle(fleet.packages[1], "Approved", version=1)
    assert result == {"status": "awaiting-deploy", "champion": fleet.packages[1]}
    assert fleet.state_value("champion") == fleet.packages[1]
    assert fleet.sagemaker.updates == []
    (alert,) = fleet.alerts()
    assert alert["subject"] == "[dev] version 1 approved: endpoint waits for a deploy"
    assert "make deploy ENV=dev" in alert["body"]["action"]


def test_a_package_already_served_is_not_rolled_out_again(fleet, kit, handle):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger=fleet.packages[2])
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[2])
    assert handle(fleet.packages[2], "Approved")["status"] == "unchanged"
    assert fleet.sagemaker.updates == [] and fleet.alerts() == []


def test_a_failed_rollout_raises_and_leaves_the_champion_serving(fleet, kit, handle):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger="none")
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[1])
    fleet.sagemaker.expect_update_failure("Cannot update in-progress endpoint")
    with pytest.raises(fleet.sagemaker.exceptions.ClientError):
        handle(fleet.packages[2], "Approved")
    # Not written: the next deploy and the CLI still see the champion alone (Lambda retries, then the DLQ).
    assert fleet.state_value("challenger") == "none"
    assert fleet.state_value("champion") == fleet.packages[1]


def test_a_rejected_challenger_is_withdrawn_and_the_champion_keeps_serving(fleet, kit, handle):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger=fleet.packages[2])
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[2])
    fleet.sagemaker.expect_update()
    result = handle(fleet.packages[2], "Rejected")
    assert result["status"] == "challenger-withdrawn"
    assert fleet.state_value("challenger") == "none"
    (update,) = fleet.sagemaker.updates
    assert fleet.served_packages(update["EndpointConfigName"]) == {
        "champion": fleet.packages[1],
        "challenger": fleet.packages[1],
    }
    (alert,) = fleet.alerts()
    assert "rejected: withdrawn, champion keeps serving" in alert["subject"]


def test_a_rejected_champion_alerts_and_changes_nothing(fleet, kit, handle):
    kit.put_state(fleet.ssm, champion=fleet.packages[2], challenger="none")
    kit.create_endpoint(fleet.sagemaker, fleet.packages[2], fleet.packages[2])
    assert handle(fleet.packages[2], "Rejected")["status"] == "champion-rejected-alerted"
    assert fleet.state_value("champion") == fleet.packages[2]
    assert fleet.sagemaker.updates == []
    (alert,) = fleet.alerts()
    assert "python -m ops_cli rollback --env dev" in alert["body"]["action"]


def test_a_package_of_another_group_is_ignored(fleet, kit, handle):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger="none")
    other = fleet.packages[2].replace(kit.GROUP, "mlops-sentiment-prod-models")
    result = handle(other, "Approved", group="mlops-sentiment-prod-models")
    assert result["status"] == "ignored"
    assert fleet.state_value("challenger") == "none" and fleet.alerts() == []


def test_the_handler_rejects_malformed_events_without_raising(fleet, kit, monkeypatch):
    from lambda_functions.serving_rollout import handler

    monkeypatch.setenv("ENVIRONMENT_NAME", "dev")
    monkeypatch.setenv("MODEL_PACKAGE_GROUP", kit.GROUP)
    monkeypatch.setenv("ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts")
    monkeypatch.setenv("SERVING_SPEC", kit.SPEC.to_json())
    broken = event(fleet.packages[2], "Approved", kit.GROUP)
    del broken["detail"]["ModelPackageArn"]

    class Context:
        aws_request_id = "1"
        function_name = "serving-rollout"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:serving-rollout"
        log_group_name = "/aws/lambda/serving-rollout"
        log_stream_name = "s"

    result = handler.lambda_handler(broken, Context())
    assert result == {
        "status": "rejected",
        "reason": "event detail: 'ModelPackageArn' must be a non-empty string",
    }
