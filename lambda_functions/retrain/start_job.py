"""Deciding whether a trigger starts a training job, and starting it.

Order matters: (1) a job with this trigger's name already exists -> duplicate delivery, nothing to
do; (2) another job of this environment is InProgress or Stopping -> skip (recorded, not queued); (3) no
complete data version -> skip and alert; (4) create the job. CreateTrainingJob's ResourceInUse
(two deliveries racing past step 1) also means "already started".
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lambda_functions.common.alerts import publish_alert
from lambda_functions.retrain.config import RetrainConfig
from lambda_functions.retrain.triggers import Trigger, training_job_name
from mlops_contracts.events import ACTIVE_TRAINING_STATES
from pipeline_core.data_versions import DataVersion, newest_data_version
from pipeline_core.registry import model_data_url, newest_approved_package
from pipeline_core.s3_uri import join_s3_uri
from pipeline_core.training_job import TrainingJobSpec, build_training_job_request


def _job_exists(sagemaker: Any, job_name: str) -> bool:
    try:
        sagemaker.describe_training_job(TrainingJobName=job_name)
    except ClientError as error:
        # DescribeTrainingJob answers ValidationException "Could not find training job" for unknown names.
        if error.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            return False
        raise
    return True


def running_jobs(sagemaker: Any, prefix: str) -> list[str]:
    """Names of this environment's jobs that still occupy the slot (InProgress or Stopping: a stopping
    job still runs and bills until SageMaker finishes stopping it). NameContains is a substring filter."""
    names: list[str] = []
    paginator = sagemaker.get_paginator("list_training_jobs")
    for status in ACTIVE_TRAINING_STATES:
        for page in paginator.paginate(StatusEquals=status, NameContains=prefix):
            names.extend(
                summary["TrainingJobName"]
                for summary in page.get("TrainingJobSummaries", [])
                if summary["TrainingJobName"].startswith(prefix)
            )
    return names


def build_spec(
    config: RetrainConfig, trigger: Trigger, job_name: str, *, data: DataVersion, champion_uri: str | None
) -> TrainingJobSpec:
    return TrainingJobSpec(
        job_name=job_name,
        image_uri=config.training_image_uri,
        role_arn=config.training_role_arn,
        train_s3_uri=data.train_uri,
        validation_s3_uri=data.validation_uri,
        champion_model_s3_uri=champion_uri,
        output_s3_uri=join_s3_uri(config.models_bucket, config.model_output_prefix),
        # One checkpoint folder per job: a new job must never resume from another job's checkpoint.
        checkpoint_s3_uri=join_s3_uri(config.models_bucket, config.checkpoint_prefix, job_name) + "/",
        kms_key_arn=config.kms_key_arn,
        instance_type=config.instance_type,
        volume_size_gb=config.volume_size_gb,
        max_runtime_seconds=config.max_runtime_seconds,
        max_wait_seconds=config.max_wait_seconds,
        use_spot=config.use_spot,
        hyperparameters=config.hyperparameters,
        trigger_reason=f"{trigger.kind}: {trigger.reason}",
        data_version=data.version,
        git_sha=config.git_sha,
        cost_tags=config.cost_tags,
    )


def start_retraining(
    trigger: Trigger, config: RetrainConfig, *, sagemaker: Any, s3: Any, sns: Any
) -> dict[str, Any]:
    """Start at most one training job for this trigger; return what happened (logged by the handler)."""
    job_name = training_job_name(config.job_name_prefix, trigger)
    base = {
        "job_name": job_name,
        "trigger": trigger.kind,
        "reason": trigger.reason,
        "requested_by": trigger.requested_by,
    }

    if _job_exists(sagemaker, job_name):
        return {**base, "status": "duplicate", "detail": "this trigger already started its job"}

    running = running_jobs(sagemaker, config.job_name_prefix)
    if running:
        return {
            **base,
            "status": "skipped",
            "detail": "a training job is already running",
            "running_jobs": running,
        }

    data = newest_data_version(s3, config.data_bucket, config.processed_prefix)
    if data is None:
        detail = f"no processed data version under s3://{config.data_bucket}/{config.processed_prefix}"
        publish_alert(
            sns,
            config.alert_topic_arn,
            f"[{config.environment_name}] retraining skipped: nothing to train on",
            {**base, "environment": config.environment_name, "detail": detail},
        )
        return {**base, "status": "skipped", "detail": detail}

    champion = newest_approved_package(sagemaker, config.model_package_group)
    champion_uri = model_data_url(champion) if champion else None
    spec = build_spec(config, trigger, job_name, data=data, champion_uri=champion_uri)
    request = build_training_job_request(spec)
    try:
        response = sagemaker.create_training_job(**request)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceInUse":
            return {**base, "status": "duplicate", "detail": "a concurrent delivery started this job"}
        raise
    return {
        **base,
        "status": "started",
        "training_job_arn": response["TrainingJobArn"],
        "data_version": data.version,
        "champion_model": champion_uri,
    }
