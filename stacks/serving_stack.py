"""The A/B endpoint of one environment and the automation that rolls approved models out to it.

Which model each variant serves is read at deploy time from the serving state (SSM parameters, see
``ServingStateStack``) through CloudFormation parameters of type ``AWS::SSM::Parameter::Value<String>``;
while the champion parameter says ``none`` every endpoint resource is left out by a condition and
the stack says that the endpoint waits for an approved model. Synth never looks anything up.

``example_models=True`` (context ``serving_example_models=true``, ``make synth-with-models``) puts
well-formed example model package ARNs in their place so the endpoint's template can be read offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnCondition, CfnOutput, CfnParameter, Fn, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.model_image import ModelImage
from constructs_lib.rollback_alarms import RollbackAlarms
from constructs_lib.runtime_function import RuntimeFunction, runtime_code
from constructs_lib.sagemaker_endpoint import (
    EndpointVariantProps,
    SageMakerEndpoint,
    ScheduledCapacityProps,
    VariantScalingProps,
)
from constructs_lib.sagemaker_model_role import SageMakerModelRole
from mlops_contracts import events as contract_events
from mlops_contracts import layout, naming, parameters
from mlops_contracts.metrics import SERVING_ROLLOUT_SERVICE
from mlops_contracts.serving import CHALLENGER, CHAMPION, NO_MODEL
from pipeline_core.endpoint_config import ServingSpec, deployment_config
from pipeline_core.serving_state import state_keys

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_MODELS_CONTEXT = "serving_example_models"
WAITING_MESSAGE = (
    "waiting for an approved model: no endpoint yet. Approve a model package "
    "(python -m ops_cli approve VERSION --env {env} --comment ...) and deploy again"
)


def example_package_arn(config: EnvironmentConfig, version: int) -> str:
    group = naming.model_package_group_name(config.name)
    return f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:model-package/{group}/{version}"


class ServingStack(Stack):
    """Exposes ``spec``, ``model_role``, ``alarms``, ``endpoint`` and ``rollout_function``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        storage: Any,
        image: ModelImage,
        example_models: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        serving = config.serving
        key, topic = storage.key, storage.alert_topic
        endpoint_name = naming.endpoint_name(config.name)
        group = naming.model_package_group_name(config.name)
        data_bucket = _bucket(
            self, "DataBucket", naming.bucket_name(config.name, "data", Aws.ACCOUNT_ID, Aws.REGION)
        )
        models_bucket = _bucket(
            self, "ModelsBucket", naming.bucket_name(config.name, "models", Aws.ACCOUNT_ID, Aws.REGION)
        )
        removal_policy = RemovalPolicy.RETAIN if config.storage.retain_data else RemovalPolicy.DESTROY

        self.model_role = SageMakerModelRole(
            self,
            "ModelRole",
            data_bucket=data_bucket,
            models_bucket=models_bucket,
            model_prefixes=[layout.MODEL_OUTPUT_PREFIX],
            capture_prefix=layout.CAPTURE_PREFIX,
            batch_input_prefix=layout.BATCH_INPUT_PREFIX,
            batch_output_prefix=layout.BATCH_OUTPUT_PREFIX,
            encryption_key=key,
        ).role
        image.grant_pull(self.model_role)

        self.alarms = RollbackAlarms(
            self,
            "RollbackAlarms",
            environment=config.name,
            endpoint_name=endpoint_name,
            variants=serving.variant_names,
            latency_p99_ms=serving.alarm_latency_p99_ms,
            error_rate=serving.alarm_error_rate,
            alert_topic=topic,
        )
        self.spec = ServingSpec(
            environment=config.name,
            endpoint_name=endpoint_name,
            execution_role_arn=self.model_role.role_arn,
            model_package_group=group,
            instance_type=serving.instance_type,
            initial_instance_count=serving.min_instances,
            kms_key_arn=key.key_arn,
            deployment_config=deployment_config(
                traffic_type=serving.rollout_traffic,
                step_percent=serving.rollout_step_percent,
                wait_seconds=serving.rollout_wait_seconds,
                baking_seconds=serving.rollout_baking_seconds,
                timeout_seconds=serving.rollout_timeout_seconds,
                alarm_names=self.alarms.alarm_names,
                serverless=serving.serverless,
            ),
            shadow_challenger=serving.shadow_challenger,
            serverless_memory_mb=serving.serverless_memory_mb if serving.serverless else None,
            serverless_max_concurrency=serving.serverless_max_concurrency if serving.serverless else None,
            capture_destination=None
            if serving.serverless
            else f"s3://{data_bucket.bucket_name}/{layout.CAPTURE_PREFIX.rstrip('/')}",
            capture_sampling_percent=serving.capture_sampling_percent,
            tags=config.cost_allocation_tags,
        )

        # --- what each variant serves: deploy-time SSM values, or examples -------------------------
        condition: CfnCondition | None = None
        if example_models:
            models = {CHAMPION: example_package_arn(config, 1), CHALLENGER: example_package_arn(config, 2)}
            weights: dict[str, float | str] = {
                CHAMPION: 1.0 if serving.serverless else serving.champion_weight,
                CHALLENGER: serving.challenger_weight,
            }
        else:
            used = (
                ("champion", "champion_weight")
                if serving.serverless
                else ("champion", "champion_weight", "challenger", "challenger_weight")
            )
            keys = state_keys()
            state = {
                field: CfnParameter(
                    self,
                    f"Serving{field.title().replace('_', '')}",
                    type="AWS::SSM::Parameter::Value<String>",
                    default=parameters.parameter_name(config.name, keys[field]),
                    description=f"SSM parameter with the serving state's {field} (resolved at deploy time)",
                ).value_as_string
                for field in used
            }
            condition = CfnCondition(
                self,
                "HasApprovedModel",
                expression=Fn.condition_not(Fn.condition_equals(state["champion"], NO_MODEL)),
            )
            models = {CHAMPION: state["champion"]}
            weights = {CHAMPION: state["champion_weight"]}
            if not serving.serverless:
                has_challenger = CfnCondition(
                    self,
                    "HasChallenger",
                    expression=Fn.condition_not(Fn.condition_equals(state["challenger"], NO_MODEL)),
                )
                # Until a challenger is approved, the challenger variant serves the champion's model.
                models[CHALLENGER] = Fn.condition_if(
                    has_challenger.logical_id, state["challenger"], state["champion"]
                ).to_string()
                weights[CHALLENGER] = state["challenger_weight"]

        scaling = VariantScalingProps(
            min_capacity=serving.min_instances,
            max_capacity=serving.max_instances,
            target_invocations_per_instance=serving.target_invocations_per_instance,
            scale_in_cooldown_seconds=serving.scale_in_cooldown_seconds,
            scale_out_cooldown_seconds=serving.scale_out_cooldown_seconds,
            scheduled=[
                ScheduledCapacityProps(
                    name=action.name,
                    schedule=action.schedule,
                    min_capacity=action.min_instances,
                    max_capacity=action.max_instances,
                )
                for action in serving.scheduled_capacity
            ],
        )
        self.endpoint = SageMakerEndpoint(
            self,
            "Endpoint",
            spec=self.spec,
            variants=[
                EndpointVariantProps(
                    name=variant,
                    model_package_arn=models[variant],
                    initial_weight=weights[variant],
                    scaling=None if serving.serverless else scaling,
                )
                for variant in serving.variant_names
            ],
            condition=condition,
        )
        # Alarms first: the deployment config names them (by name, so no reference cycle).
        self.endpoint.endpoint.node.add_dependency(self.alarms)

        # --- approvals in this environment's group -> guarded rollout --------------------------------
        rollout = RuntimeFunction(
            self,
            "ServingRollout",
            code=runtime_code(REPO_ROOT, "serving_rollout", packages=["mlops_contracts", "pipeline_core"]),
            handler=naming.lambda_handler("serving_rollout"),
            description="Rolls approved model packages out to the endpoint (guarded blue/green) and alerts",
            service_name=SERVING_ROLLOUT_SERVICE,
            encryption_key=key,
            timeout_seconds=120,
            # One approval at a time: read-modify-write of the serving state must not race.
            reserved_concurrency=1,
            removal_policy=removal_policy,
            log_retention_days=config.storage.function_log_retention_days,
            environment={
                "ENVIRONMENT_NAME": config.name,
                "MODEL_PACKAGE_GROUP": group,
                "ALERT_TOPIC_ARN": topic.topic_arn,
                "SERVING_SPEC": self.spec.to_json(),
            },
        )
        self.rollout_function = rollout.function
        self._grant_rollout(config, self.rollout_function, group, endpoint_name)
        topic.grant_publish(self.rollout_function)
        key.grant(self.rollout_function, "kms:Decrypt", "kms:GenerateDataKey*")
        events.Rule(
            self,
            "ModelApprovalRule",
            description=f"Roll out (or withdraw) model packages of {group} when their approval changes",
            event_pattern=events.EventPattern(
                source=[contract_events.SAGEMAKER_SOURCE],
                detail_type=[contract_events.MODEL_PACKAGE_STATE_CHANGE],
                detail={
                    "ModelPackageGroupName": [group],
                    "ModelApprovalStatus": ["Approved", "Rejected"],
                },
            ),
            targets=[rollout.event_target()],
        )

        # --- for the operator CLI and the people reading the stack -----------------------------------
        ssm.StringParameter(
            self,
            "SpecParameter",
            parameter_name=parameters.parameter_name(config.name, parameters.SERVING_SPEC),
            string_value=self.spec.to_json(),
            description=f"How {endpoint_name} is built (read by python -m ops_cli)",
        )
        CfnOutput(
            self, "EndpointName", value=endpoint_name, description="SageMaker endpoint of this environment"
        )
        waiting = WAITING_MESSAGE.format(env=config.name)
        if condition is not None:
            status: str = Fn.condition_if(
                condition.logical_id, f"serving {endpoint_name}", waiting
            ).to_string()
        else:
            status = f"serving {endpoint_name} (example model packages: synth-with-models)"
        CfnOutput(self, "EndpointStatus", value=status, description="Whether the endpoint exists yet")
        CfnOutput(self, "ServingMode", value=_mode(config), description="Variants, capture and scaling")

    def _grant_rollout(
        self, config: EnvironmentConfig, function: Any, group: str, endpoint_name: str
    ) -> None:
        sagemaker_arn = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        state_arn = (
            f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter"
            f"{parameters.parameter_name(config.name, 'serving')}/*"
        )
        statements = [
            iam.PolicyStatement(
                sid="ReadAndWriteServingState",
                actions=["ssm:GetParameters", "ssm:PutParameter"],
                resources=[state_arn],
            ),
            iam.PolicyStatement(
                sid="ReadApprovedPackages",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[f"{sagemaker_arn}:model-package/{group}/*"],
            ),
            iam.PolicyStatement(
                sid="CreateModelsAndConfigs",
                actions=["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:AddTags"],
                resources=[
                    f"{sagemaker_arn}:model/{endpoint_name}-*",
                    f"{sagemaker_arn}:endpoint-config/{endpoint_name}-*",
                ],
            ),
            iam.PolicyStatement(
                sid="UpdateTheEndpoint",
                actions=["sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint"],
                resources=[
                    f"{sagemaker_arn}:endpoint/{endpoint_name}",
                    f"{sagemaker_arn}:endpoint-config/{endpoint_name}-*",
                ],
            ),
            iam.PolicyStatement(
                sid="HandTheModelRoleToSageMaker",
                actions=["iam:PassRole"],
                resources=[self.model_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="EncryptEndpointVolumes",
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=[self.spec.kms_key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
        for statement in statements:
            function.add_to_role_policy(statement)


def _mode(config: EnvironmentConfig) -> str:
    serving = config.serving
    if serving.serverless:
        return (
            f"serverless ({serving.serverless_memory_mb} MB, "
            f"max concurrency {serving.serverless_max_concurrency}): "
            "one variant (champion), no challenger, no data capture, no autoscaling; approvals replace the "
            "champion through a blue/green update"
        )
    challenger = (
        "shadow challenger (copy of traffic, answers logged only)"
        if serving.shadow_challenger
        else (f"champion/challenger {serving.champion_weight:g}/{serving.challenger_weight:g}")
    )
    return (
        f"{serving.instance_type}, {challenger}, "
        f"{serving.min_instances}-{serving.max_instances} instances per "
        f"variant, data capture {serving.capture_sampling_percent}% to {layout.CAPTURE_PREFIX}"
    )


def _bucket(scope: Construct, construct_id: str, name: str) -> s3.IBucket:
    return s3.Bucket.from_bucket_attributes(
        scope, construct_id, bucket_name=name, bucket_arn=f"arn:{Aws.PARTITION}:s3:::{name}"
    )
