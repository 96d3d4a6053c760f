"""The loop's second half: the approved model served as champion and challenger with data capture,
in-domain then other-domain traffic, the drift check on each window, and the retraining it asks for.

Every name comes from the stand-in (what the synthesized templates declared) or the shared contracts:
the endpoint, its variants, weights and capture destination from the stand-in's SageMaker; the drift
function and its schedule from the recorded functions and rules; the retraining from the event the
drift function really put on the bus.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from lambda_functions.drift_check.check import SETTLE
from local_loop import aws_events, eventbus
from local_loop.lambdas import REPO_ROOT, invoke
from local_loop.loop_state import RETRAIN_HANDLER, LoopState, Step, StepError, ops_cli
from local_loop.serving import describe, open_endpoint
from local_loop.standin import redeploy
from mlops_contracts import content_types, events, layout, naming, parameters
from mlops_contracts.serving import CHAMPION

IN_DOMAIN = REPO_ROOT / "model_code" / "sample_data" / "reviews_validation.csv"  # never trained on
OTHER_DOMAIN = REPO_ROOT / "local_loop" / "data" / "other_domain.txt"
DRIFT_HANDLER = naming.lambda_handler("drift_check")
# The drift check leaves files younger than SETTLE for its next hourly run; the loop fires the
# schedule as if that much time had passed instead of waiting.
CLOCK_AHEAD_SECONDS = SETTLE.total_seconds() + 1


def _serving_stack(state: LoopState) -> Any:
    found = [
        s for s in state.stacks if any(r["Type"] == "AWS::SageMaker::Endpoint" for r in s.resources.values())
    ]
    if len(found) != 1:
        raise StepError("endpoint", f"expected one stack declaring the endpoint, found {len(found)}")
    return found[0]


def step_deploy_endpoint(state: LoopState) -> str:
    stack = _serving_stack(state)
    status = state.rollout.get("status")
    if status != "awaiting-deploy":
        raise StepError("endpoint", f"the rollout answered {status!r}; the first approval waits for a deploy")
    created = redeploy(state.env, stack)
    endpoint_name = naming.endpoint_name(state.environment_name)
    if not any(
        state.env.physical.get(f"{stack.stack_name}/{logical_id}") == endpoint_name for logical_id in created
    ):
        raise StepError(
            "endpoint",
            f"redeploying {stack.stack_name} created {created or 'nothing'}, not {endpoint_name}: "
            "is the serving state's champion parameter what the template reads?",
        )
    description = describe(state.env, endpoint_name)
    if description.capture_uri is None:
        raise StepError(
            "endpoint",
            f"{endpoint_name} has no data capture (serverless endpoints cannot capture), so the drift half "
            "of the loop has nothing to read; leave out --env to pick an environment that captures",
        )
    weights = ", ".join(f"{name} {weight:g}" for name, weight in sorted(description.weights.items()))
    return (
        f"cdk deploy {stack.stack_name} (as the rollout asked) -> {endpoint_name}: {weights}; "
        f"capture {description.sampling_percentage}% to {description.capture_uri}"
    )


def step_serve(state: LoopState) -> str:
    description = describe(state.env, naming.endpoint_name(state.environment_name))
    state.endpoint = open_endpoint(state.env, description, state.workdir / "serving")
    archives = sorted(set(description.model_data.values()))
    return (
        f"{len(state.endpoint.variants)} variants (python -m model_code.serve each) behind a weighted "
        f"router, from {len(archives)} model archive(s): {', '.join(archives)}"
    )


def _send(state: LoopState, texts: list[str], id_prefix: str) -> tuple[dict[str, int], list[str]]:
    """One request per text with an inference id; then the capture buffers are written to S3."""
    endpoint = state.endpoint
    if endpoint is None:
        raise StepError("traffic", "no endpoint is serving")
    counts: dict[str, int] = {}
    ids = []
    for number, text in enumerate(texts):
        inference_id = f"{id_prefix}-{number:04d}"
        body = json.dumps({"text": text}).encode("utf-8")
        variant, status, answer = endpoint.invoke(body, content_types.JSON, inference_id=inference_id)
        if status != 200:
            raise StepError("traffic", f"{variant} answered {status}: {answer[:200]!r}")
        counts[variant] = counts.get(variant, 0) + 1
        ids.append(inference_id)
    keys = endpoint.flush_capture(state.env.client("s3"))
    state.capture_keys.extend(keys)
    endpoint.publish_metrics(state.env.client("cloudwatch"))
    return counts, ids


def _split(counts: dict[str, int]) -> str:
    return ", ".join(f"{variant} {count}" for variant, count in sorted(counts.items()))


def step_in_domain_traffic(state: LoopState) -> str:
    with IN_DOMAIN.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    counts, ids = _send(state, [row["text"] for row in rows], "in-domain")
    # Ground truth for these requests, as people drop it: the drift check and the A/B report join it.
    bucket = state.parameter(parameters.DATA_BUCKET)
    labels = "".join(
        json.dumps({"inference_id": i, "label": int(r["label"])}) + "\n"
        for i, r in zip(ids, rows, strict=True)
    )
    key = f"{layout.GROUND_TRUTH_PREFIX}{datetime.now(UTC):%Y/%m/%d}/local-loop.jsonl"
    state.env.client("s3").put_object(Bucket=bucket, Key=key, Body=labels.encode("utf-8"))
    latencies = [
        ms for values in (state.endpoint.latencies_ms if state.endpoint else {}).values() for ms in values
    ]
    return (
        f"{len(rows)} review requests -> {_split(counts)} (median {statistics.median(latencies):.1f} ms); "
        f"capture files {len(state.capture_keys)}; {len(rows)} labels under s3://{bucket}/{key}"
    )


def _after_last_check(state: LoopState) -> None:
    """New capture files must be younger than what the last check read up to, or it would count them
    as read (LastModified has whole seconds, hence the extra second)."""
    until = datetime.fromisoformat(state.drift_checks[-1]["window"]["until"])
    wait = (until - datetime.now(UTC)).total_seconds() + 1.0
    if wait > 0:
        time.sleep(wait)


def step_other_domain_traffic(state: LoopState) -> str:
    _after_last_check(state)
    texts = [line.strip() for line in OTHER_DOMAIN.read_text(encoding="utf-8").splitlines() if line.strip()]
    before = len(state.capture_keys)
    counts, _ = _send(state, texts, "other-domain")
    written = len(state.capture_keys) - before
    return f"{len(texts)} non-review requests -> {_split(counts)}; capture files +{written}"


def _drift_check(state: LoopState) -> dict[str, Any]:
    function = state.env.function_by_handler(DRIFT_HANDLER)
    rule = eventbus.scheduled_rule_for(state.env, DRIFT_HANDLER)
    result = invoke(
        state.env, function, aws_events.scheduled(rule.logical_id), clock_offset_seconds=CLOCK_AHEAD_SECONDS
    )
    if result.get("status") != "checked":
        raise StepError("drift-check", f"the drift check answered {result.get('status')!r}: {result}")
    state.drift_checks.append(result)
    return dict(result)


def _variant_summary(result: dict[str, Any]) -> str:
    parts = []
    for variant, report in sorted(result["variants"].items()):
        if report.get("score") is None:
            parts.append(f"{variant}: {report.get('reason', 'not scored')}")
        else:
            verdict = "drift" if report["drifted"] else "no drift"
            parts.append(
                f"{variant}: score {report['score'] + 0.0:.3g} on {report['requests']} requests ({verdict})"
            )
    return "; ".join(parts)


def step_drift_check_in_domain(state: LoopState) -> str:
    result = _drift_check(state)
    champion = result["variants"].get(CHAMPION, {})
    if champion.get("score") is None or champion.get("drifted") or result["events"]:
        raise StepError(
            "drift-check", f"in-domain traffic was not judged free of drift: {_variant_summary(result)}"
        )
    return f"scheduled run -> {_variant_summary(result)}; no retraining"


def step_drift_check_shifted(state: LoopState) -> str:
    result = _drift_check(state)
    emitted = [e for e in result["events"] if e.get("kind") == "drift" and e.get("status") == "emitted"]
    if not emitted:
        raise StepError(
            "drift-check", f"other-domain traffic did not trigger retraining: {_variant_summary(result)}"
        )
    return f"scheduled run -> {_variant_summary(result)}; drift event emitted"


def step_retrain_on_drift(state: LoopState) -> str:
    caught = state.event_tap.drain() if state.event_tap else []
    delivered = [pair for event in caught for pair in eventbus.publish(state.env, event)]
    started = [
        result
        for name, result in delivered
        if state.env.functions[name].handler == RETRAIN_HANDLER and result.get("status") == "started"
    ]
    if len(started) != 1 or started[0].get("trigger") != events.REASON_DRIFT:
        kinds = sorted({str(event.get("detail-type")) for event in caught})
        raise StepError(
            "retrain",
            f"the drift check put {len(caught)} event(s) on the bus ({kinds}); the rules delivered them to "
            f"{[name for name, _ in delivered] or 'no function'}; expected one drift retraining: {started}",
        )
    state.training_jobs.append(started[0])
    return (
        f"{caught[0]['detail-type']!r} -> retrain: started {started[0]['job_name']} ({started[0]['reason']})"
    )


def step_report(state: LoopState) -> str:
    state.reports["ab-report"] = ops_cli(state, "report", ["ab-report", "--hours", "1"])
    state.reports["cost"] = ops_cli(state, "report", ["cost"])
    state.close()
    return "\n".join(
        [
            "python -m ops_cli ab-report --hours 1 and python -m ops_cli cost (servers stopped):",
            *state.reports["ab-report"].splitlines(),
            *state.reports["cost"].splitlines(),
        ]
    )


STEPS: list[tuple[str, Step]] = [
    ("endpoint", step_deploy_endpoint),
    ("serve", step_serve),
    ("traffic", step_in_domain_traffic),
    ("drift-check", step_drift_check_in_domain),
    ("shift", step_other_domain_traffic),
    ("drift-check", step_drift_check_shifted),
    ("retrain", step_retrain_on_drift),
    ("report", step_report),
]
