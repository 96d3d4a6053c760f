"""The people's CLI against moto (SSM settings, S3 data, SageMaker jobs and registry).

The retrain command invokes a Lambda, which moto can only run in Docker; there a botocore Stubber
checks the request the CLI sends and how it reports the function's answer.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from mlops_contracts.parameters import TRAINING_KEYS, parameter_name
from mlops_contracts.tags import COST_TAG_KEYS
from model_code.hyperparameters import Hyperparameters
from ops_cli.cli import main
from ops_cli.jobs import PARAMETER_RANGES

REGION = "us-east-1"
SETTINGS = {
    "training-image-uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sentiment:abc",
    "training-role-arn": "arn:aws:iam::123456789012:role/training",
    "model-package-group": "sentiment-dev",
    "data-bucket": "data-dev",
    "models-bucket": "models-dev",
    "kms-key-arn": "arn:aws:kms:us-east-1:123456789012:key/abcd",
    "job-name-prefix": "sentiment-dev--",
    "retrain-function-name": "sentiment-dev-retrain",
    "alert-topic-arn": "arn:aws:sns:us-east-1:123456789012:alerts",
    "cost-tags": json.dumps(
        {
            "project": "mlops-sentiment",
            "environment": "dev",
            "owner": "ml-platform",
            "cost-center": "ml-research",
        }
    ),
    "training-defaults": json.dumps(
        {
            "instance_type": "ml.c5.xlarge",
            "volume_size_gb": 12,
            "max_runtime_seconds": 1200,
            "max_wait_seconds": 2400,
            "use_spot": True,
            "hyperparameters": {"c": "3.0", "min_df": "2"},
        }
    ),
}


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ssm = boto3.client("ssm", region_name=REGION)
        for key, value in SETTINGS.items():
            ssm.put_parameter(Name=parameter_name("dev", key), Value=value, Type="String")
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("data-dev", "models-dev"):
            s3.create_bucket(Bucket=bucket)
        prefix = "processed/20250301T000000Z-bbbbbbbbbbbb/"
        for name in ("train.csv", "validation.csv", "manifest.json"):
            s3.put_object(Bucket="data-dev", Key=prefix + name, Body=b"{}")
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model_package_group(ModelPackageGroupName="sentiment-dev")
        yield {"s3": s3, "sagemaker": sagemaker}


def add_package(sagemaker: Any, gate: str, f1: str) -> str:
    return sagemaker.create_model_package(
        ModelPackageGroupName="sentiment-dev",
        InferenceSpecification={
            "Containers": [
                {"Image": SETTINGS["training-image-uri"], "ModelDataUrl": "s3://models-dev/m.tar.gz"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus=gate if gate != "Rejected" else "Rejected",
        CustomerMetadataProperties={"quality_gate": gate, "metric:f1": f1, "training_job": "sentiment-dev-x"},
    )["ModelPackageArn"]


def test_train_starts_a_job_on_the_newest_data_with_spot_off(cloud, capsys) -> None:
    code = main(["train", "--env", "dev", "--no-spot", "--max-runtime", "1800", "--hyperparameter", "c=2.0"])
    assert code == 0
    started = json.loads(capsys.readouterr().out)
    job = cloud["sagemaker"].describe_training_job(TrainingJobName=started["training_job"])
    assert job["HyperParameters"]["c"] == "2.0"
    assert job["HyperParameters"]["mlops_data_version"] == "20250301T000000Z-bbbbbbbbbbbb"
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    assert job["EnableManagedSpotTraining"] is False
    channels = {c["ChannelName"] for c in job["InputDataConfig"]}
    assert channels == {"train", "validation"}


def test_settings_fixture_holds_every_published_parameter() -> None:
    assert set(SETTINGS) == set(TRAINING_KEYS)


def test_unset_job_options_take_the_environments_training_settings_and_all_cost_tags(cloud, capsys) -> None:
    assert main(["train", "--hyperparameter", "c=5.0"]) == 0
    started = json.loads(capsys.readouterr().out)
    job = cloud["sagemaker"].describe_training_job(TrainingJobName=started["training_job"])
    assert job["ResourceConfig"]["InstanceType"] == "ml.c5.xlarge"
    assert job["ResourceConfig"]["VolumeSizeInGB"] == 12
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1200, "MaxWaitTimeInSeconds": 2400}
    assert job["EnableManagedSpotTraining"] is True
    # The command line wins over the environment's hyperparameters; the others stay.
    assert job["HyperParameters"]["c"] == "5.0" and job["HyperParameters"]["min_df"] == "2"
    tags = {
        tag["Key"]: tag["Value"]
        for tag in cloud["sagemaker"].list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
    }
    assert {key: tags[key] for key in COST_TAG_KEYS} == json.loads(SETTINGS["cost-tags"])


def test_a_longer_runtime_than_the_environments_raises_max_wait_with_it(cloud, capsys) -> None:
    assert main(["train", "--max-runtime", "5000"]) == 0
    started = json.loads(capsys.readouterr().out)
    job = cloud["sagemaker"].describe_training_job(TrainingJobName=started["training_job"])
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 5000, "MaxWaitTimeInSeconds": 5000}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("cost-tags", json.dumps({"project": "p"}), "lacks environment, owner, cost-center"),
        ("training-defaults", "not json", "is not JSON"),
        ("training-defaults", json.dumps({"instance_type": "ml.m5.large"}), "lacks volume_size_gb"),
    ],
)
def test_a_stale_published_setting_is_one_line(cloud, capsys, key, value, message) -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=parameter_name("dev", key), Value=value, Type="String", Overwrite=True
    )
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_train_accepts_an_s3_input_folder(cloud, capsys) -> None:
    code = main(["train", "--s3-input", "s3://data-dev/processed/20250301T000000Z-bbbbbbbbbbbb/"])
    assert code == 0
    started = json.loads(capsys.readouterr().out)
    job = cloud["sagemaker"].describe_training_job(TrainingJobName=started["training_job"])
    uris = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in job["InputDataConfig"]}
    assert uris["train"].endswith("/train.csv") and uris["validation"].endswith("/validation.csv")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--hyperparameter", "c_typo=1"], "unknown hyperparameter"),
        (["train", "--hyperparameter", "novalue"], "name=value"),
        (["train", "--max-runtime", "3600", "--max-wait", "60"], "max wait"),
        (["train", "--env", "prod"], "missing SSM parameter"),
        (["train", "--s3-input", "not-a-uri"], "not an S3 URI"),
        (["tune", "--max-jobs", "2", "--max-parallel", "3"], "max-parallel"),
        (["approve", "99", "--comment", "ok"], "no version 99"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(cloud, capsys, argv, message) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_tune_starts_a_bayesian_spot_tuning_job_over_real_hyperparameters(cloud, capsys) -> None:
    assert main(["tune", "--max-jobs", "6", "--max-parallel", "2"]) == 0
    name = json.loads(capsys.readouterr().out)["tuning_job"]
    assert len(name) <= 32
    tuning = cloud["sagemaker"].describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    config = tuning["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Bayesian" and config["TrainingJobEarlyStoppingType"] == "Auto"
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:f1"}
    assert tuning["TrainingJobDefinition"]["EnableManagedSpotTraining"] is True
    known = set(Hyperparameters().to_dict())
    assert {entry["Name"] for ranges in PARAMETER_RANGES.values() for entry in ranges} <= known


def test_versions_lists_packages_and_approve_reject_change_them(cloud, capsys) -> None:
    pending = add_package(cloud["sagemaker"], "PendingManualApproval", "0.870000")
    rejected = add_package(cloud["sagemaker"], "Rejected", "0.700000")

    assert main(["versions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["arn"]: (row["approval"], row["f1"]) for row in rows} == {
        pending: ("PendingManualApproval", 0.87),
        rejected: ("Rejected", 0.7),
    }
    assert main(["versions"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:3] == ["version", "approval", "created"]

    assert main(["approve", "1", "--comment", "checked the confusion matrix"]) == 0
    package = cloud["sagemaker"].describe_model_package(ModelPackageName=pending)
    assert package["ModelApprovalStatus"] == "Approved"
    assert "checked the confusion matrix" in package["ApprovalDescription"]
    assert package["CustomerMetadataProperties"]["metric:f1"] == "0.870000"  # metadata survives the update

    assert main(["approve", rejected, "--comment", "ship it"]) == 1  # the gate said no
    assert "--force" in capsys.readouterr().err
    assert main(["reject", pending, "--comment", "regression on short reviews"]) == 0
    assert (
        cloud["sagemaker"].describe_model_package(ModelPackageName=pending)["ModelApprovalStatus"]
        == "Rejected"
    )


def stubbed_lambda(response: dict[str, Any]) -> tuple[Any, Stubber]:
    client = boto3.client("lambda", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response(
        "invoke",
        response,
        {
            "FunctionName": "sentiment-dev-retrain",
            "InvocationType": "RequestResponse",
            "Payload": ANY,
        },
    )
    stubber.activate()
    return client, stubber


def test_retrain_invokes_the_function_with_the_reason(cloud, capsys) -> None:
    answer = {"status": "started", "job_name": "sentiment-dev-manual-0123456789abcdef"}
    client, stubber = stubbed_lambda({"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())})
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.lambda.Invoke", lambda params, **_: sent.append(params)
    )

    code = main(
        ["retrain", "--reason", "new labels", "--requested-by", "dana"],
        client=lambda n: client if n == "lambda" else boto3.client(n),
    )

    assert code == 0 and json.loads(capsys.readouterr().out) == answer
    payload = json.loads(sent[0]["Payload"])
    assert payload["reason"] == "new labels" and payload["requested_by"] == "dana" and payload["request_id"]
    stubber.assert_no_pending_responses()


def test_retrain_reports_a_function_error_as_one_line(cloud, capsys) -> None:
    body = json.dumps({"errorMessage": "environment variable DATA_BUCKET is not set"}).encode()
    client, _ = stubbed_lambda({"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(body)})
    code = main(["retrain", "--reason", "x"], client=lambda n: client if n == "lambda" else boto3.client(n))
    assert code == 1 and "retrain function failed" in capsys.readouterr().err
