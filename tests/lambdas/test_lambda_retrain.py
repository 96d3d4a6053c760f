"""Retrain Lambda against moto: idempotence per trigger, one job at a time, data and champion channels."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lambda_functions.retrain import handler as retrain_handler
from lambda_functions.retrain.config import RetrainConfig
from lambda_functions.retrain.start_job import start_retraining
from lambda_functions.retrain.triggers import MalformedEventError, parse_trigger
from pipeline_core.training_job import METRIC_DEFINITIONS


def retrain_env(kit: Any, topic_arn: str) -> dict[str, str]:
    return {
        "ENVIRONMENT_NAME": "dev",
        "TRAINING_IMAGE_URI": kit.IMAGE,
        "TRAINING_ROLE_ARN": f"arn:aws:iam::{kit.ACCOUNT}:role/sentiment-dev-training",
        "DATA_BUCKET": kit.DATA_BUCKET,
        "MODELS_BUCKET": kit.MODELS_BUCKET,
        "KMS_KEY_ARN": f"arn:aws:kms:{kit.REGION}:{kit.ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "INSTANCE_TYPE": "ml.m5.large",
        "VOLUME_SIZE_GB": "10",
        "MAX_RUNTIME_SECONDS": "3600",
        "MAX_WAIT_SECONDS": "7200",
        "USE_SPOT": "true",
        "HYPERPARAMETERS": json.dumps({"c": "4.0"}),
        "MODEL_PACKAGE_GROUP": kit.GROUP,
        "GIT_SHA": "abc1234",
        "ALERT_TOPIC_ARN": topic_arn,
        "COST_TAGS": json.dumps({"project": "mlops-sentiment", "cost-center": "ml (team #7)"}),
    }


def put_data_version(aws: Any, kit: Any, version: str, *, manifest: bool = True) -> None:
    prefix = f"processed/{version}/"
    for name in ("train.csv", "validation.csv"):
        aws.s3.put_object(Bucket=kit.DATA_BUCKET, Key=prefix + name, Body=b"text,label\ngood,1\n")
    if manifest:
        body = json.dumps({"digest": version.rsplit("-", 1)[-1] + "f" * 52})
        aws.s3.put_object(Bucket=kit.DATA_BUCKET, Key=prefix + "manifest.json", Body=body)


def record_requests(client: Any) -> list[dict[str, Any]]:
    """The CreateTrainingJob parameters as sent (moto drops some fields, e.g. Environment)."""
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.sagemaker.CreateTrainingJob", lambda params, **_: sent.append(dict(params))
    )
    return sent


def run(aws: Any, kit: Any, event: dict[str, Any], request_id: str = "req-1") -> dict[str, Any]:
    config = RetrainConfig.from_env(retrain_env(kit, aws.topic_arn))
    trigger = parse_trigger(event, environment="dev", request_id=request_id)
    return start_retraining(trigger, config, sagemaker=aws.sagemaker, s3=aws.s3, sns=aws.sns)


def test_scheduled_event_starts_one_spot_job_on_the_newest_complete_version(aws, kit) -> None:
    put_data_version(aws, kit, "20250101T000000Z-aaaaaaaaaaaa")
    put_data_version(aws, kit, "20250301T000000Z-bbbbbbbbbbbb")
    put_data_version(aws, kit, "20250401T000000Z-cccccccccccc", manifest=False)  # half-written: not used
    sent = record_requests(aws.sagemaker)

    result = run(aws, kit, kit.load_event("scheduled_event.json"))

    assert result["status"] == "started"
    assert result["data_version"] == "20250301T000000Z-bbbbbbbbbbbb"
    request = sent[0]
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]
    }
    assert channels == {
        "train": f"s3://{kit.DATA_BUCKET}/processed/20250301T000000Z-bbbbbbbbbbbb/train.csv",
        "validation": f"s3://{kit.DATA_BUCKET}/processed/20250301T000000Z-bbbbbbbbbbbb/validation.csv",
    }
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert (
        request["CheckpointConfig"]["S3Uri"] == f"s3://{kit.MODELS_BUCKET}/checkpoints/{result['job_name']}/"
    )
    assert request["OutputDataConfig"]["KmsKeyId"].startswith("arn:aws:kms:")
    assert request["ResourceConfig"]["VolumeKmsKeyId"] == request["OutputDataConfig"]["KmsKeyId"]
    assert request["EnableNetworkIsolation"] is True
    assert request["Environment"]["MLOPS_TRIGGER_REASON"].startswith(
        "schedule: schedule sentiment-dev-weekly"
    )
    tags = {tag["Key"]: tag["Value"] for tag in request["Tags"]}
    assert tags["mlops:data-version"] == "20250301T000000Z-bbbbbbbbbbbb"
    assert tags["mlops:git-sha"] == "abc1234"
    assert tags["cost-center"] == "ml _team _7_"  # parentheses and # are not allowed in tag values
    assert request["HyperParameters"]["c"] == "4.0"
    assert len(result["job_name"]) <= 63 and result["job_name"].startswith("sentiment-dev--sched-")
    described = aws.sagemaker.describe_training_job(TrainingJobName=result["job_name"])
    assert described["TrainingJobName"] == result["job_name"]


def test_metric_definitions_match_the_models_log_lines() -> None:
    line = "epoch done validation:accuracy=0.8712; validation:f1=0.8650; validation:auc=0.9301;"
    found = {d["Name"]: re.search(d["Regex"], line) for d in METRIC_DEFINITIONS}
    assert found["validation:accuracy"].group(1) == "0.8712"
    assert found["validation:f1"].group(1) == "0.8650"
    assert found["validation:precision"] is None


def test_the_same_trigger_delivered_twice_starts_one_job(aws, kit) -> None:
    put_data_version(aws, kit, "20250301T000000Z-bbbbbbbbbbbb")
    event = kit.load_event("drift_event.json")
    first = run(aws, kit, event)
    kit.set_training_job_status(first["job_name"], "InProgress")

    second = run(aws, kit, event)

    assert first["status"] == "started"
    assert second == {**second, "status": "duplicate", "job_name": first["job_name"]}
    assert len(aws.sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 1


@pytest.mark.parametrize("state", ["InProgress", "Stopping"])
def test_a_trigger_while_a_job_runs_starts_none(aws, kit, state) -> None:
    put_data_version(aws, kit, "20250301T000000Z-bbbbbbbbbbbb")
    running = run(aws, kit, kit.load_event("scheduled_event.json"))
    kit.set_training_job_status(running["job_name"], state)

    result = run(aws, kit, {"reason": "new labels arrived", "requested_by": "alice"})

    assert result["status"] == "skipped"
    assert result["running_jobs"] == [running["job_name"]]
    assert len(aws.sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 1


def test_a_finished_job_does_not_block_the_next_trigger(aws, kit) -> None:
    put_data_version(aws, kit, "20250301T000000Z-bbbbbbbbbbbb")
    first = run(aws, kit, kit.load_event("scheduled_event.json"))  # moto: Completed at once
    second = run(aws, kit, {"reason": "manual", "requested_by": "bob", "request_id": "cli-1"})
    assert (first["status"], second["status"]) == ("started", "started")
    assert first["job_name"] != second["job_name"]


def test_no_processed_data_skips_and_alerts(aws, kit) -> None:
    result = run(aws, kit, kit.load_event("scheduled_event.json"))
    assert result["status"] == "skipped"
    assert "no processed data version" in result["detail"]
    alerts = aws.alerts()
    assert len(alerts) == 1 and "nothing to train on" in alerts[0]["subject"]
    assert aws.sagemaker.list_training_jobs()["TrainingJobSummaries"] == []


def test_champion_channel_is_the_newest_approved_model(aws, kit) -> None:
    put_data_version(aws, kit, "20250301T000000Z-bbbbbbbbbbbb")
    for data_url, status in (
        ("s3://m/old/model.tar.gz", "Approved"),
        ("s3://m/new/model.tar.gz", "Approved"),
    ):
        aws.sagemaker.create_model_package(
            ModelPackageGroupName=kit.GROUP,
            InferenceSpecification={
                "Containers": [{"Image": kit.IMAGE, "ModelDataUrl": data_url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelApprovalStatus=status,
        )
    sent = record_requests(aws.sagemaker)
    result = run(aws, kit, kit.load_event("scheduled_event.json"))
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in sent[0]["InputDataConfig"]
    }
    assert result["champion_model"] == channels["champion"] == "s3://m/new/model.tar.gz"


@pytest.mark.parametrize(
    "event",
    [
        [],
        {"source": "aws.events", "detail-type": "Scheduled Event"},  # no id: no idempotency key
        {
            "source": "mlops-sentiment",
            "detail-type": "Model Drift Detected",
            "id": "x",
            "detail": {"environment": "dev"},
        },
        {"source": "aws.s3", "detail-type": "Object Created", "id": "x"},
        {"reason": ""},
        {"source": "aws.events", "detail-type": "Scheduled Event", "id": "x", "resources": {"a": 1}},
        {"source": "aws.events", "detail-type": "Scheduled Event", "id": "x", "resources": 7},
    ],
)
def test_malformed_events_are_rejected_by_the_parser(event) -> None:
    with pytest.raises(MalformedEventError):
        parse_trigger(event, environment="dev", request_id="r")


def test_drift_event_of_another_environment_is_rejected() -> None:
    event = {"source": "mlops-sentiment", "detail-type": "Model Drift Detected", "id": "x"}
    event["detail"] = {"environment": "prod", "drift_score": 0.3, "threshold": 0.2, "endpoint_name": "e"}
    with pytest.raises(MalformedEventError, match="prod"):
        parse_trigger(event, environment="dev", request_id="r")


def test_handler_logs_and_rejects_a_malformed_event_without_raising(aws, kit, monkeypatch, caplog) -> None:
    for name, value in retrain_env(kit, aws.topic_arn).items():
        monkeypatch.setenv(name, value)
    result = retrain_handler.lambda_handler({"detail-type": "Something Else"}, kit.context())
    assert result["status"] == "rejected"
    assert "unsupported event" in result["reason"]
    assert any(
        r.levelname == "ERROR" and "rejected malformed event" in r.getMessage() for r in caplog.records
    )
    assert aws.sagemaker.list_training_jobs()["TrainingJobSummaries"] == []


def test_handler_starts_a_job_for_a_direct_invocation(aws, kit, monkeypatch) -> None:
    for name, value in retrain_env(kit, aws.topic_arn).items():
        monkeypatch.setenv(name, value)
    put_data_version(aws, kit, "20250301T000000Z-bbbbbbbbbbbb")
    result = retrain_handler.lambda_handler({"reason": "new data", "requested_by": "carol"}, kit.context())
    assert result["status"] == "started"
    assert result["job_name"].startswith("sentiment-dev--manual-")
