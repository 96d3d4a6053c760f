"""The CreateTrainingJob request, built once for the retrain Lambda, the CLI and the tuning job.

Choices that hold for every job (see docs/operations.md):
- Network isolation ON: the image reads its channels from /opt/ml/input and writes /opt/ml/model;
  SageMaker moves data and checkpoints outside the container, so the container needs no network.
- Managed spot training with S3 checkpoints; MaxWait >= MaxRuntime is checked here, not by a failed call.
- The KMS key encrypts both the output artifacts and the training volume.
- Platform metadata (trigger reason, data version, git sha) travels twice: as tags (cost reports,
  console) and as ``mlops_*`` hyperparameters, which DescribeTrainingJob returns, so registration
  needs no sagemaker:ListTags call and tuning jobs carry it to every child job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_contracts import content_types
from mlops_contracts import metrics as contract_metrics
from mlops_contracts.tags import (
    HP_DATA_VERSION,
    HP_GIT_SHA,
    HP_TRIGGER_REASON,
    TAG_DATA_VERSION,
    TAG_GIT_SHA,
    TAG_TRIGGER_REASON,
)
from pipeline_core.tags import sanitize_tag_value, to_aws_tags

_PREFIX = contract_metrics.VALIDATION_METRIC_PREFIX

MAX_TRAINING_JOB_NAME_CHARS = 63
MAX_TUNING_JOB_NAME_CHARS = 32
_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
# The model prints lines like ``validation:accuracy=0.8712;``; SageMaker scrapes them from the log.
METRIC_DEFINITIONS = [
    {"Name": f"{_PREFIX}{name}", "Regex": f"{_PREFIX}{name}=([0-9.]+)"}
    for name in contract_metrics.VALIDATION_METRICS
]
# SageMaker's limit for one hyperparameter value.
_MAX_HYPERPARAMETER_CHARS = 2500


class JobConfigError(ValueError):
    """The job cannot be described as configured (bad name, runtime limits, hyperparameters)."""


@dataclass(frozen=True)
class TrainingJobSpec:
    job_name: str
    image_uri: str
    role_arn: str
    train_s3_uri: str
    output_s3_uri: str
    instance_type: str
    max_runtime_seconds: int
    validation_s3_uri: str | None = None
    champion_model_s3_uri: str | None = None
    checkpoint_s3_uri: str | None = None
    kms_key_arn: str | None = None
    volume_size_gb: int = 10
    use_spot: bool = True
    max_wait_seconds: int | None = None
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    trigger_reason: str = "manual"
    data_version: str = "unknown"
    git_sha: str = "unknown"
    cost_tags: Mapping[str, str] = field(default_factory=dict)


def check_job_name(name: str, *, max_chars: int = MAX_TRAINING_JOB_NAME_CHARS) -> str:
    if len(name) > max_chars or not _JOB_NAME_PATTERN.match(name):
        raise JobConfigError(
            f"job name {name!r} must be 1-{max_chars} letters, digits and hyphens, "
            "starting with a letter or digit"
        )
    return name


def _check_limits(spec: TrainingJobSpec) -> None:
    if spec.max_runtime_seconds < 1:
        raise JobConfigError(
            f"max runtime must be a positive number of seconds, got {spec.max_runtime_seconds}"
        )
    if spec.volume_size_gb < 1:
        raise JobConfigError(f"volume size must be at least 1 GB, got {spec.volume_size_gb}")
    if spec.use_spot:
        wait = spec.max_wait_seconds or spec.max_runtime_seconds
        if wait < spec.max_runtime_seconds:
            raise JobConfigError(
                f"max wait ({wait} s) must be >= the max runtime ({spec.max_runtime_seconds} s) for spot"
            )
        if not spec.checkpoint_s3_uri:
            raise JobConfigError(
                "spot training needs a checkpoint S3 location to resume after an interruption"
            )


def platform_hyperparameters(spec: TrainingJobSpec) -> dict[str, str]:
    """The model's hyperparameters plus the mlops_* metadata the model ignores and registration reads."""
    values = {str(key): str(value) for key, value in spec.hyperparameters.items()}
    values[HP_TRIGGER_REASON] = sanitize_tag_value(spec.trigger_reason)
    values[HP_DATA_VERSION] = spec.data_version
    values[HP_GIT_SHA] = spec.git_sha
    too_long = [key for key, value in values.items() if len(value) > _MAX_HYPERPARAMETER_CHARS]
    if too_long:
        raise JobConfigError(
            f"hyperparameter value(s) over {_MAX_HYPERPARAMETER_CHARS} characters: {too_long}"
        )
    return values


def job_tags(spec: TrainingJobSpec) -> list[dict[str, str]]:
    tags: dict[str, str] = {str(key): str(value) for key, value in spec.cost_tags.items()}
    tags[TAG_TRIGGER_REASON] = spec.trigger_reason
    tags[TAG_DATA_VERSION] = spec.data_version
    tags[TAG_GIT_SHA] = spec.git_sha
    return to_aws_tags(tags)


def input_channels(spec: TrainingJobSpec) -> list[dict[str, Any]]:
    def channel(name: str, uri: str, content_type: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "ChannelName": name,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": uri,
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "InputMode": "File",
        }
        if content_type:
            entry["ContentType"] = content_type
        return entry

    channels = [
        channel("train", spec.train_s3_uri, content_types.CSV if spec.train_s3_uri.endswith(".csv") else None)
    ]
    if spec.validation_s3_uri:
        channels.append(channel("validation", spec.validation_s3_uri, content_types.CSV))
    if spec.champion_model_s3_uri:
        # The approved model's model.tar.gz: train scores it on the same validation rows (like for like).
        channels.append(channel("champion", spec.champion_model_s3_uri, content_types.TAR))
    return channels


def job_definition(spec: TrainingJobSpec) -> dict[str, Any]:
    """The parts a training job and a tuning job's TrainingJobDefinition share."""
    _check_limits(spec)
    stopping: dict[str, int] = {"MaxRuntimeInSeconds": spec.max_runtime_seconds}
    if spec.use_spot:
        stopping["MaxWaitTimeInSeconds"] = spec.max_wait_seconds or spec.max_runtime_seconds
    resources: dict[str, Any] = {
        "InstanceType": spec.instance_type,
        "InstanceCount": 1,
        "VolumeSizeInGB": spec.volume_size_gb,
    }
    output: dict[str, str] = {"S3OutputPath": spec.output_s3_uri}
    if spec.kms_key_arn:
        resources["VolumeKmsKeyId"] = spec.kms_key_arn
        output["KmsKeyId"] = spec.kms_key_arn
    definition: dict[str, Any] = {
        "RoleArn": spec.role_arn,
        "InputDataConfig": input_channels(spec),
        "OutputDataConfig": output,
        "ResourceConfig": resources,
        "StoppingCondition": stopping,
        "EnableNetworkIsolation": True,
        "EnableManagedSpotTraining": spec.use_spot,
    }
    if spec.use_spot and spec.checkpoint_s3_uri:
        definition["CheckpointConfig"] = {"S3Uri": spec.checkpoint_s3_uri, "LocalPath": "/opt/ml/checkpoints"}
    return definition


def build_training_job_request(spec: TrainingJobSpec) -> dict[str, Any]:
    """Keyword arguments for ``sagemaker.create_training_job``."""
    check_job_name(spec.job_name)
    return {
        "TrainingJobName": spec.job_name,
        "AlgorithmSpecification": {
            "TrainingImage": spec.image_uri,
            "TrainingInputMode": "File",
            "MetricDefinitions": METRIC_DEFINITIONS,
        },
        "HyperParameters": platform_hyperparameters(spec),
        "Environment": {"MLOPS_TRIGGER_REASON": sanitize_tag_value(spec.trigger_reason, max_chars=512)},
        "Tags": job_tags(spec),
        **job_definition(spec),
    }
