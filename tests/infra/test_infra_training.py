"""Behaviour of the training stack: triggers, the execution role's exact permissions, the registry."""

from __future__ import annotations

import importlib
import json

import pytest

from config import load_environments

ENVIRONMENTS = {env.name: env for env in load_environments({})}
STAGES = list(ENVIRONMENTS)


def function_logical_id(template: dict, resources_of_type, handler: str) -> str:
    (logical_id,) = [
        logical_id
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") == handler
    ]
    return logical_id


def rule_targets(rule: dict) -> list[str]:
    return [target["Arn"]["Fn::GetAtt"][0] for target in rule["Properties"]["Targets"]]


def rules_targeting(template: dict, resources_of_type, function_id: str) -> list[dict]:
    return [
        rule
        for rule in resources_of_type(template, "AWS::Events::Rule").values()
        if function_id in rule_targets(rule)
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_schedule_starts_the_retrain_function_and_follows_config(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    retrain = function_logical_id(
        template, resources_of_type, "lambda_functions.retrain.handler.lambda_handler"
    )
    (scheduled,) = [
        r
        for r in rules_targeting(template, resources_of_type, retrain)
        if "ScheduleExpression" in r["Properties"]
    ]
    training = ENVIRONMENTS[stage].training
    assert scheduled["Properties"]["ScheduleExpression"] == training.schedule
    assert scheduled["Properties"]["State"] == ("ENABLED" if training.schedule_enabled else "DISABLED")


def test_schedule_is_off_in_dev_and_on_in_prod(synth, resources_of_type):
    states = {}
    for stage in ("dev", "prod"):
        template = synth.template(stage, "Training")
        rules = resources_of_type(template, "AWS::Events::Rule").values()
        (state,) = [r["Properties"]["State"] for r in rules if "ScheduleExpression" in r["Properties"]]
        states[stage] = state
    assert states == {"dev": "DISABLED", "prod": "ENABLED"}


@pytest.mark.parametrize("stage", STAGES)
def test_drift_events_of_this_environment_start_retraining(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    retrain = function_logical_id(
        template, resources_of_type, "lambda_functions.retrain.handler.lambda_handler"
    )
    patterns = [
        r["Properties"].get("EventPattern") for r in rules_targeting(template, resources_of_type, retrain)
    ]
    assert {
        "source": ["mlops-sentiment"],
        "detail-type": ["Model Drift Detected"],
        "detail": {"environment": [stage]},
    } in patterns


@pytest.mark.parametrize("stage", STAGES)
def test_completion_rule_matches_only_this_stacks_jobs_in_terminal_states(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    register = function_logical_id(
        template, resources_of_type, "lambda_functions.register_model.handler.lambda_handler"
    )
    patterns = {
        r["Properties"]["EventPattern"]["detail-type"][0]: r["Properties"]["EventPattern"]
        for r in rules_targeting(template, resources_of_type, register)
    }
    prefix = f"sentiment-{stage}--"
    assert patterns["SageMaker Training Job State Change"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Training Job State Change"],
        "detail": {
            "TrainingJobName": [{"prefix": prefix}],
            "TrainingJobStatus": ["Completed", "Failed", "Stopped"],
        },
    }
    tuning = patterns["SageMaker HyperParameter Tuning Job State Change"]["detail"]
    assert tuning["HyperParameterTuningJobName"] == [{"prefix": prefix}]
    assert "InProgress" not in tuning["HyperParameterTuningJobStatus"]


@pytest.mark.parametrize("stage", STAGES)
def test_uploads_under_raw_start_preprocessing(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    preprocess = function_logical_id(
        template, resources_of_type, "lambda_functions.preprocess.handler.lambda_handler"
    )
    (rule,) = rules_targeting(template, resources_of_type, preprocess)
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": "raw/"}]}
    bucket_name = json.dumps(pattern["detail"]["bucket"]["name"])
    assert f"mlops-sentiment-{stage}-data-" in bucket_name
    # ... and the data bucket really sends its events to EventBridge.
    storage = synth.template(stage, "Storage")
    notifications = resources_of_type(storage, "Custom::S3BucketNotifications")
    assert any(
        n["Properties"]["NotificationConfiguration"].get("EventBridgeConfiguration") == {}
        for n in notifications.values()
    )


def training_role_statements(template: dict, resources_of_type) -> dict[str, dict]:
    roles = resources_of_type(template, "AWS::IAM::Role")
    (role_id,) = [
        logical_id
        for logical_id, role in roles.items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "sagemaker.amazonaws.com"}
    ]
    statements = {}
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                statements[statement.get("Sid", json.dumps(statement["Action"]))] = statement
    return statements


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("stage", STAGES)
def test_training_role_has_exactly_the_permissions_it_needs(synth, resources_of_type, stage):
    statements = training_role_statements(synth.template(stage, "Training"), resources_of_type)
    actions = {sid: sorted(as_list(s["Action"])) for sid, s in statements.items()}
    assert actions["ReadTrainingData"] == ["s3:GetObject"]
    assert actions["ReadWriteArtifactsAndCheckpoints"] == [
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:PutObject",
    ]
    assert actions["WriteTrainingLogs"] == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    # Reading training data is limited to processed/ of this environment's data bucket.
    read = json.dumps(statements["ReadTrainingData"]["Resource"])
    assert f"mlops-sentiment-{stage}-data-" in read and "/processed/*" in read
    written = json.dumps(statements["ReadWriteArtifactsAndCheckpoints"]["Resource"])
    assert "/training-jobs/*" in written and "/checkpoints/*" in written and "-data-" not in written
    # "*" only where AWS offers no resource-level permission, and never with a write to data.
    star = sorted(a for s in statements.values() if s["Resource"] == "*" for a in as_list(s["Action"]))
    assert star == ["cloudwatch:PutMetricData", "ecr:GetAuthorizationToken"]
    assert statements["PublishTrainingMetrics"]["Condition"]["StringLike"]["cloudwatch:namespace"]
    # The image pull is scoped to the asset repository, not "*".
    pulls = [s for s in statements.values() if "ecr:BatchGetImage" in as_list(s["Action"])]
    assert pulls and all(s["Resource"] != "*" for s in pulls)
    # Volume encryption grants only for AWS resources.
    assert statements["EncryptTrainingVolumes"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}
    }


@pytest.mark.parametrize(("stage", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_model_package_group_is_kept_in_prod(synth, resources_of_type, stage, policy):
    template = synth.template(stage, "Training")
    (group,) = resources_of_type(template, "AWS::SageMaker::ModelPackageGroup").values()
    assert group["Properties"]["ModelPackageGroupName"] == f"mlops-sentiment-{stage}-models"
    assert group["DeletionPolicy"] == policy


@pytest.mark.parametrize("stage", STAGES)
def test_retrain_function_gets_training_settings_from_config(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    retrain = function_logical_id(
        template, resources_of_type, "lambda_functions.retrain.handler.lambda_handler"
    )
    variables = template["Resources"][retrain]["Properties"]["Environment"]["Variables"]
    training = ENVIRONMENTS[stage].training
    assert variables["INSTANCE_TYPE"] == training.instance_type
    assert variables["USE_SPOT"] == str(training.use_spot).lower()
    assert variables["MAX_RUNTIME_SECONDS"] == str(training.max_runtime_seconds)
    assert variables["MAX_WAIT_SECONDS"] == str(training.max_wait_seconds)
    assert variables["ENVIRONMENT_NAME"] == stage
    # Prefixes are not passed: the function takes them from mlops_contracts, so they cannot disagree.
    assert not {name for name in variables if name.endswith("_PREFIX")}
    assert json.loads(variables["COST_TAGS"]) == ENVIRONMENTS[stage].cost_allocation_tags
    # One trigger at a time, so "is a job running?" cannot race itself.
    assert template["Resources"][retrain]["Properties"]["ReservedConcurrentExecutions"] == 1


@pytest.mark.parametrize("stage", STAGES)
def test_preprocess_function_gets_its_limits_from_config(synth, resources_of_type, stage):
    template = synth.template(stage, "Training")
    preprocess = function_logical_id(
        template, resources_of_type, "lambda_functions.preprocess.handler.lambda_handler"
    )
    variables = template["Resources"][preprocess]["Properties"]["Environment"]["Variables"]
    settings = ENVIRONMENTS[stage].preprocessing
    assert variables["MAX_INPUT_BYTES"] == str(settings.max_upload_bytes)
    assert float(variables["VALIDATION_FRACTION"]) == settings.validation_fraction
    assert not {name for name in variables if name.endswith("_PREFIX")}


def test_only_the_retrain_function_may_pass_the_training_role(synth, resources_of_type):
    template = synth.template("dev", "Training")
    passing = []
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "iam:PassRole" in as_list(statement["Action"]):
                assert statement["Condition"] == {
                    "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
                }
                passing.extend(ref["Ref"] for ref in policy["Properties"]["Roles"])
    assert len(passing) == 1 and passing[0].startswith("RetrainRole")


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_handler_resolves_to_real_code(synth, resources_of_type, stage):
    functions = resources_of_type(synth.template(stage, "Training"), "AWS::Lambda::Function")
    handlers = [
        f["Properties"]["Handler"]
        for f in functions.values()
        if f["Properties"]["Handler"].startswith("lambda_functions.")
    ]
    assert len(handlers) == 3
    for handler in handlers:
        module, attribute = handler.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), attribute))


def test_model_image_is_staged_from_model_code_and_used_by_training(synth, resources_of_type):
    """Synth only stages the Docker context (deploy builds it); the retrain function trains with it."""
    (assets_file,) = (synth.outdir / "assembly-dev").glob("devTraining*.assets.json")
    ((image_hash, image),) = json.loads(assets_file.read_text())["dockerImages"].items()
    context = (assets_file.parent / image["source"]["directory"]).resolve()
    assert (context / "Dockerfile").exists() and (context / "train.py").exists()
    assert image["source"]["platform"] == "linux/amd64"
    # SageMaker expects BYO containers to run as root; the Dockerfile's default user is non-root.
    assert image["source"]["dockerBuildArgs"] == {"RUNTIME_USER": "0:0"}
    assert not (context / "__pycache__").exists()
    template = synth.template("dev", "Training")
    retrain = function_logical_id(
        template, resources_of_type, "lambda_functions.retrain.handler.lambda_handler"
    )
    image_uri = json.dumps(
        template["Resources"][retrain]["Properties"]["Environment"]["Variables"]["TRAINING_IMAGE_URI"]
    )
    assert "container-assets" in image_uri
    assert image_hash in image_uri
