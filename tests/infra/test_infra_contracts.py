"""Both sides of every contract agree: what the templates configure is what the runtime reads.

- each synthesized function's environment feeds its configuration loader, and removing any variable
  fails it with the variable's name;
- the SSM parameters the stack writes are the ones the operator CLI reads;
- each rule's event pattern matches what its producer emits (real AWS event samples from
  tests/lambdas/events/, our drift event from its builder in mlops_contracts.events) and nothing of
  another environment.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from config import load_environments
from lambda_functions.common.env import ConfigError
from lambda_functions.retrain.triggers import parse_trigger
from mlops_contracts import events, naming
from mlops_contracts.parameters import parameter_name
from ops_cli.settings import KEYS as CLI_KEYS

ROOT = Path(__file__).resolve().parents[2]
TEST_ACCOUNT, TEST_REGION = "111111111111", "eu-west-1"  # as tests/infra/conftest.py synthesizes
SAMPLES = ROOT / "tests" / "lambdas" / "events"
STAGES = [env.name for env in load_environments({})]
DEPLOY_TIME = "resolved-at-deploy"
PSEUDO = {
    "AWS::AccountId": TEST_ACCOUNT,
    "AWS::Region": TEST_REGION,
    "AWS::Partition": "aws",
}  # stands in for a Ref / GetAtt / ImportValue


def functions(template: dict) -> dict[str, dict]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and resource["Properties"]["Handler"].startswith("lambda_")
    }


def config_loader(handler: str) -> Any:
    """``lambda_functions.<name>.handler.lambda_handler`` -> ``<Name>Config.from_env`` of that package."""
    package = handler.rsplit(".", 2)[0]
    module = importlib.import_module(f"{package}.config")
    (loader,) = [
        member.from_env
        for _, member in inspect.getmembers(module, inspect.isclass)
        if member.__module__ == module.__name__ and hasattr(member, "from_env")
    ]
    return loader


def environment(properties: dict) -> dict[str, str]:
    variables = properties["Environment"]["Variables"]
    return {name: value if isinstance(value, str) else DEPLOY_TIME for name, value in variables.items()}


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_environment_feeds_its_configuration_loader(synth, stage):
    found = functions(synth.template(stage, "Training"))
    assert len(found) == 3
    for properties in found.values():
        config = config_loader(properties["Handler"])(environment(properties))
        assert config.alert_topic_arn == DEPLOY_TIME
        if hasattr(config, "job_name_prefix"):
            assert config.job_name_prefix == naming.job_name_prefix(stage)


@pytest.mark.parametrize("stage", ["dev"])
def test_every_variable_is_needed_and_its_absence_is_named(synth, stage):
    for properties in functions(synth.template(stage, "Training")).values():
        loader = config_loader(properties["Handler"])
        variables = environment(properties)
        for name in variables:
            if name.startswith("POWERTOOLS_"):  # read by the Powertools layer, not by our loader
                continue
            without = {key: value for key, value in variables.items() if key != name}
            with pytest.raises(ConfigError, match=f"environment variable {name} is not set"):
                loader(without)
                pytest.fail(f"{properties['Handler']}: {name} is passed but never read")


@pytest.mark.parametrize("stage", STAGES)
def test_the_stack_writes_the_ssm_parameters_the_cli_reads(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    written = {p["Properties"]["Name"] for p in resources_of_type(template, "AWS::SSM::Parameter").values()}
    assert written == {parameter_name(stage, key) for key in CLI_KEYS}


# --- event patterns ------------------------------------------------------------------------------


def matches(pattern: dict, event: dict) -> bool:
    """EventBridge matching for the operators our rules use: exact values and ``prefix``."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not matches(expected, value):
                return False
        elif not any(_matches_value(rule, value) for rule in expected):
            return False
    return True


def _matches_value(rule: object, value: object) -> bool:
    if isinstance(rule, dict):
        (operator,) = rule
        if operator != "prefix":
            raise NotImplementedError(f"pattern operator {operator!r}: extend this matcher")
        return isinstance(value, str) and value.startswith(rule["prefix"])
    return value == rule


def resolve(value: Any) -> Any:
    """Pseudo parameters and Fn::Join in a pattern, as CloudFormation resolves them for the test env."""
    if isinstance(value, list):
        return [resolve(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in PSEUDO:
            return PSEUDO[value["Ref"]]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(resolve(part) for part in parts)
        return {key: resolve(item) for key, item in value.items()}
    return value


def rules(template: dict) -> dict[str, dict]:
    return {
        logical_id: {
            **resource["Properties"],
            "EventPattern": resolve(resource["Properties"]["EventPattern"]),
        }
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule" and "EventPattern" in resource["Properties"]
    }


def matching_rules(template: dict, event: dict) -> list[str]:
    return sorted(lid for lid, rule in rules(template).items() if matches(rule["EventPattern"], event))


def sample(name: str, **replacements: str) -> dict:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def drift_event(environment: str) -> dict:
    """The envelope EventBridge delivers for the drift check's PutEvents entry."""
    entry = events.drift_detected_entry(
        environment=environment,
        endpoint_name=naming.endpoint_name(environment),
        drift_score=0.3,
        threshold=0.2,
    )
    return {
        **sample("drift_event.json"),
        "source": entry["Source"],
        "detail-type": entry["DetailType"],
        "detail": json.loads(entry["Detail"]),
    }


def data_bucket(template: dict) -> str:
    (name,) = {
        rule["EventPattern"]["detail"]["bucket"]["name"][0]
        for rule in rules(template).values()
        if "bucket" in rule["EventPattern"].get("detail", {})
    }
    return name


@pytest.mark.parametrize("stage", STAGES)
def test_each_producer_reaches_exactly_its_rule(synth, stage):
    template = synth.template(stage, "Training")
    jobs = naming.job_name_prefix(stage)
    bucket = data_bucket(template)
    assert bucket.startswith(naming.resource_prefix(stage) + "-data-")
    cases = {
        "RawUploadRule": sample("s3_object_created.json", DATA_BUCKET=bucket, OBJECT_KEY="raw/reviews.csv"),
        "TrainingFinishedRule": sample(
            "training_job_completed.json", JOB_NAME=f"{jobs}sched-0123456789abcdef"
        ),
        "TuningFinishedRule": sample(
            "tuning_job_completed.json", TUNING_JOB_NAME=f"{jobs}hpo-250601", BEST_JOB_NAME=f"{jobs}hpo-1"
        ),
        "RetrainOnDrift": drift_event(stage),
    }
    for rule, event in cases.items():
        (matched,) = matching_rules(template, event)
        assert rule in matched, (rule, matched)


@pytest.mark.parametrize("stage", STAGES)
def test_no_rule_matches_another_environments_events(synth, stage):
    template = synth.template(stage, "Training")
    other = f"{stage}-eu"  # a future environment whose name extends this one
    jobs = naming.job_name_prefix(other)
    bucket = data_bucket(template)
    for event in (
        sample("training_job_completed.json", JOB_NAME=f"{jobs}sched-0123456789abcdef"),
        sample("tuning_job_completed.json", TUNING_JOB_NAME=f"{jobs}hpo-1", BEST_JOB_NAME=f"{jobs}hpo-1"),
        drift_event(other),
        sample("s3_object_created.json", DATA_BUCKET=bucket, OBJECT_KEY="processed/x/train.csv"),
        sample("s3_object_created.json", DATA_BUCKET=bucket.replace(stage, other, 1), OBJECT_KEY="raw/x.csv"),
    ):
        assert matching_rules(template, event) == []


def test_a_running_job_state_change_starts_nothing(synth):
    template = synth.template("dev", "Training")
    event = sample("training_job_completed.json", JOB_NAME=f"{naming.job_name_prefix('dev')}sched-1")
    event["detail"]["TrainingJobStatus"] = "InProgress"
    assert matching_rules(template, event) == []


def test_the_retrain_function_reads_the_drift_event_the_rule_lets_through():
    trigger = parse_trigger(drift_event("dev"), environment="dev", request_id="r")
    assert trigger.kind == "drift"
    assert trigger.details == {
        "drift_score": 0.3,
        "threshold": 0.2,
        "endpoint_name": naming.endpoint_name("dev"),
    }
