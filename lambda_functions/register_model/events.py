"""Reading SageMaker training and tuning job state-change events (EventBridge)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_contracts import events as contract_events

SAGEMAKER_SOURCE = contract_events.SAGEMAKER_SOURCE
TRAINING_DETAIL_TYPE = contract_events.TRAINING_STATE_CHANGE
TUNING_DETAIL_TYPE = contract_events.TUNING_STATE_CHANGE
TERMINAL_STATES = contract_events.TERMINAL_TRAINING_STATES


class MalformedEventError(ValueError):
    """Not a SageMaker job state change this function understands; retrying cannot help."""


@dataclass(frozen=True)
class JobStateChange:
    kind: str  # training | tuning
    job_name: str
    status: str
    failure_reason: str | None
    best_training_job: str | None  # tuning jobs only, when the event carries it
    event_id: str


def _text(detail: dict[str, Any], key: str) -> str:
    value = detail.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEventError(f"event detail: '{key}' must be a non-empty string")
    return value


def parse_state_change(event: object) -> JobStateChange:
    if not isinstance(event, dict):
        raise MalformedEventError(f"event must be a JSON object, got {type(event).__name__}")
    source, detail_type, detail = event.get("source"), event.get("detail-type"), event.get("detail")
    if source != SAGEMAKER_SOURCE or detail_type not in (TRAINING_DETAIL_TYPE, TUNING_DETAIL_TYPE):
        raise MalformedEventError(
            f"unsupported event (source={source!r}, detail-type={detail_type!r}); expected a SageMaker "
            "training or tuning job state change"
        )
    if not isinstance(detail, dict):
        raise MalformedEventError("event 'detail' must be an object")
    failure = detail.get("FailureReason")
    failure_reason = failure if isinstance(failure, str) and failure else None
    if detail_type == TRAINING_DETAIL_TYPE:
        return JobStateChange(
            kind="training",
            job_name=_text(detail, "TrainingJobName"),
            status=_text(detail, "TrainingJobStatus"),
            failure_reason=failure_reason,
            best_training_job=None,
            event_id=str(event.get("id", "")),
        )
    best = detail.get("BestTrainingJob")
    best_name = best.get("TrainingJobName") if isinstance(best, dict) else None
    return JobStateChange(
        kind="tuning",
        job_name=_text(detail, "HyperParameterTuningJobName"),
        status=_text(detail, "HyperParameterTuningJobStatus"),
        failure_reason=failure_reason,
        best_training_job=best_name if isinstance(best_name, str) and best_name else None,
        event_id=str(event.get("id", "")),
    )
