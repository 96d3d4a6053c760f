"""The serving stacks: A/B endpoint, capture, autoscaling, guarded rollout, serving state, approvals.

Two synthesized apps: the normal one (no approved model: the endpoint waits behind a condition and the
variants' models are deploy-time SSM values) and ``synth_with_models`` (``make synth-with-models``:
example model package ARNs, every endpoint resource present).
"""

from __future__ import annotations

import json

import pytest

from config import load_environments
from mlops_contracts import layout, naming, parameters, serving
from pipeline_core.serving_state import state_keys

ENVIRONMENTS = {env.name: env for env in load_environments({})}
INSTANCE_STAGES = [name for name, env in ENVIRONMENTS.items() if not env.serving.serverless]
SERVERLESS_STAGES = [name for name, env in ENVIRONMENTS.items() if env.serving.serverless]
ENDPOINT_TYPES = (
    "AWS::SageMaker::Model",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Endpoint",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
)


def one(resources: dict[str, dict]) -> dict:
    (resource,) = resources.values()
    return resource


def test_both_apps_synthesize_without_unacknowledged_findings(synth, synth_with_models):
    assert synth.validation_error is None
    assert synth_with_models.validation_error is None
    assert {"dev/Serving", "dev/ServingState", "prod/Serving"} <= set(synth_with_models.templates)


def test_environments_in_the_tests_cover_both_serving_modes():
    assert INSTANCE_STAGES and SERVERLESS_STAGES


# --- no approved model yet ---------------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(ENVIRONMENTS))
def test_without_a_model_every_endpoint_resource_waits_behind_one_condition(synth, resources_of_type, stage):
    template = synth.template(stage, "Serving")
    endpoint_resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in ENDPOINT_TYPES
    }
    assert len(endpoint_resources) >= 3
    assert {resource.get("Condition") for resource in endpoint_resources.values()} == {"HasApprovedModel"}
    assert template["Conditions"]["HasApprovedModel"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ServingChampion"}, serving.NO_MODEL]}]
    }
    # Everything else (alarms, the approval function, its rule) deploys now, unconditionally.
    for resource_type in ("AWS::CloudWatch::Alarm", "AWS::Lambda::Function", "AWS::Events::Rule"):
        assert resources_of_type(template, resource_type)
        assert all("Condition" not in r for r in resources_of_type(template, resource_type).values())


@pytest.mark.parametrize("stage", list(ENVIRONMENTS))
def test_the_stack_says_the_endpoint_waits_for_an_approved_model(synth, stage):
    outputs = synth.template(stage, "Serving")["Outputs"]
    condition, serving_text, waiting_text = outputs["EndpointStatus"]["Value"]["Fn::If"]
    assert condition == "HasApprovedModel"
    assert serving_text == f"serving {naming.endpoint_name(stage)}"
    assert waiting_text.startswith("waiting for an approved model")
    assert outputs["EndpointName"]["Value"] == naming.endpoint_name(stage)


@pytest.mark.parametrize("stage", INSTANCE_STAGES)
def test_variant_models_and_weights_are_read_from_the_serving_state_at_deploy_time(
    synth, resources_of_type, stage
):
    template = synth.template(stage, "Serving")
    expected = {
        "ServingChampion": "champion",
        "ServingChallenger": "challenger",
        "ServingChampionWeight": "champion_weight",
        "ServingChallengerWeight": "challenger_weight",
    }
    for logical_id, field in expected.items():
        parameter = template["Parameters"][logical_id]
        assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
        assert parameter["Default"] == parameters.parameter_name(stage, state_keys()[field])
    models = {
        resource["Properties"]["Containers"][0]["ModelPackageName"].get("Ref", "if")
        for resource in resources_of_type(template, "AWS::SageMaker::Model").values()
    }
    assert models == {"ServingChampion", "if"}
    (challenger,) = [
        r
        for r in resources_of_type(template, "AWS::SageMaker::Model").values()
        if "Fn::If" in r["Properties"]["Containers"][0]["ModelPackageName"]
    ]
    # No challenger approved yet: its variant serves the champion's model.
    assert challenger["Properties"]["Containers"][0]["ModelPackageName"]["Fn::If"] == [
        "HasChallenger",
        {"Ref": "ServingChallenger"},
        {"Ref": "ServingChampion"},
    ]
    variants = one(resources_of_type(template, "AWS::SageMaker::EndpointConfig"))["Properties"][
        "ProductionVariants"
    ]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in variants] == [
        ("champion", {"Ref": "ServingChampionWeight"}),
        ("challenger", {"Ref": "ServingChallengerWeight"}),
    ]


def test_serving_state_is_created_once_and_never_overwritten_by_cloudformation(synth, resources_of_type):
    template = synth.template("staging", "ServingState")
    calls = [
        json.loads(json.dumps(resource["Properties"]["Create"]))
        for resource in resources_of_type(template, "Custom::CreateOnceParameter").values()
    ]
    assert resources_of_type(template, "AWS::SSM::Parameter") == {}
    created = {}
    for call in calls:
        text = (
            call
            if isinstance(call, str)
            else "".join(p if isinstance(p, str) else "" for p in call["Fn::Join"][1])
        )
        body = json.loads(text)
        assert body["action"] == "putParameter"
        assert body["parameters"]["Overwrite"] is False
        assert body["ignoreErrorCodesMatching"] == "ParameterAlreadyExists"
        created[body["parameters"]["Name"]] = body["parameters"]["Value"]
    config = ENVIRONMENTS["staging"].serving
    assert created == {
        parameters.parameter_name("staging", key): value
        for key, value in (
            (state_keys()["champion"], serving.NO_MODEL),
            (state_keys()["challenger"], serving.NO_MODEL),
            (state_keys()["previous_champion"], serving.NO_MODEL),
            (state_keys()["champion_weight"], f"{config.champion_weight:g}"),
            (state_keys()["challenger_weight"], f"{config.challenger_weight:g}"),
        )
    }


# --- with approved models (make synth-with-models) ---------------------------------------------------


@pytest.mark.parametrize("stage", INSTANCE_STAGES)
def test_two_production_variants_with_stable_names_and_configured_weights(
    synth_with_models, resources_of_type, stage
):
    template = synth_with_models.template(stage, "Serving")
    config = ENVIRONMENTS[stage].serving
    assert all("Condition" not in r for r in template["Resources"].values())
    endpoint_config = one(resources_of_type(template, "AWS::SageMaker::EndpointConfig"))["Properties"]
    variants = endpoint_config["ProductionVariants"]
    assert [v["VariantName"] for v in variants] == [serving.CHAMPION, serving.CHALLENGER]
    assert [v["InitialVariantWeight"] for v in variants] == [config.champion_weight, config.challenger_weight]
    assert {v["InstanceType"] for v in variants} == {config.instance_type}
    assert {v["InitialInstanceCount"] for v in variants} == {config.min_instances}
    packages = sorted(
        json.dumps(r["Properties"]["Containers"][0]["ModelPackageName"])
        for r in resources_of_type(template, "AWS::SageMaker::Model").values()
    )
    group = naming.model_package_group_name(stage)
    assert [p.endswith(f':model-package/{group}/1"]]}}') for p in packages].count(True) == 1
    assert [p.endswith(f':model-package/{group}/2"]]}}') for p in packages].count(True) == 1
    assert all(
        r["Properties"]["EnableNetworkIsolation"]
        for r in resources_of_type(template, "AWS::SageMaker::Model").values()
    )


@pytest.mark.parametrize("stage", INSTANCE_STAGES)
def test_data_capture_goes_to_the_capture_prefix_encrypted_with_the_configured_sampling(
    synth_with_models, resources_of_type, stage
):
    template = synth_with_models.template(stage, "Serving")
    properties = one(resources_of_type(template, "AWS::SageMaker::EndpointConfig"))["Properties"]
    capture = properties["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == ENVIRONMENTS[stage].serving.capture_sampling_percent
    destination = "".join(
        p if isinstance(p, str) else f"<{next(iter(p.values()))}>"
        for p in capture["DestinationS3Uri"]["Fn::Join"][1]
    )
    assert (
        destination
        == f"s3://{naming.resource_prefix(stage)}-data-<AWS::AccountId>-<AWS::Region>/{layout.CAPTURE_PREFIX.rstrip('/')}"
    )
    assert capture["KmsKeyId"] == properties["KmsKeyId"]
    assert "PlatformKey" in json.dumps(capture["KmsKeyId"])
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    assert capture["CaptureContentTypeHeader"]["JsonContentTypes"] == [
        "application/json",
        "application/jsonlines",
    ]


@pytest.mark.parametrize("stage", INSTANCE_STAGES)
def test_each_variant_autoscales_on_invocations_per_instance_within_configured_bounds(
    synth_with_models, resources_of_type, stage
):
    template = synth_with_models.template(stage, "Serving")
    config = ENVIRONMENTS[stage].serving
    targets = resources_of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    by_variant = {t["Properties"]["ResourceId"].rsplit("/", 1)[-1]: (i, t) for i, t in targets.items()}
    assert sorted(by_variant) == sorted(serving.VARIANTS)
    policies = resources_of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    for variant, (logical_id, target) in by_variant.items():
        props = target["Properties"]
        assert props["ResourceId"] == f"endpoint/{naming.endpoint_name(stage)}/variant/{variant}"
        assert props["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
        assert (props["MinCapacity"], props["MaxCapacity"]) == (config.min_instances, config.max_instances)
        assert target["DependsOn"] == [
            next(i for i, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Endpoint")
        ]
        (policy,) = [p for p in policies if p["Properties"]["ScalingTargetId"] == {"Ref": logical_id}]
        tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        assert tracking == {
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "TargetValue": config.target_invocations_per_instance,
            "ScaleInCooldown": config.scale_in_cooldown_seconds,
            "ScaleOutCooldown": config.scale_out_cooldown_seconds,
        }
        scheduled = props.get("ScheduledActions", [])
        assert [
            (
                a["Schedule"],
                a["ScalableTargetAction"]["MinCapacity"],
                a["ScalableTargetAction"]["MaxCapacity"],
            )
            for a in scheduled
        ] == [(a.schedule, a.min_instances, a.max_instances) for a in config.scheduled_capacity]


def test_prod_scales_down_at_night_staging_is_smallest_and_dev_has_no_always_on_instance():
    assert [a.name for a in ENVIRONMENTS["prod"].serving.scheduled_capacity] == ["night", "day"]
    assert ENVIRONMENTS["staging"].serving.scheduled_capacity == ()
    assert (ENVIRONMENTS["prod"].serving.min_instances, ENVIRONMENTS["prod"].serving.max_instances) == (1, 5)
    staging = ENVIRONMENTS["staging"].serving
    assert (staging.min_instances, staging.max_instances) == (1, 1)
    assert ENVIRONMENTS["dev"].serving.serverless


@pytest.mark.parametrize("stage", INSTANCE_STAGES)
def test_updates_are_guarded_blue_green_canaries_that_keep_autoscaled_counts(
    synth_with_models, resources_of_type, stage
):
    template = synth_with_models.template(stage, "Serving")
    config = ENVIRONMENTS[stage].serving
    endpoint = one(resources_of_type(template, "AWS::SageMaker::Endpoint"))["Properties"]
    assert endpoint["EndpointName"] == naming.endpoint_name(stage)
    policy = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": config.rollout_step_percent},
        "WaitIntervalInSeconds": config.rollout_wait_seconds,
    }
    assert policy["TerminationWaitInSeconds"] == config.rollout_baking_seconds
    assert policy["MaximumExecutionTimeoutInSeconds"] == config.rollout_timeout_seconds
    alarm_names = [
        a["AlarmName"] for a in endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    ]
    assert sorted(alarm_names) == sorted(
        serving.rollback_alarm_name(stage, variant, kind)
        for variant in serving.VARIANTS
        for kind in serving.ROLLBACK_ALARM_KINDS
    )
    assert endpoint["RetainAllVariantProperties"] is True
    assert endpoint["ExcludeRetainedVariantProperties"] == [
        {"VariantPropertyType": "DesiredWeight"},
        {"VariantPropertyType": "DataCaptureConfig"},
    ]


@pytest.mark.parametrize("stage", INSTANCE_STAGES)
def test_rollback_alarms_watch_each_variant_by_name_without_a_reference_cycle(
    synth_with_models, resources_of_type, stage
):
    template = synth_with_models.template(stage, "Serving")
    config = ENVIRONMENTS[stage].serving
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    }
    for variant in serving.VARIANTS:
        latency = alarms[serving.rollback_alarm_name(stage, variant, serving.ALARM_LATENCY)]
        assert latency["MetricName"] == "ModelLatency"
        assert latency["ExtendedStatistic"] == "p99"
        # ModelLatency is in microseconds.
        assert latency["Threshold"] == config.alarm_latency_p99_ms * 1000
        assert {d["Name"]: d["Value"] for d in latency["Dimensions"]} == {
            "EndpointName": naming.endpoint_name(stage),
            "VariantName": variant,
        }
        errors = alarms[serving.rollback_alarm_name(stage, variant, serving.ALARM_ERRORS)]
        assert errors["Threshold"] == config.alarm_error_rate
        used = {m["Id"]: m for m in errors["Metrics"]}
        assert used["errors"]["MetricStat"]["Metric"]["MetricName"] == "Invocation5XXErrors"
        assert used["invocations"]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
        assert len(latency["AlarmActions"]) == 1
    endpoint = one(resources_of_type(template, "AWS::SageMaker::Endpoint"))
    # The endpoint names the alarms as literal strings; the alarms name the endpoint the same way.
    assert "Ref" not in json.dumps(endpoint["Properties"]["DeploymentConfig"])


@pytest.mark.parametrize("stage", SERVERLESS_STAGES)
def test_serverless_endpoint_has_one_variant_no_capture_no_scaling_and_says_so(
    synth_with_models, synth, resources_of_type, stage
):
    template = synth_with_models.template(stage, "Serving")
    config = ENVIRONMENTS[stage].serving
    properties = one(resources_of_type(template, "AWS::SageMaker::EndpointConfig"))["Properties"]
    (variant,) = properties["ProductionVariants"]
    assert variant["VariantName"] == serving.CHAMPION
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": config.serverless_memory_mb,
        "MaxConcurrency": config.serverless_max_concurrency,
    }
    assert "InstanceType" not in variant
    assert "DataCaptureConfig" not in properties
    assert resources_of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget") == {}
    mode = template["Outputs"]["ServingMode"]["Value"]
    assert "serverless" in mode and "no challenger" in mode and "no data capture" in mode
    # No challenger parameters or condition in the no-model template either.
    assert "ServingChallenger" not in synth.template(stage, "Serving")["Parameters"]
    routing = one(resources_of_type(template, "AWS::SageMaker::Endpoint"))["Properties"]["DeploymentConfig"][
        "BlueGreenUpdatePolicy"
    ]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "ALL_AT_ONCE"


# --- approval automation ---------------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(ENVIRONMENTS))
def test_approvals_in_this_environments_group_start_the_rollout_function(synth, resources_of_type, stage):
    template = synth.template(stage, "Serving")
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {
            "ModelPackageGroupName": [naming.model_package_group_name(stage)],
            "ModelApprovalStatus": ["Approved", "Rejected"],
        },
    }
    functions = resources_of_type(template, "AWS::Lambda::Function")
    (function_id,) = [
        i
        for i, f in functions.items()
        if f["Properties"].get("Handler") == "lambda_functions.serving_rollout.handler.lambda_handler"
    ]
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}


def _statements(template: dict, resources_of_type, role_fragment: str) -> dict[str, dict]:
    (policy,) = [
        p
        for logical_id, p in resources_of_type(template, "AWS::IAM::Policy").items()
        if logical_id.startswith(role_fragment)
    ]
    return {s.get("Sid", ""): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_rollout_function_may_only_touch_this_endpoint_its_models_and_the_serving_state(
    synth, resources_of_type
):
    template = synth.template("dev", "Serving")
    statements = _statements(template, resources_of_type, "ServingRolloutRoleDefaultPolicy")
    text = json.dumps(statements)
    assert "sagemaker:*" not in text and '"ssm:*"' not in text
    assert statements["UpdateTheEndpoint"]["Action"] == [
        "sagemaker:DescribeEndpoint",
        "sagemaker:UpdateEndpoint",
    ]
    assert ":endpoint/mlops-sentiment-dev-endpoint" in json.dumps(statements["UpdateTheEndpoint"]["Resource"])
    assert sorted(statements["ReadAndWriteServingState"]["Action"]) == [
        "ssm:GetParameters",
        "ssm:PutParameter",
    ]
    assert "parameter/mlops-sentiment/dev/serving/*" in json.dumps(
        statements["ReadAndWriteServingState"]["Resource"]
    )
    assert statements["HandTheModelRoleToSageMaker"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert "model-package/mlops-sentiment-dev-models/*" in json.dumps(
        statements["ReadApprovedPackages"]["Resource"]
    )


def test_model_role_reads_models_writes_capture_and_batch_output_only(synth, resources_of_type):
    template = synth.template("dev", "Serving")
    statements = _statements(template, resources_of_type, "ModelRoleDefaultPolicy")
    assert statements["WriteDataCapture"]["Action"] == "s3:PutObject"
    assert "/data-capture/*" in json.dumps(statements["WriteDataCapture"]["Resource"])
    assert statements["ReadModelArtifacts"]["Action"] == "s3:GetObject"
    assert "/training-jobs/*" in json.dumps(statements["ReadModelArtifacts"]["Resource"])
    assert "/batch-input/*" in json.dumps(statements["ReadBatchInput"]["Resource"])
    assert "/batch-transform/*" in json.dumps(statements["WriteBatchOutput"]["Resource"])


def test_cli_and_function_get_the_same_serving_spec(synth, resources_of_type):
    template = synth.template("prod", "Serving")
    (parameter,) = [
        p
        for p in resources_of_type(template, "AWS::SSM::Parameter").values()
        if p["Properties"]["Name"] == parameters.parameter_name("prod", parameters.SERVING_SPEC)
    ]
    (function,) = [
        f
        for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if "SERVING_SPEC" in f["Properties"]["Environment"]["Variables"]
    ]
    assert (
        parameter["Properties"]["Value"] == function["Properties"]["Environment"]["Variables"]["SERVING_SPEC"]
    )
