"""One drift-check run: score each variant's new capture, join new labels, decide about retraining.

Returns what happened and the metric values to publish (the handler publishes them with Powertools),
so the whole decision is testable without a metrics backend.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lambda_functions.common.alerts import publish_alert
from lambda_functions.drift_check.baselines import BaselineError, endpoint_models, read_baseline
from lambda_functions.drift_check.capture_files import (
    hour_prefixes,
    iter_lines,
    list_written_between,
    variant_prefix,
    within_budget,
)
from lambda_functions.drift_check.config import DriftCheckConfig
from lambda_functions.drift_check.ground_truth import Joined, join, read_labels
from lambda_functions.drift_check.scoring import MalformedCaptureError, VariantWindow, decode_record
from lambda_functions.drift_check.state import CheckState, load_state, save_state
from mlops_contracts import events as contract_events
from mlops_contracts import metrics as names
from mlops_contracts.serving import CHAMPION

# Files still being written in the last minute are left for the next run.
SETTLE = timedelta(minutes=1)
FIRST_WINDOW = timedelta(hours=1)
# Stop reading when less than this is left of the Lambda's time: scoring and publishing need it.
RESERVE_SECONDS = 60.0


@dataclass(frozen=True)
class Clients:
    s3: Any
    sagemaker: Any
    ssm: Any
    events: Any
    sns: Any


@dataclass(frozen=True)
class MetricPoint:
    name: str
    unit: str  # a Powertools MetricUnit name: "Count", "Percent", "None"
    value: float
    dimensions: dict[str, str]


@dataclass
class RunResult:
    status: str = "checked"
    window: dict[str, str] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    accuracy: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[MetricPoint] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "window": self.window,
            "variants": self.variants,
            "accuracy": self.accuracy,
            "events": self.events,
        }


def run_check(
    config: DriftCheckConfig, clients: Clients, *, now: datetime, seconds_left: Callable[[], float]
) -> RunResult:
    state = load_state(clients.ssm, config.state_parameter)
    until = now - SETTLE
    since = state.until or (until - FIRST_WINDOW)
    earliest = until - timedelta(hours=config.max_window_hours)
    result = RunResult(window={"since": max(since, earliest).isoformat(), "until": until.isoformat()})
    if since < earliest:
        result.window["skipped_before"] = earliest.isoformat()
        since = earliest

    models = endpoint_models(clients.sagemaker, config.endpoint_name)
    if models is None:
        result.status = "no-endpoint"
    else:
        drifted = _check_drift(
            config, clients, models=models, since=since, until=until, seconds_left=seconds_left, result=result
        )
        if drifted:
            _maybe_retrain(config, clients, state=state, now=now, result=result, kind="drift", detail=drifted)
        _check_accuracy(
            config,
            clients,
            state=state,
            now=now,
            since=since,
            until=until,
            seconds_left=seconds_left,
            result=result,
        )
    state.until = until
    save_state(clients.ssm, config.state_parameter, state)
    return result


def _check_drift(
    config: DriftCheckConfig,
    clients: Clients,
    *,
    models: dict[str, str],
    since: datetime,
    until: datetime,
    seconds_left: Callable[[], float],
    result: RunResult,
) -> dict[str, Any] | None:
    """Score every variant; return the detail of the worst drifted variant, if any."""
    worst: dict[str, Any] | None = None
    budget = config.max_capture_bytes // max(len(config.variants), 1)
    for variant in config.variants:
        dimensions = names.variant_dimensions(config.endpoint_name, variant)
        if variant not in models:
            result.variants[variant] = {"reason": "variant is not on the endpoint; not checked"}
            continue
        try:
            baseline = read_baseline(clients.s3, models[variant])
            window = VariantWindow(baseline, max_sample=config.max_sample)
        except (BaselineError, ValueError, KeyError, TypeError) as error:
            result.variants[variant] = {"reason": f"no usable baseline: {error}"}
            publish_alert(
                clients.sns,
                config.alert_topic_arn,
                f"[{config.environment_name}] drift check cannot score {variant}: no usable baseline",
                {"environment": config.environment_name, "variant": variant, "error": str(error)},
            )
            continue
        prefix = variant_prefix(config.capture_prefix, config.endpoint_name, variant)
        files = list_written_between(
            clients.s3, config.data_bucket, hour_prefixes(prefix, since, until), since, until
        )
        chosen, sampled = within_budget(files, budget, seed=int(until.timestamp()))
        read = _read_window(clients.s3, config.data_bucket, [f.key for f in chosen], window, seconds_left)
        report = window.report(config.min_requests, config.drift_threshold)
        report["capture"] = {
            "files_written": len(files),
            "files_read": read["files_read"],
            "bytes_written": sum(f.size for f in files),
            "sampled_files": sampled,
            "stopped_for_time": read["stopped_for_time"],
            "lines": read["lines"],
            "malformed": read["malformed"],
            "malformed_reasons": read["malformed_reasons"],
        }
        result.variants[variant] = report
        result.metrics.append(MetricPoint(names.DRIFT_REQUESTS, "Count", report["requests"], dimensions))
        result.metrics.append(MetricPoint(names.CAPTURE_MALFORMED, "Count", read["malformed"], dimensions))
        if report.get("score") is None:
            continue
        result.metrics.append(MetricPoint(names.DRIFT_SCORE, "None", float(report["score"]), dimensions))
        for feature, value in window.feature_values().items():
            result.metrics.append(
                MetricPoint(
                    names.DRIFT_FEATURE, "None", value, {**dimensions, names.FEATURE_DIMENSION: feature}
                )
            )
        if report["drifted"] and (worst is None or report["score"] > worst["drift_score"]):
            worst = {
                "variant": variant,
                "drift_score": float(report["score"]),
                "threshold": config.drift_threshold,
                "requests": report["requests"],
                "window": {"since": since.isoformat(), "until": until.isoformat()},
            }
    return worst


def _read_window(
    s3: Any, bucket: str, keys: list[str], window: VariantWindow, seconds_left: Callable[[], float]
) -> dict[str, Any]:
    lines = malformed = files_read = 0
    reasons: Counter[str] = Counter()
    for key in keys:
        if seconds_left() < RESERVE_SECONDS:
            return {
                "files_read": files_read,
                "stopped_for_time": True,
                "lines": lines,
                "malformed": malformed,
                "malformed_reasons": dict(reasons.most_common(5)),
            }
        files_read += 1
        for line in iter_lines(s3, bucket, key):
            if not line.strip():
                continue
            lines += 1
            try:
                predictions = decode_record(line)
            except MalformedCaptureError as error:
                malformed += 1
                reasons[str(error)] += 1
                continue
            for prediction in predictions:
                window.add(prediction)
    return {
        "files_read": files_read,
        "stopped_for_time": False,
        "lines": lines,
        "malformed": malformed,
        "malformed_reasons": dict(reasons.most_common(5)),
    }


def _check_accuracy(
    config: DriftCheckConfig,
    clients: Clients,
    *,
    state: CheckState,
    since: datetime,
    until: datetime,
    now: datetime,
    seconds_left: Callable[[], float],
    result: RunResult,
) -> None:
    labels = read_labels(
        clients.s3,
        config.data_bucket,
        config.ground_truth_prefix,
        since=since,
        until=until,
        max_labels=config.max_labels,
    )
    if not labels.by_id:
        if labels.malformed:
            result.accuracy["labels"] = {"files": labels.files, "malformed": labels.malformed}
        return
    result.accuracy["labels"] = {
        "files": labels.files,
        "labels": len(labels.by_id),
        "malformed": labels.malformed,
        "over_cap": labels.dropped,
    }
    lookback_start = until - timedelta(hours=config.ground_truth_lookback_hours)
    budget = config.max_capture_bytes // max(len(config.variants), 1)
    below: list[dict[str, Any]] = []
    for variant in config.variants:
        dimensions = names.variant_dimensions(config.endpoint_name, variant)
        prefix = variant_prefix(config.capture_prefix, config.endpoint_name, variant)
        files = list_written_between(
            clients.s3,
            config.data_bucket,
            hour_prefixes(prefix, lookback_start, until),
            lookback_start,
            until,
        )
        # A random subset of files still gives an unbiased accuracy, just from fewer labels.
        chosen, sampled = within_budget(files, budget, seed=int(until.timestamp()))
        joined = Joined()
        for item in chosen:
            if seconds_left() < RESERVE_SECONDS:
                break
            join(iter_lines(clients.s3, config.data_bucket, item.key), labels.by_id, joined)
        counts = state.labelled.setdefault(variant, {"labelled": 0, "correct": 0})
        counts["labelled"] += joined.labelled
        counts["correct"] += joined.correct
        entry: dict[str, Any] = {
            "joined_this_run": joined.labelled,
            "not_joinable": joined.not_joinable,
            "sampled_files": sampled,
            "labelled_total": counts["labelled"],
        }
        result.metrics.append(MetricPoint(names.LABELLED_REQUESTS, "Count", joined.labelled, dimensions))
        if counts["labelled"] >= config.min_labelled_requests:
            accuracy = counts["correct"] / counts["labelled"]
            entry["accuracy"] = round(accuracy, 6)
            result.metrics.append(MetricPoint(names.LIVE_ACCURACY, "None", accuracy, dimensions))
            if accuracy < config.min_live_accuracy:
                below.append(
                    {
                        "variant": variant,
                        "accuracy": round(accuracy, 6),
                        "threshold": config.min_live_accuracy,
                        "labelled_requests": counts["labelled"],
                    }
                )
            # Judged: the next judgement starts from fresh labels.
            state.labelled[variant] = {"labelled": 0, "correct": 0}
        else:
            entry["reason"] = (
                f"too few labelled requests to judge: {counts['labelled']} < {config.min_labelled_requests}"
            )
        result.accuracy[variant] = entry
    # Retraining answers the champion's degradation; a poor challenger is the A/B analysis's call.
    for degraded in below:
        if degraded["variant"] == CHAMPION or CHAMPION not in config.variants:
            _maybe_retrain(
                config, clients, state=state, now=now, result=result, kind="accuracy", detail=degraded
            )
        else:
            _alert(config, clients, "accuracy", degraded, retraining=False)


def _maybe_retrain(
    config: DriftCheckConfig,
    clients: Clients,
    *,
    state: CheckState,
    now: datetime,
    result: RunResult,
    kind: str,
    detail: dict[str, Any],
) -> None:
    """Emit the retraining event unless one of this kind went out within the cool-down."""
    last = state.events.get(kind)
    cooldown = timedelta(hours=config.cooldown_hours)
    if last is not None and now - last < cooldown:
        result.events.append(
            {"kind": kind, "status": "cooling-down", "last_event": last.isoformat(), **detail}
        )
        return
    detail_type = (
        contract_events.DRIFT_DETAIL_TYPE if kind == "drift" else contract_events.ACCURACY_DETAIL_TYPE
    )
    event_detail = {"environment": config.environment_name, "endpoint_name": config.endpoint_name, **detail}
    response = clients.events.put_events(
        Entries=[
            {
                "Source": contract_events.EVENT_SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(event_detail, sort_keys=True),
                "EventBusName": config.event_bus_name,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge refused the {kind} event: {response['Entries']}")
    state.events[kind] = now
    result.events.append({"kind": kind, "status": "emitted", **detail})
    metric = names.DRIFT_EVENTS if kind == "drift" else names.ACCURACY_EVENTS
    result.metrics.append(
        MetricPoint(metric, "Count", 1, names.variant_dimensions(config.endpoint_name, detail["variant"]))
    )
    _alert(config, clients, kind, detail, retraining=True)


def _alert(
    config: DriftCheckConfig, clients: Clients, kind: str, detail: dict[str, Any], *, retraining: bool
) -> None:
    where = f"{config.endpoint_name}/{detail['variant']}"
    if kind == "drift":
        what = f"drift {detail['drift_score']:.2f} > {detail['threshold']:.2f} on {where}"
    else:
        what = f"live accuracy {detail['accuracy']:.3f} < {detail['threshold']:.3f} on {where}"
    then = "retraining requested" if retraining else "no retraining (not the champion)"
    publish_alert(
        clients.sns,
        config.alert_topic_arn,
        f"[{config.environment_name}] {what}: {then}",
        {"environment": config.environment_name, "kind": kind, "retraining_requested": retraining, **detail},
    )
