"""What started a retraining, read from the three event shapes the function accepts.

Each trigger gets an ``identity`` that stays the same when the same trigger is delivered again
(EventBridge is at-least-once): the event id for EventBridge events, the caller's ``request_id`` (or
Lambda's request id, which async retries keep) for direct invocations. The training job name is
derived from it, so a redelivery finds its job instead of starting a second one.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from mlops_contracts import events as contract_events
from pipeline_core.training_job import MAX_TRAINING_JOB_NAME_CHARS, check_job_name

SCHEDULE_SOURCE = contract_events.SCHEDULER_SOURCE
SCHEDULE_DETAIL_TYPE = contract_events.SCHEDULED_EVENT
DRIFT_SOURCE = contract_events.EVENT_SOURCE
DRIFT_DETAIL_TYPE = contract_events.DRIFT_DETAIL_TYPE
ACCURACY_DETAIL_TYPE = contract_events.ACCURACY_DETAIL_TYPE
_KIND_IN_NAME = {"schedule": "sched", "drift": "drift", "accuracy": "acc", "manual": "manual"}
_MAX_REASON_CHARS = 256


class MalformedEventError(ValueError):
    """The event is not one of the accepted shapes; retrying it cannot help."""


@dataclass(frozen=True)
class Trigger:
    kind: str  # schedule | drift | accuracy | manual
    reason: str
    identity: str
    requested_by: str
    details: dict[str, Any] = field(default_factory=dict)


def _required_text(container: dict[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MalformedEventError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _number(container: dict[str, Any], key: str, where: str) -> float:
    value = container.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedEventError(f"{where}: '{key}' must be a finite number, got {value!r}")
    return float(value)


def _own_detail(event: dict[str, Any], what: str, environment: str) -> tuple[str, dict[str, Any]]:
    """(event id, detail) of one of our events, refused when it is malformed or for another environment."""
    event_id = _required_text(event, "id", what)
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise MalformedEventError(f"{what}: 'detail' must be an object")
    event_environment = _required_text(detail, "environment", f"{what} detail")
    if event_environment != environment:
        raise MalformedEventError(
            f"{what} for environment {event_environment!r} reached the {environment!r} function"
        )
    return event_id, detail


def _schedule(event: dict[str, Any]) -> Trigger:
    event_id = _required_text(event, "id", "scheduled event")
    resources = event.get("resources") or ["unknown rule"]
    if not isinstance(resources, list):
        raise MalformedEventError(
            f"scheduled event: 'resources' must be a list, got {type(resources).__name__}"
        )
    rule = str(resources[0]).rsplit("/", 1)[-1]
    return Trigger(
        kind="schedule",
        reason=f"schedule {rule}",
        identity=f"event:{event_id}",
        requested_by="eventbridge-schedule",
        details={"rule": str(resources[0]), "time": event.get("time")},
    )


def _drift(event: dict[str, Any], environment: str) -> Trigger:
    event_id, detail = _own_detail(event, "drift event", environment)
    score = _number(detail, "drift_score", "drift event detail")
    threshold = _number(detail, "threshold", "drift event detail")
    endpoint = _required_text(detail, "endpoint_name", "drift event detail")
    return Trigger(
        kind="drift",
        reason=f"drift {score:.4g} over threshold {threshold:.4g} on {endpoint}",
        identity=f"event:{event_id}",
        requested_by="drift-check",
        details={"drift_score": score, "threshold": threshold, "endpoint_name": endpoint},
    )


def _accuracy(event: dict[str, Any], environment: str) -> Trigger:
    """Live accuracy (ground truth joined with captured predictions) fell below the threshold."""
    event_id, detail = _own_detail(event, "accuracy event", environment)
    accuracy = _number(detail, "accuracy", "accuracy event detail")
    threshold = _number(detail, "threshold", "accuracy event detail")
    labelled = _number(detail, "labelled_requests", "accuracy event detail")
    endpoint = _required_text(detail, "endpoint_name", "accuracy event detail")
    variant = _required_text(detail, "variant", "accuracy event detail")
    return Trigger(
        kind="accuracy",
        reason=(
            f"live accuracy {accuracy:.4g} under threshold {threshold:.4g} "
            f"on {endpoint}/{variant} ({labelled:.0f} labelled requests)"
        ),
        identity=f"event:{event_id}",
        requested_by="drift-check",
        details={
            "accuracy": accuracy,
            "threshold": threshold,
            "labelled_requests": int(labelled),
            "endpoint_name": endpoint,
            "variant": variant,
        },
    )


def _manual(event: dict[str, Any], request_id: str) -> Trigger:
    reason = _required_text(event, "reason", "direct invocation")
    requested_by = event.get("requested_by", "unknown")
    caller_request_id = event.get("request_id")
    if caller_request_id is not None and (not isinstance(caller_request_id, str) or not caller_request_id):
        raise MalformedEventError("direct invocation: 'request_id' must be a non-empty string when given")
    identity = f"request:{caller_request_id}" if caller_request_id else f"invocation:{request_id}"
    return Trigger(
        kind="manual",
        reason=reason[:_MAX_REASON_CHARS],
        identity=identity,
        requested_by=str(requested_by)[:_MAX_REASON_CHARS],
    )


def parse_trigger(event: object, *, environment: str, request_id: str) -> Trigger:
    """Read a Scheduled Event, a Model Drift Detected or Model Accuracy Degraded event, or
    ``{"reason": .., "requested_by": ..}``."""
    if not isinstance(event, dict):
        raise MalformedEventError(f"event must be a JSON object, got {type(event).__name__}")
    source, detail_type = event.get("source"), event.get("detail-type")
    if source == SCHEDULE_SOURCE and detail_type == SCHEDULE_DETAIL_TYPE:
        return _schedule(event)
    if source == DRIFT_SOURCE and detail_type == DRIFT_DETAIL_TYPE:
        return _drift(event, environment)
    if source == DRIFT_SOURCE and detail_type == ACCURACY_DETAIL_TYPE:
        return _accuracy(event, environment)
    if source is None and detail_type is None and "reason" in event:
        return _manual(event, request_id)
    raise MalformedEventError(
        f"unsupported event (source={source!r}, detail-type={detail_type!r}); expected a Scheduled Event, "
        f"a '{DRIFT_DETAIL_TYPE}' or '{ACCURACY_DETAIL_TYPE}' event or a direct invocation with a 'reason'"
    )


def training_job_name(prefix: str, trigger: Trigger) -> str:
    """``<prefix><kind>-<hash of the trigger identity>``: the same trigger always gets the same name."""
    digest = hashlib.sha256(trigger.identity.encode("utf-8")).hexdigest()
    stem = f"{prefix}{_KIND_IN_NAME[trigger.kind]}-"
    room = MAX_TRAINING_JOB_NAME_CHARS - len(stem)
    if room < 10:  # fewer hash characters would make collisions between triggers plausible
        raise ValueError(f"JOB_NAME_PREFIX {prefix!r} is too long for a training job name")
    return check_job_name(stem + digest[: min(room, 16)])
