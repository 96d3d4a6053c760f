"""A deployed environment in moto: serving state and spec in SSM, a registry with versions, an endpoint.

moto implements the SageMaker calls used here except ``UpdateEndpoint``; that one call goes to a
botocore Stubber (``FleetClient``), which checks the request (config name, blue/green deployment config,
retained variant properties) and answers like the API. Every other call (CreateModel,
CreateEndpointConfig, UpdateEndpointWeightsAndCapacities, DescribeEndpoint, ...) runs against moto.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from mlops_contracts import parameters
from mlops_contracts.naming import endpoint_name, model_package_group_name
from pipeline_core.endpoint_config import (
    EXCLUDED_FROM_RETENTION,
    ServingSpec,
    deployment_config,
    endpoint_config_body,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
ENV = "dev"
GROUP = model_package_group_name(ENV)
ENDPOINT = endpoint_name(ENV)
DATA_BUCKET = "data-dev"
MODELS_BUCKET = "models-dev"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abcd"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sentiment:abc"
SPEC = ServingSpec(
    environment=ENV,
    endpoint_name=ENDPOINT,
    execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/model-role",
    model_package_group=GROUP,
    instance_type="ml.m5.large",
    initial_instance_count=1,
    kms_key_arn=KEY,
    deployment_config=deployment_config(
        traffic_type="CANARY",
        step_percent=10,
        wait_seconds=120,
        baking_seconds=300,
        timeout_seconds=3600,
        alarm_names=[f"{ENDPOINT}-champion-latency", f"{ENDPOINT}-challenger-latency"],
    ),
    capture_destination=f"s3://{DATA_BUCKET}/data-capture",
    capture_sampling_percent=100,
    tags={"project": "mlops-sentiment", "environment": ENV},
)
TRAINING_SETTINGS = {
    "training-image-uri": IMAGE,
    "training-role-arn": f"arn:aws:iam::{ACCOUNT}:role/training",
    "model-package-group": GROUP,
    "data-bucket": DATA_BUCKET,
    "models-bucket": MODELS_BUCKET,
    "kms-key-arn": KEY,
    "job-name-prefix": "sentiment-dev--",
    "retrain-function-name": "retrain",
    "alert-topic-arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
    "cost-tags": json.dumps(
        {
            "project": "mlops-sentiment",
            "environment": ENV,
            "owner": "ml-platform",
            "cost-center": "ml-research",
        }
    ),
    "training-defaults": json.dumps(
        {
            "instance_type": "ml.m5.large",
            "volume_size_gb": 10,
            "max_runtime_seconds": 1800,
            "max_wait_seconds": 3600,
            "use_spot": True,
            "hyperparameters": {},
        }
    ),
}


class FleetClient:
    """The moto SageMaker client, except UpdateEndpoint, which a botocore Stubber answers."""

    def __init__(self, moto_client: Any) -> None:
        self._moto = moto_client
        self._stubbed = boto3.client("sagemaker", region_name=REGION)
        self.stubber = Stubber(self._stubbed)
        self.stubber.activate()
        self.updates: list[dict[str, Any]] = []

    def expect_update(self) -> None:
        self.stubber.add_response(
            "update_endpoint",
            {"EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"},
            {
                "EndpointName": ENDPOINT,
                "EndpointConfigName": ANY,
                "DeploymentConfig": SPEC.deployment_config,
                "RetainAllVariantProperties": True,
                "ExcludeRetainedVariantProperties": [
                    {"VariantPropertyType": n} for n in EXCLUDED_FROM_RETENTION
                ],
            },
        )

    def expect_update_failure(self, message: str) -> None:
        self.stubber.add_client_error("update_endpoint", "ValidationException", message)

    def update_endpoint(self, **request: Any) -> dict[str, Any]:
        self.updates.append(request)
        return self._stubbed.update_endpoint(**request)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._moto, name)


@dataclass
class Fleet:
    ssm: Any
    s3: Any
    sns: Any
    sqs: Any
    sagemaker: FleetClient
    packages: dict[int, str]  # version -> ARN
    queue_url: str

    def state_value(self, field: str) -> str:
        from pipeline_core.serving_state import state_keys

        name = parameters.parameter_name(ENV, state_keys()[field])
        return str(self.ssm.get_parameter(Name=name)["Parameter"]["Value"])

    def served_packages(self, config_name: str) -> dict[str, str]:
        """variant -> model package ARN of an endpoint config (as moto stored it)."""
        config = self.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
        served = {}
        for variant in variants:
            model = self.sagemaker.describe_model(ModelName=variant["ModelName"])
            served[variant["VariantName"]] = model["Containers"][0]["ModelPackageName"]
        return served

    def live_weights(self) -> dict[str, float]:
        endpoint = self.sagemaker.describe_endpoint(EndpointName=ENDPOINT)
        return {v["VariantName"]: v["CurrentWeight"] for v in endpoint["ProductionVariants"]}

    def alerts(self) -> list[dict[str, Any]]:
        messages = []
        for message in self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            envelope = json.loads(message["Body"])
            messages.append({"subject": envelope.get("Subject"), "body": json.loads(envelope["Message"])})
        return messages

    def model_count(self) -> int:
        return len(self.sagemaker.list_models()["Models"])


def add_package(sagemaker: Any, status: str) -> str:
    return str(
        sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification={
                "Containers": [
                    {"Image": IMAGE, "ModelDataUrl": f"s3://{MODELS_BUCKET}/training-jobs/m.tar.gz"}
                ],
                "SupportedContentTypes": ["application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            ModelApprovalStatus=status,
        )["ModelPackageArn"]
    )


def put_state(ssm: Any, *, champion: str, challenger: str, weights: tuple[str, str] = ("0.9", "0.1")) -> None:
    from pipeline_core.serving_state import state_keys

    keys = state_keys()
    values = {
        "champion": champion,
        "challenger": challenger,
        "previous_champion": "none",
        "champion_weight": weights[0],
        "challenger_weight": weights[1],
    }
    for field, value in values.items():
        ssm.put_parameter(
            Name=parameters.parameter_name(ENV, keys[field]), Value=value, Type="String", Overwrite=True
        )


def create_endpoint(
    sagemaker: Any, champion: str, challenger: str, weights: tuple[float, float] = (0.9, 0.1)
) -> None:
    """The endpoint as the serving stack's first deploy creates it."""
    models = {}
    for variant, package in (("champion", champion), ("challenger", challenger)):
        name = f"cfn-{variant}"
        sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn=SPEC.execution_role_arn,
            Containers=[{"ModelPackageName": package}],
        )
        models[variant] = name
    body = endpoint_config_body(SPEC, models, {"champion": weights[0], "challenger": weights[1]})
    body.pop("DataCaptureConfig")  # moto stores but does not need it
    sagemaker.create_endpoint_config(EndpointConfigName="cfn-config", **body)
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="cfn-config")


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "MLOpsSentimentTest",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ssm = boto3.client("ssm", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        for key, value in TRAINING_SETTINGS.items():
            ssm.put_parameter(Name=parameters.parameter_name(ENV, key), Value=value, Type="String")
        ssm.put_parameter(
            Name=parameters.parameter_name(ENV, parameters.SERVING_SPEC), Value=SPEC.to_json(), Type="String"
        )
        for bucket in (DATA_BUCKET, MODELS_BUCKET):
            s3.create_bucket(Bucket=bucket)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        packages = {1: add_package(sagemaker, "Approved"), 2: add_package(sagemaker, "Approved")}
        packages[3] = add_package(sagemaker, "Rejected")
        yield Fleet(ssm, s3, sns, sqs, FleetClient(sagemaker), packages, queue_url)


CAPTURE = "data-capture/mlops-sentiment-dev-endpoint/{variant}/2025/06/02/10/capture-{n}.jsonl"
LATENCY_US = {"champion": (12000.0, 25000.0, 61000.0), "challenger": (9000.0, 20000.0, 48000.0)}
COUNTS = {"champion": (900.0, 3.0, 6.0), "challenger": (100.0, 1.0, 0.0)}


def record(inference_id: str | None, answer: object, *, base64_output: bool = False) -> str:
    data = json.dumps(answer)
    output = {"observedContentType": "application/json", "mode": "OUTPUT", "data": data, "encoding": "JSON"}
    if base64_output:
        output.update(data=base64.b64encode(data.encode()).decode(), encoding="BASE64")
    metadata = {"eventId": "e", "inferenceTime": "2025-06-02T10:00:00Z"}
    if inference_id:
        metadata["inferenceId"] = inference_id
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "application/json",
                    "data": '"x"',
                    "encoding": "JSON",
                },
                "endpointOutput": output,
            },
            "eventMetadata": metadata,
            "eventVersion": "0",
        }
    )


def capture(fleet, variant: str, total: int, correct: int) -> dict[str, int]:
    """``total`` single-text requests, ``correct`` of them right, plus requests that must not count."""
    labels, lines = {}, []
    for index in range(total):
        inference_id = f"{variant}-{index}"
        truth = index % 2
        predicted = truth if index < correct else 1 - truth
        lines.append(
            record(
                inference_id,
                {"label": ["negative", "positive"][predicted], "probability": 0.9, "model_version": "v"},
                base64_output=index == 0,
            )
        )
        labels[inference_id] = truth
    lines.append(record(f"{variant}-batch", [{"label": "positive"}, {"label": "negative"}]))  # two texts
    lines.append(record(None, {"label": "positive"}))  # no inference id
    labels[f"{variant}-batch"] = 1
    fleet.s3.put_object(
        Bucket="data-dev", Key=CAPTURE.format(variant=variant, n=1), Body="\n".join(lines).encode()
    )
    return labels


def metric_response() -> dict:
    results = []
    for index, variant in enumerate(("champion", "challenger")):
        values = (*COUNTS[variant], *LATENCY_US[variant])
        for offset, value in enumerate(values):
            results.append(
                {"Id": f"m{index}_{index * 6 + offset}", "Values": [value], "StatusCode": "Complete"}
            )
    return {"MetricDataResults": results}


@pytest.fixture
def kit() -> Any:
    from types import SimpleNamespace

    from config import load_environments

    return SimpleNamespace(
        put_state=put_state,
        capture=capture,
        metric_response=metric_response,
        create_endpoint=create_endpoint,
        add_package=add_package,
        config=lambda name: {env.name: env for env in load_environments({})}[name],
        SPEC=SPEC,
        GROUP=GROUP,
        ENDPOINT=ENDPOINT,
        DATA_BUCKET=DATA_BUCKET,
        MODELS_BUCKET=MODELS_BUCKET,
    )
