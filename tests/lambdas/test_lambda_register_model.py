"""Registration Lambda against moto: gate verdicts with lineage, idempotent replays, failure alerts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_functions.register_model import handler as register_handler
from lambda_functions.register_model.config import RegisterConfig
from lambda_functions.register_model.events import parse_state_change
from lambda_functions.register_model.register import handle_state_change
from mlops_contracts import metrics as metric_names

JOB = "sentiment-dev--sched-0123456789abcdef"


def register_env(kit: Any, topic_arn: str, *, auto_approve: str = "false") -> dict[str, str]:
    return {
        "ENVIRONMENT_NAME": "dev",
        "MODEL_PACKAGE_GROUP": kit.GROUP,
        "MODELS_BUCKET": kit.MODELS_BUCKET,
        "ALERT_TOPIC_ARN": topic_arn,
        "MIN_ACCURACY": "0.80",
        "MIN_F1": "0.80",
        "MAX_REGRESSION": "0.0",
        "AUTO_APPROVE": auto_approve,
    }


def make_job(aws: Any, kit: Any, name: str, evaluation: dict[str, Any] | None) -> None:
    aws.sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": kit.IMAGE, "TrainingInputMode": "File"},
        RoleArn=f"arn:aws:iam::{kit.ACCOUNT}:role/training",
        HyperParameters={
            "c": "4.0",
            "word_ngram_max": "3",
            "mlops_git_sha": "abc1234",
            "mlops_data_version": "20250301T000000Z-bbbbbbbbbbbb",
            "mlops_trigger_reason": "drift: drift 0.31 over threshold 0.2 on sentiment-dev",
        },
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{kit.DATA_BUCKET}/x/"}
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{kit.MODELS_BUCKET}/training-jobs/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    if evaluation is not None:
        key = f"training-jobs/{name}/output/output.tar.gz"
        aws.s3.put_object(Bucket=kit.MODELS_BUCKET, Key=key, Body=kit.evaluation_archive(evaluation))


def evaluation(kit: Any, accuracy: float, f1: float, champion: tuple[float, float] | None) -> dict[str, Any]:
    return {
        "binary_classification_metrics": kit.metrics_block(accuracy, f1),
        "validation": {"rows": 100, "sha256": "9" * 64},
        "champion": None
        if champion is None
        else {"binary_classification_metrics": kit.metrics_block(*champion)},
    }


def handle(aws: Any, kit: Any, event: dict[str, Any], **env: str) -> dict[str, Any]:
    config = RegisterConfig.from_env(register_env(kit, aws.topic_arn, **env))
    return handle_state_change(
        parse_state_change(event), config, sagemaker=aws.sagemaker, s3=aws.s3, sns=aws.sns
    )


def only_package(aws: Any, kit: Any) -> dict[str, Any]:
    summaries = aws.sagemaker.list_model_packages(ModelPackageGroupName=kit.GROUP)["ModelPackageSummaryList"]
    assert len(summaries) == 1
    return aws.sagemaker.describe_model_package(ModelPackageName=summaries[0]["ModelPackageArn"])


def test_better_candidate_registers_pending_approval_with_metrics_and_lineage(aws, kit) -> None:
    make_job(aws, kit, JOB, evaluation(kit, 0.88, 0.87, champion=(0.85, 0.84)))

    result = handle(aws, kit, kit.load_event("training_job_completed.json", JOB_NAME=JOB))

    assert result["status"] == "registered"
    package = only_package(aws, kit)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert "0.8700 vs 0.8400" in package["ApprovalDescription"]
    container = package["InferenceSpecification"]["Containers"][0]
    assert container == {
        "Image": kit.IMAGE,
        "ModelDataUrl": f"s3://{kit.MODELS_BUCKET}/training-jobs/{JOB}/output/model.tar.gz",
    }
    assert set(package["InferenceSpecification"]["SupportedContentTypes"]) == {
        "application/json",
        "application/jsonlines",
        "text/csv",
    }
    metrics_uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert metrics_uri == f"s3://{kit.MODELS_BUCKET}/model-metrics/{JOB}/evaluation.json"
    copied = json.loads(
        aws.s3.get_object(Bucket=kit.MODELS_BUCKET, Key=f"model-metrics/{JOB}/evaluation.json")["Body"].read()
    )
    assert copied["binary_classification_metrics"]["f1"]["value"] == 0.87
    metadata = package["CustomerMetadataProperties"]
    assert metadata["training_job"] == JOB
    assert metadata["git_sha"] == "abc1234"
    assert metadata["data_version"] == "20250301T000000Z-bbbbbbbbbbbb"
    assert metadata["trigger_reason"].startswith("drift: drift 0.31")
    assert metadata["validation_sha256"] == "9" * 64
    assert metadata["metric:f1"] == "0.870000" and metadata["hp:c"] == "4.0"
    assert "mlops_git_sha" not in json.dumps(metadata)  # platform keys are lineage, not hyperparameters
    alerts = aws.alerts()
    assert len(alerts) == 1 and "PendingManualApproval" in alerts[0]["subject"]
    assert alerts[0]["body"]["model_package_arn"] == package["ModelPackageArn"]


def test_worse_candidate_registers_rejected_with_the_reason(aws, kit) -> None:
    make_job(aws, kit, JOB, evaluation(kit, 0.86, 0.83, champion=(0.87, 0.86)))

    result = handle(
        aws, kit, kit.load_event("training_job_completed.json", JOB_NAME=JOB), auto_approve="true"
    )

    package = only_package(aws, kit)
    assert result["approval_status"] == package["ModelApprovalStatus"] == "Rejected"
    assert "f1 0.8300 worse than the approved model's 0.8600" in package["ApprovalDescription"]
    assert "accuracy 0.8600 worse" in package["ApprovalDescription"]
    assert "Rejected" in aws.alerts()[0]["subject"]


def test_candidate_below_minimum_is_rejected_even_without_champion(aws, kit) -> None:
    make_job(aws, kit, JOB, evaluation(kit, 0.75, 0.82, champion=None))
    handle(aws, kit, kit.load_event("training_job_completed.json", JOB_NAME=JOB))
    package = only_package(aws, kit)
    assert package["ModelApprovalStatus"] == "Rejected"
    assert "accuracy 0.7500 below minimum 0.8000" in package["ApprovalDescription"]


def test_auto_approve_approves_a_passing_first_model(aws, kit) -> None:
    make_job(aws, kit, JOB, evaluation(kit, 0.88, 0.87, champion=None))
    handle(aws, kit, kit.load_event("training_job_completed.json", JOB_NAME=JOB), auto_approve="true")
    assert only_package(aws, kit)["ModelApprovalStatus"] == "Approved"


def test_replayed_event_registers_the_job_once(aws, kit) -> None:
    make_job(aws, kit, JOB, evaluation(kit, 0.88, 0.87, champion=None))
    event = kit.load_event("training_job_completed.json", JOB_NAME=JOB)
    first = handle(aws, kit, event)
    second = handle(aws, kit, event)
    assert second["status"] == "already_registered"
    assert second["model_package_arn"] == first["model_package_arn"]
    only_package(aws, kit)


def test_failed_job_alerts_with_the_failure_reason(aws, kit) -> None:
    make_job(aws, kit, JOB, None)
    kit.set_training_job_status(JOB, "Failed")
    result = handle(aws, kit, kit.load_event("training_job_failed.json", JOB_NAME=JOB))
    assert result["status"] == "alerted"
    alerts = aws.alerts()
    assert len(alerts) == 1 and f"training job Failed: {JOB}" in alerts[0]["subject"]
    # moto keeps no FailureReason, so the event's reason is the one reported.
    assert alerts[0]["body"]["failure_reason"] == "AlgorithmError: no data: train channel is empty"
    assert aws.sagemaker.list_model_packages(ModelPackageGroupName=kit.GROUP)["ModelPackageSummaryList"] == []


def test_completed_job_without_evaluation_alerts_and_registers_nothing(aws, kit) -> None:
    make_job(aws, kit, JOB, None)
    result = handle(aws, kit, kit.load_event("training_job_completed.json", JOB_NAME=JOB))
    assert result["status"] == "failed" and "no output archive" in result["detail"]
    assert "cannot be registered" in aws.alerts()[0]["subject"]


def test_tuning_child_is_skipped_and_the_tuning_job_registers_its_best(aws, kit) -> None:
    tuning_arn = (
        f"arn:aws:sagemaker:{kit.REGION}:{kit.ACCOUNT}:hyper-parameter-tuning-job/sentiment-dev--hpo-1"
    )
    best = "sentiment-dev--hpo-1-002-1a2b3c4d"
    make_job(aws, kit, best, evaluation(kit, 0.88, 0.87, champion=None))
    kit.set_training_job_status(best, "Completed", tuning_job_arn=tuning_arn)

    child = handle(aws, kit, kit.load_event("training_job_completed.json", JOB_NAME=best))
    tuning = handle(
        aws,
        kit,
        kit.load_event(
            "tuning_job_completed.json", TUNING_JOB_NAME="sentiment-dev--hpo-1", BEST_JOB_NAME=best
        ),
    )

    assert child["status"] == "ignored"
    assert tuning["status"] == "registered" and tuning["tuning_job"] == "sentiment-dev--hpo-1"
    assert only_package(aws, kit)["CustomerMetadataProperties"]["training_job"] == best


def test_another_environments_job_is_ignored(aws, kit) -> None:
    result = handle(
        aws, kit, kit.load_event("training_job_completed.json", JOB_NAME="sentiment-prod-sched-1")
    )
    assert result["status"] == "ignored"
    assert aws.alerts() == []


def test_a_failed_job_publishes_the_metric_the_failed_training_alarm_watches(
    aws, kit, monkeypatch, capsys
) -> None:
    for name, value in register_env(kit, aws.topic_arn).items():
        monkeypatch.setenv(name, value)
    make_job(aws, kit, JOB, None)
    kit.set_training_job_status(JOB, "Failed")
    event = kit.load_event("training_job_failed.json", JOB_NAME=JOB)
    assert register_handler.lambda_handler(event, kit.context())["status"] == "alerted"
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = {
        m["Name"] for record in emitted for d in record["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]
    }
    assert metric_names.REGISTRATION_ALERTED in names  # constructs_lib/function_alarms.py alarms on it


@pytest.mark.parametrize(
    "event",
    [
        "not an object",
        {"source": "aws.sagemaker", "detail-type": "SageMaker Training Job State Change", "detail": {}},
        {"source": "aws.sagemaker", "detail-type": "SageMaker Endpoint State Change", "detail": {}},
        {"source": "aws.sagemaker", "detail-type": "SageMaker Training Job State Change", "detail": "x"},
    ],
)
def test_handler_logs_and_rejects_malformed_events_without_raising(
    aws, kit, monkeypatch, caplog, event
) -> None:
    for name, value in register_env(kit, aws.topic_arn).items():
        monkeypatch.setenv(name, value)
    result = register_handler.lambda_handler(event, kit.context())
    assert result["status"] == "rejected" and result["reason"]
    assert any(r.levelname == "ERROR" and "malformed" in r.getMessage() for r in caplog.records)
    assert aws.alerts() == []


# --- failure paths (issue 7) -----------------------------------------------------------------------


def fail_once(client: Any, operation: str, code: str = "ThrottlingException") -> list[str]:
    """The next ``operation`` call on this real (moto) client fails as AWS would; later calls pass."""
    from botocore.exceptions import ClientError

    failures: list[str] = []

    def hook(**_: Any) -> None:
        if not failures:
            failures.append(operation)
            raise ClientError({"Error": {"Code": code, "Message": f"simulated {code}"}}, operation)

    event_name = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register(event_name, hook)
    return failures


def test_retry_after_a_failed_approval_update_finishes_registration_and_alerts(aws, kit) -> None:
    """Before: the retry found the package and answered already_registered; no description, no alert."""
    from botocore.exceptions import ClientError

    make_job(aws, kit, JOB, evaluation(kit, 0.88, 0.87, champion=(0.85, 0.84)))
    event = kit.load_event("training_job_completed.json", JOB_NAME=JOB)
    failed = fail_once(aws.sagemaker, "UpdateModelPackage")
    with pytest.raises(ClientError):
        handle(aws, kit, event)  # Lambda retries the invocation
    assert failed == ["UpdateModelPackage"]
    assert not only_package(aws, kit).get("ApprovalDescription") and aws.alerts() == []

    retried = handle(aws, kit, event)

    assert retried["status"] == "registered"
    assert retried["resumed_steps"] == ["approval_description", "alert"]
    package = only_package(aws, kit)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ApprovalDescription"].startswith("Passed the quality gate; waiting for a person")
    assert "0.8700 vs 0.8400" in package["ApprovalDescription"]
    alerts = aws.alerts()
    assert len(alerts) == 1 and "PendingManualApproval" in alerts[0]["subject"]
    assert alerts[0]["body"]["model_package_arn"] == package["ModelPackageArn"]
    assert package["CustomerMetadataProperties"]["registration_alert"]
    assert package["CustomerMetadataProperties"]["metric:f1"] == "0.870000"  # lineage kept

    assert handle(aws, kit, event)["status"] == "already_registered"  # nothing left to do
    assert aws.alerts() == []


def test_retry_after_a_failed_alert_sends_it_once(aws, kit) -> None:
    from botocore.exceptions import ClientError

    make_job(aws, kit, JOB, evaluation(kit, 0.86, 0.83, champion=(0.87, 0.86)))
    event = kit.load_event("training_job_completed.json", JOB_NAME=JOB)
    fail_once(aws.sns, "Publish", code="InternalError")
    with pytest.raises(ClientError):
        handle(aws, kit, event)
    assert "worse than the approved model" in only_package(aws, kit)["ApprovalDescription"]

    retried = handle(aws, kit, event)

    assert retried["resumed_steps"] == ["alert"] and retried["approval_status"] == "Rejected"
    alerts = aws.alerts()
    assert len(alerts) == 1 and "Rejected" in alerts[0]["subject"]
    assert "worse than the approved model" in alerts[0]["body"]["approval_description"]
    assert only_package(aws, kit)["ModelApprovalStatus"] == "Rejected"
    assert handle(aws, kit, event)["status"] == "already_registered" and aws.alerts() == []


def test_archive_answered_with_403_fails_with_an_alert_instead_of_retrying(aws, kit) -> None:
    """Without s3:ListBucket S3 answers a missing key with 403. Before: raised, retried, dead-letter queue."""
    make_job(aws, kit, JOB, None)
    fail_once(aws.s3, "HeadObject", code="403")
    result = handle(aws, kit, kit.load_event("training_job_completed.json", JOB_NAME=JOB))
    assert result["status"] == "failed"
    assert result["detail"] == (
        f"no readable output archive at s3://{kit.MODELS_BUCKET}/training-jobs/{JOB}/output/output.tar.gz "
        "(403: it does not exist, or this function is not allowed to read it)"
    )
    alerts = aws.alerts()
    assert len(alerts) == 1 and "cannot be registered" in alerts[0]["subject"]
    assert alerts[0]["body"]["error"] == result["detail"]
    assert aws.sagemaker.list_model_packages(ModelPackageGroupName=kit.GROUP)["ModelPackageSummaryList"] == []


def test_throttled_archive_read_is_still_retried(aws, kit) -> None:
    from botocore.exceptions import ClientError

    make_job(aws, kit, JOB, evaluation(kit, 0.88, 0.87, champion=None))
    fail_once(aws.s3, "HeadObject", code="SlowDown")
    event = kit.load_event("training_job_completed.json", JOB_NAME=JOB)
    with pytest.raises(ClientError):
        handle(aws, kit, event)
    assert aws.alerts() == []
    assert handle(aws, kit, event)["status"] == "registered"
