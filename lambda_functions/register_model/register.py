"""What a finished job leads to: a registered, gated model package, or an alert.

Outcomes (the ``status`` of the result): ``registered``, ``already_registered`` (a replayed event),
``alerted`` (job failed or stopped), ``ignored`` (not terminal, another environment's job, or a child
of a tuning job, which is registered through its tuning job), ``failed`` (completed without a usable
evaluation: alerted, nothing registered).
"""

from __future__ import annotations

from typing import Any

from lambda_functions.common.alerts import publish_alert
from lambda_functions.register_model import evaluation as evaluation_io
from lambda_functions.register_model.config import RegisterConfig
from lambda_functions.register_model.events import TERMINAL_STATES, JobStateChange
from lambda_functions.register_model.package import build_model_package_request
from lambda_functions.register_model.quality_gate import decide
from mlops_contracts import content_types, layout
from pipeline_core import registry
from pipeline_core.s3_uri import join_s3_uri

METRICS_PREFIX = layout.MODEL_METRICS_PREFIX


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
        return {**base, "status": "already_registered", "model_package_arn": existing["ModelPackageArn"]}

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
    metrics_key = f"{METRICS_PREFIX}{job_name}/{evaluation_io.EVALUATION_NAME}"
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
    # CreateModelPackage has no ApprovalDescription; the gate's reason goes there in a second call.
    registry.set_approval(sagemaker, package_arn, decision.approval_status, decision.description)

    result = {
        **base,
        "status": "registered",
        "model_package_arn": package_arn,
        "approval_status": decision.approval_status,
        "reasons": decision.reasons,
        "metrics": metrics,
        "champion_metrics": champion,
    }
    publish_alert(
        sns,
        config.alert_topic_arn,
        f"[{config.environment_name}] new model package: {decision.approval_status} ({job_name})",
        {**result, "environment": config.environment_name, "approval_description": decision.description},
    )
    return result


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
    if change.status not in TERMINAL_STATES:
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
