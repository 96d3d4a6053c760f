"""Permissions and retention of the pipeline functions that failure paths depend on."""

from __future__ import annotations

import pytest

from config import load_environments

ENVIRONMENTS = {env.name: env for env in load_environments({})}
STAGES = list(ENVIRONMENTS)


def role_statements(template: dict, resources_of_type, role_prefix: str) -> list[dict]:
    statements: list[dict] = []
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        if any(ref["Ref"].startswith(role_prefix) for ref in policy["Properties"]["Roles"]):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def statements_with(statements: list[dict], action: str) -> list[dict]:
    return [statement for statement in statements if action in as_list(statement["Action"])]


@pytest.mark.parametrize("stage", STAGES)
def test_log_groups_and_dead_letter_queues_follow_the_environments_retention(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    storage = ENVIRONMENTS[stage].storage
    expected_policy = "Retain" if storage.retain_data else "Delete"
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup").values()
    queues = resources_of_type(template, "AWS::SQS::Queue").values()
    assert len(log_groups) == 3 and len(queues) >= 3
    for group in log_groups:
        assert group["Properties"]["RetentionInDays"] == storage.function_log_retention_days
        assert group["DeletionPolicy"] == expected_policy
    for queue in queues:
        assert queue["DeletionPolicy"] == expected_policy


def test_only_aws_resources_may_get_grants_on_the_platform_key(synth, resources_of_type):
    template = synth.template("dev", "Training")
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        for statement in statements_with(
            policy["Properties"]["PolicyDocument"]["Statement"], "kms:CreateGrant"
        ):
            assert statement["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    retrain = role_statements(template, resources_of_type, "RetrainRole")
    assert len(statements_with(retrain, "kms:CreateGrant")) == 1


def test_registration_may_list_job_outputs_so_a_missing_archive_is_not_found(synth, resources_of_type):
    template = synth.template("dev", "Training")
    (listing,) = statements_with(
        role_statements(template, resources_of_type, "RegisterModelRole"), "s3:ListBucket"
    )
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["training-jobs/*"]}}


def test_preprocessing_may_read_the_version_its_event_names(synth, resources_of_type):
    template = synth.template("dev", "Training")
    statements = role_statements(template, resources_of_type, "PreprocessRole")
    (versioned,) = statements_with(statements, "s3:GetObjectVersion")
    assert "s3:GetObject" in versioned["Action"]
    assert "/raw/*" in str(versioned["Resource"])


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_rule_target_has_a_dead_letter_queue_and_a_bounded_retry(synth, resources_of_type, stage):
    """An event EventBridge cannot deliver lands in the target function's dead-letter queue."""
    template = synth.template(stage, "Training")
    queues = set(resources_of_type(template, "AWS::SQS::Queue"))
    rules = resources_of_type(template, "AWS::Events::Rule").values()
    assert len(rules) == 5
    for rule in rules:
        for target in rule["Properties"]["Targets"]:
            dead_letters = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"]
            assert dead_letters[0] in queues and dead_letters[1] == "Arn"
            function = target["Arn"]["Fn::GetAtt"][0]
            # The function's own dead-letter queue: one queue per function holds all it never handled.
            assert template["Resources"][function]["Properties"]["DeadLetterConfig"]["TargetArn"] == {
                "Fn::GetAtt": dead_letters
            }
            assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 6 * 3600
            assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("stack", ["Serving", "Monitoring"])
def test_every_other_functions_log_group_and_dead_letters_follow_the_environment_too(
    synth, resources_of_type, stage, stack
):
    """The serving-rollout and drift-check functions (not CDK's own provider functions)."""
    template = synth.template(stage, stack)
    storage = ENVIRONMENTS[stage].storage
    expected_policy = "Retain" if storage.retain_data else "Delete"
    ours = ("ServingRollout", "DriftCheck")
    log_groups = [
        v for k, v in resources_of_type(template, "AWS::Logs::LogGroup").items() if k.startswith(ours)
    ]
    queues = [v for k, v in resources_of_type(template, "AWS::SQS::Queue").items() if k.startswith(ours)]
    assert len(log_groups) == len(queues)  # a function each (dev monitors no drift: serverless)
    for group in log_groups:
        assert group["Properties"]["RetentionInDays"] == storage.function_log_retention_days
        assert group["DeletionPolicy"] == expected_policy
    for queue in queues:
        assert queue["DeletionPolicy"] == expected_policy
