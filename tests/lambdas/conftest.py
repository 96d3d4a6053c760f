"""Fixtures for the pipeline Lambda tests: a moto AWS with the buckets, topic and registry the stack makes.

Alerts are observed the way an operator would receive them: an SQS queue subscribed to the SNS topic.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mlops_contracts.naming import job_name_prefix

EVENTS = Path(__file__).parent / "events"
REGION = "us-east-1"
ACCOUNT = "123456789012"
DATA_BUCKET = "sentiment-dev-data"
MODELS_BUCKET = "sentiment-dev-models"
GROUP = "sentiment-dev"
PREFIX = job_name_prefix("dev")
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sentiment:abc1234"


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "MLOpsSentimentTest",
        "POWERTOOLS_DEV": "false",
    }.items():
        monkeypatch.setenv(name, value)


@dataclass
class FakeAws:
    s3: Any
    sns: Any
    sqs: Any
    sagemaker: Any
    topic_arn: str
    queue_url: str

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts published so far (drains the queue): ``{"subject": .., "body": parsed JSON}``."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return messages
            for message in batch:
                envelope = json.loads(message["Body"])
                messages.append({"subject": envelope.get("Subject"), "body": json.loads(envelope["Message"])})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def aws() -> Iterator[FakeAws]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        for bucket in (DATA_BUCKET, MODELS_BUCKET):
            s3.create_bucket(Bucket=bucket)
            # Like the stack's buckets: S3 events then name the object version that was written.
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        topic_arn = sns.create_topic(Name="sentiment-dev-alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        yield FakeAws(s3=s3, sns=sns, sqs=sqs, sagemaker=sagemaker, topic_arn=topic_arn, queue_url=queue_url)


def load_event(name: str, **replacements: str) -> dict[str, Any]:
    text = (EVENTS / name).read_text(encoding="utf-8")
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def set_training_job_status(name: str, status: str, *, tuning_job_arn: str | None = None) -> None:
    """moto completes jobs at once; tests move a job to the state the scenario needs."""
    from moto.sagemaker.models import sagemaker_backends

    job = sagemaker_backends[ACCOUNT][REGION].training_jobs[name]
    job.training_job_status = status
    if tuning_job_arn:
        job.tuning_job_arn = tuning_job_arn


def evaluation_archive(evaluation: dict[str, Any]) -> bytes:
    """An output.tar.gz as SageMaker uploads /opt/ml/output/data."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in (("evaluation.json", evaluation), ("baseline.json", {"rows": 1})):
            data = json.dumps(payload).encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def metrics_block(accuracy: float, f1: float) -> dict[str, Any]:
    values = {"accuracy": accuracy, "precision": f1, "recall": f1, "f1": f1, "auc": accuracy + 0.05}
    block: dict[str, Any] = {
        name: {"value": value, "standard_deviation": "NaN"} for name, value in values.items()
    }
    block["confusion_matrix"] = {"0": {"0": 40, "1": 8}, "1": {"0": 6, "1": 46}}
    return block


@dataclass
class FakeContext:
    """The attributes Powertools' inject_lambda_context reads from the Lambda context."""

    aws_request_id: str = "5f1c2c8e-0000-4000-8000-000000000001"
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test-function"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "stream"


@pytest.fixture
def kit() -> Any:
    """The helpers above for test modules (importlib mode: tests cannot import conftest by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        load_event=load_event,
        set_training_job_status=set_training_job_status,
        evaluation_archive=evaluation_archive,
        metrics_block=metrics_block,
        context=FakeContext,
        DATA_BUCKET=DATA_BUCKET,
        MODELS_BUCKET=MODELS_BUCKET,
        GROUP=GROUP,
        PREFIX=PREFIX,
        IMAGE=IMAGE,
        REGION=REGION,
        ACCOUNT=ACCOUNT,
    )
