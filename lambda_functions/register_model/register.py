"""What a finished job leads to: a registered, gated model package, or an alert.

Outcomes (the ``status`` of the result): ``registered``, ``already_registered`` (a replayed event),
``alerted`` (job failed or stopped), ``ignored`` (not terminal, another environment's job, or a child
of a tuning job, which is registered through its tuning job), ``failed`` (completed without a usable
evaluation, including a missing or unreadable output archive: alerted, nothing registered).

Registration is three steps after the model package is created: the gate's verdict as the approval
description, the alert, and a marker on the package that the alert went out. A retry (Lambda's own,
or a replayed event) that finds the package finishes whichever steps are missing, so a package never
waits for approval without anyone being told; only a crash between the alert and its marker can send
the alert twice.
"""

from __future__ import annotations

from typing import Any

from lambda_functions.common.alerts import publish_alert
from lambda_functions.register_model import evaluation as evaluation_io
from lambda_functions.register_model.config import RegisterConfig
from lambda_functions.register_model.events import JobStateChange
from lambda_functions.register_model.package import build_model_package_request, gate_description
from lambda_functions.register_model.quality_gate import decide
from mlops_contracts import content_types, layout
from mlops_contracts.events import TERMINAL_TRAINING_STATES
from pipeline_core import registry
from pipeline_core.s3_uri import join_s3_uri


def _like_for_like_champion(
    sagemaker: Any, config: RegisterConfig, evaluation: dict[str, Any]
) -> tuple[dict[str, float] | None, bool]:
    """(champion metrics on the same validation rows or None, whether an approved model exists)."""
    measured = evaluation_io.champion_metrics(evaluation)
    approved = registry.newest_approved_package(sagemaker, config.model_package_group)
    if measured is not None:
        return measured, True
    if approved is None:
        return None, False
    same_rows = approved.get("CustomerMetadataProperties", {}).get(registry.META_VALIDATION_SHA256)
    recorded = registry.metric_values(approved)
    if (
        same_rows
        and same_rows == evaluation_io.validation_sha256(evaluation)
        and {"accuracy", "f1"} <= set(recorded)
    ):
        return recorded, True
    return None, True


def register_training_job(
    job_name: str, config: RegisterConfig, *, sagemaker: Any, s3: Any, sns: Any
) -> dict[str, Any]:
    job = sagemaker.describe_training_job(TrainingJobName=job_name)
    base = {"training_job": job_name}
    existing = registry.find_package_for_job(
        sagemaker, config.model_package_group, job_name, created_after=job.get("CreationTime")
    )
    if existing is not None:
        return _finish_registration(existing, job, config, sagemaker=sagemaker, sns=sns, resumed=True)

    try:
        evaluation, raw = evaluation_io.read_evaluation(s3, job)
        metrics = evaluation_io.candidate_metrics(evaluation)
        champion, champion_exists = _like_for_like_champion(sagemaker, config, evaluation)
    except evaluation_io.EvaluationError as error:
        publish_alert(
            sns,
            config.alert_topic_arn,
            f"[{config.environment_name}] training job {job_name} completed but cannot be registered",
            {**base, "environment": config.environment_name, "error": str(error)},
        )
        return {**base, "status": "failed", "detail": str(error)}

    decision = decide(
        metrics,
        champion,
        config.thresholds,
        champion_exists=champion_exists,
        auto_approve=config.auto_approve,
    )
    metrics_key = layout.model_metrics_key(job_name)
    s3.put_object(Bucket=config.models_bucket, Key=metrics_key, Body=raw, ContentType=content_types.JSON)
    request = build_model_package_request(
        group=config.model_package_group,
        describe_job=job,
        metrics=metrics,
        validation_sha256=evaluation_io.validation_sha256(evaluation),
        metrics_s3_uri=join_s3_uri(config.models_bucket, metrics_key),
        decision=decision,
    )
    package_arn = sagemaker.create_model_package(**request)["ModelPackageArn"]
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    result = _finish_registration(package, job, config, sagemaker=sagemaker, sns=sns, resumed=False)
    return {**result, "reasons": decision.reasons, "champion_metrics": champion}


def _finish_registration(
    package: dict[str, Any],
    job: dict[str, Any],
    config: RegisterConfig,
    *,
    sagemaker: Any,
    sns: Any,
    resumed: bool,
) -> dict[str, Any]:
    """The steps after CreateModelPackage, each skipped when the package shows it is done."""
    job_name = job["TrainingJobName"]
    package_arn = package["ModelPackageArn"]
    metadata = package.get("CustomerMetadataProperties", {})
    gate_status = metadata.get(registry.META_GATE, package.get("ModelApprovalStatus"))
    approval_description = package.get("ApprovalDescription") or gate_description(package, job)
    done: list[str] = []

    # CreateModelPackage has no ApprovalDescription; the gate's reason goes there in a second call,
    # unless a person has decided on the package since.
    if not package.get("ApprovalDescription") and package.get("ModelApprovalStatus") == gate_status:
        registry.set_approval(sagemaker, package_arn, gate_status, approval_description)
        package = {**package, "ModelApprovalStatus": gate_status, "ApprovalDescription": approval_description}
        done.append("approval_description")

    result = {
        "training_job": job_name,
        "status": "registered",
        "model_package_arn": package_arn,
        "approval_status": package.get("ModelApprovalStatus", gate_status),
        "metrics": registry.metric_values(package),
    }
    if not metadata.get(registry.META_ALERT_ID):
        message_id = publish_alert(
            sns,
            config.alert_topic_arn,
            f"[{config.environment_name}] new model package: {result['approval_status']} ({job_name})",
            {**result, "environment": config.environment_name, "approval_description": approval_description},
        )
        registry.add_metadata(sagemaker, package, {registry.META_ALERT_ID: message_id})
        done.append("alert")

    if resumed and not done:
        return {**result, "status": "already_registered"}
    return {**result, "resumed_steps": done} if resumed else result


def _alert_failure(
    change: JobStateChange, config: RegisterConfig, sns: Any, failure_reason: str
) -> dict[str, Any]:
    what = "training job" if change.kind == "training" else "tuning job"
    details = {
        "job": change.job_name,
        "kind": change.kind,
        "job_status": change.status,
        "failure_reason": failure_reason,
        "environment": config.environment_name,
    }
    publish_alert(
        sns,
        config.alert_topic_arn,
        f"[{config.environment_name}] {what} {change.status}: {change.job_name}",
        details,
    )
    return {"status": "alerted", **details}


def handle_state_change(
    change: JobStateChange, config: RegisterConfig, *, sagemaker: Any, s3: Any, sns: Any
) -> dict[str, Any]:
    if not change.job_name.startswith(config.job_name_prefix):
        return {"status": "ignored", "job": change.job_name, "detail": "not a job of this environment"}
    if change.status not in TERMINAL_TRAINING_STATES:
        return {
            "status": "ignored",
            "job": change.job_name,
            "detail": f"not a terminal state: {change.status}",
        }

    if change.kind == "tuning":
        if change.status != "Completed":
            reason = change.failure_reason or sagemaker.describe_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=change.job_name
            ).get("FailureReason", "no reason given")
            return _alert_failure(change, config, sns, reason)
        best = change.best_training_job or (
            sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=change.job_name)
            .get("BestTrainingJob", {})
            .get("TrainingJobName")
        )
        if not best:
            return _alert_failure(change, config, sns, "tuning job completed without a best training job")
        result = register_training_job(best, config, sagemaker=sagemaker, s3=s3, sns=sns)
        return {**result, "tuning_job": change.job_name}

    job = sagemaker.describe_training_job(TrainingJobName=change.job_name)
    if job.get("TuningJobArn"):
        return {
            "status": "ignored",
            "job": change.job_name,
            "detail": f"launched by tuning job {job['TuningJobArn']}; its best job is registered with it",
        }
    status = job.get("TrainingJobStatus", change.status)
    if status != "Completed":
        reason = job.get("FailureReason") or change.failure_reason or "no reason given"
        return _alert_failure(change, config, sns, reason)
    return register_training_job(change.job_name, config, sagemaker=sagemaker, s3=s3, sns=sns)
