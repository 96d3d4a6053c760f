"""The loop, step by step: each step prints one line with what happened and how long it took; a step
that fails stops the run with a non-zero exit naming the step and the reason."""

from __future__ import annotations

import json
import time
from typing import TextIO

from local_loop import aws_events, eventbus, serving_steps
from local_loop.cloudformation import load_stage
from local_loop.lambdas import REPO_ROOT, invoke
from local_loop.loop_state import RETRAIN_HANDLER, LoopState, Step, StepError, ops_cli
from local_loop.standin import deploy
from local_loop.training import run_training_job
from mlops_contracts import events, layout, naming, parameters
from pipeline_core.serving_state import read_state

SAMPLE_DATA = REPO_ROOT / "model_code" / "sample_data" / "reviews.csv"
PREPROCESS_HANDLER = naming.lambda_handler("preprocess")
REGISTER_HANDLER = naming.lambda_handler("register_model")
ROLLOUT_HANDLER = naming.lambda_handler("serving_rollout")


def step_deploy(state: LoopState) -> str:
    stacks = load_stage(state.cdk_out, state.environment_name)
    state.stacks = stacks
    state.environment = deploy(stacks, state.endpoint_url)
    state.event_tap = eventbus.EventTap(state.environment, events.EVENT_SOURCE)
    env = state.env
    buckets = env.resources_by_type.get("AWS::S3::Bucket", [])
    return (
        f"{len(stacks)} stacks from cdk.out: {len(buckets)} buckets, {len(env.functions)} functions, "
        f"{len(env.rules)} rules, {len(env.parameters)} SSM parameters"
    )


def step_upload(state: LoopState) -> str:
    s3 = state.env.client("s3")
    bucket = state.parameter(parameters.DATA_BUCKET)
    key = f"{layout.RAW_PREFIX}reviews.csv"
    body = SAMPLE_DATA.read_bytes()
    put = s3.put_object(Bucket=bucket, Key=key, Body=body)
    event = aws_events.object_created(bucket, key, len(body), put["ETag"], put.get("VersionId"))
    delivered = eventbus.publish(state.env, event)
    handlers = [state.env.functions[name].handler for name, _ in delivered]
    if handlers != [PREPROCESS_HANDLER]:
        raise StepError("upload", f"the Object Created event reached {handlers or 'no function'}")
    result = delivered[0][1]
    if result.get("status") != "processed":
        raise StepError("upload", f"preprocessing answered {result}")
    state.data_version = result
    counts = ", ".join(f"{name} {value}" for name, value in result.get("counts", {}).items())
    return f"s3://{bucket}/{key} ({len(body)} bytes) -> preprocessing: {result['prefix']} ({counts})"


def step_retrain_on_schedule(state: LoopState) -> str:
    rule = eventbus.scheduled_rule_for(state.env, RETRAIN_HANDLER)
    (name,) = rule.target_functions
    result = invoke(state.env, state.env.functions[name], aws_events.scheduled(rule.logical_id))
    if result.get("status") != "started":
        raise StepError("retrain", f"retrain answered {result}")
    state.training_jobs.append(result)
    enabled = "" if rule.enabled else " (rule ships disabled in this environment; delivered as if enabled)"
    return f"scheduled event -> retrain: started {result['job_name']}{enabled}"


def step_train(state: LoopState) -> str:
    job_name = state.training_jobs[-1]["job_name"]
    describe = run_training_job(state.env, job_name, state.workdir / "opt-ml")
    state.training_jobs[-1]["describe"] = describe
    status = describe["TrainingJobStatus"]
    return f"{job_name}: container train entry point -> model.tar.gz, output.tar.gz; {status}"


def step_register(state: LoopState) -> str:
    describe = state.training_jobs[-1]["describe"]
    delivered = eventbus.publish(state.env, aws_events.training_state_change(describe))
    results = [result for name, result in delivered if state.env.functions[name].handler == REGISTER_HANDLER]
    if len(results) != 1:
        raise StepError("register", f"the state change reached {[name for name, _ in delivered]}")
    result = results[0]
    if result.get("status") != "registered":
        raise StepError("register", f"registration answered {result}")
    state.registrations.append(result)
    accuracy = result.get("metrics", {}).get("accuracy", float("nan"))
    return (
        f"Training Job State Change -> registration: {result.get('model_package_arn')} "
        f"({result.get('approval_status')}, validation accuracy {accuracy:.3f})"
    )


def step_approve(state: LoopState) -> str:
    arn = state.registrations[-1]["model_package_arn"]
    approval = json.loads(ops_cli(state, "approve", ["approve", arn, "--comment", "local loop"]))
    state.approved_package = approval
    return f"python -m ops_cli approve -> {approval['approval']} (was {approval['previous']})"


def step_rollout(state: LoopState) -> str:
    arn = state.approved_package["model_package_arn"]
    describe = state.env.client("sagemaker").describe_model_package(ModelPackageName=arn)
    delivered = eventbus.publish(state.env, aws_events.model_package_state_change(describe))
    results = [result for name, result in delivered if state.env.functions[name].handler == ROLLOUT_HANDLER]
    if len(results) != 1:
        raise StepError("rollout", f"the approval reached {[name for name, _ in delivered]}")
    state.rollout = results[0]
    champion = read_state(state.env.client("ssm"), state.environment_name).champion
    return f"Model Package State Change -> serving rollout: {results[0].get('status')}; champion = {champion}"


STEPS: list[tuple[str, Step]] = [
    ("deploy", step_deploy),
    ("upload", step_upload),
    ("retrain", step_retrain_on_schedule),
    ("train", step_train),
    ("register", step_register),
    ("approve", step_approve),
    ("rollout", step_rollout),
    *serving_steps.STEPS,
]


def run_steps(state: LoopState, out: TextIO) -> None:
    started = time.perf_counter()
    for number, (name, step) in enumerate(STEPS, start=1):
        began = time.perf_counter()
        try:
            line = step(state)
        except StepError:
            raise
        except Exception as error:
            raise StepError(name, f"{type(error).__name__}: {error}") from error
        line, *details = line.split("\n")  # a report printed under its step
        text = f"[{number:>2}/{len(STEPS)}] {name:<12} {time.perf_counter() - began:5.1f}s  {line}"
        text = "\n".join([text, *(f"      {detail}" for detail in details)])
        print(text, file=out, flush=True)
    print(f"loop finished in {time.perf_counter() - started:.1f}s", file=out, flush=True)
