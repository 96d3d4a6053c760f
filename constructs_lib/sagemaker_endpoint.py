"""A SageMaker real-time endpoint with typed variants, data capture, autoscaling and guarded rollout.

Request bodies come from ``pipeline_core.endpoint_config`` (the approval function and the CLI send the
same bodies to the API), so the template and an update made at run time configure the endpoint alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import CfnCondition, CfnResource, Token
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from pipeline_core.endpoint_config import (
    EXCLUDED_FROM_RETENTION,
    ServingSpec,
    endpoint_config_body,
)

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
INVOCATIONS_PER_INSTANCE = "SageMakerVariantInvocationsPerInstance"


@dataclass(frozen=True)
class ScheduledCapacityProps:
    name: str
    schedule: str  # cron(...) in UTC
    min_capacity: int
    max_capacity: int


@dataclass(frozen=True)
class VariantScalingProps:
    """Target tracking on invocations per instance, with optional scheduled capacity changes."""

    min_capacity: int = 1
    max_capacity: int = 1
    target_invocations_per_instance: int = 200
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60
    scheduled: Sequence[ScheduledCapacityProps] = ()


@dataclass(frozen=True)
class EndpointVariantProps:
    """One variant. ``model_package_arn`` and ``initial_weight`` may be deploy-time tokens."""

    name: str
    model_package_arn: str
    # A number, or a deploy-time string token (an SSM-typed CloudFormation parameter).
    initial_weight: float | str = 1.0
    # None: the variant is not autoscaled (serverless, or a shadow variant).
    scaling: VariantScalingProps | None = field(default_factory=VariantScalingProps)


class SageMakerEndpoint(Construct):
    """One CfnModel per variant, the endpoint config and the endpoint (blue/green deployment config,
    autoscaler-set instance counts retained on update), plus a scalable target and target-tracking
    policy per autoscaled variant. ``condition`` (if given) is put on every resource: the whole
    endpoint exists only while it holds.

    ``spec`` says how the endpoint is built (instance type or serverless, shadow challenger, capture,
    deployment config); ``variants`` say what each variant serves. Exposes ``endpoint``,
    ``endpoint_config``, ``models`` (variant -> CfnModel) and ``scalable_targets`` (variant -> target).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: ServingSpec,
        variants: Sequence[EndpointVariantProps],
        condition: CfnCondition | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        _check(spec, variants)
        self.models: dict[str, sagemaker.CfnModel] = {}
        for variant in variants:
            self.models[variant.name] = sagemaker.CfnModel(
                self,
                f"Model-{variant.name}",
                execution_role_arn=spec.execution_role_arn,
                containers=[
                    sagemaker.CfnModel.ContainerDefinitionProperty(
                        model_package_name=variant.model_package_arn
                    )
                ],
                enable_network_isolation=True,
            )
        by_name = {variant.name: variant for variant in variants}
        body = endpoint_config_body(
            spec,
            {name: model.attr_model_name for name, model in self.models.items()},
            {name: _number(variant.initial_weight) for name, variant in by_name.items()},
        )
        self.endpoint_config = sagemaker.CfnEndpointConfig(self, "Config", production_variants=[])
        for key, value in body.items():
            self.endpoint_config.add_property_override(key, value)

        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=spec.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )
        self.endpoint.add_property_override("DeploymentConfig", spec.deployment_config)
        if not spec.serverless:
            # The autoscaler owns instance counts; weights and capture come from the new config.
            self.endpoint.add_property_override("RetainAllVariantProperties", True)
            self.endpoint.add_property_override(
                "ExcludeRetainedVariantProperties",
                [{"VariantPropertyType": name} for name in EXCLUDED_FROM_RETENTION],
            )

        self.scalable_targets: dict[str, appscaling.CfnScalableTarget] = {}
        production = {item["VariantName"] for item in body["ProductionVariants"]}
        for variant in variants:
            if variant.scaling is not None and variant.name in production:
                self.scalable_targets[variant.name] = self._autoscale(spec, variant.name, variant.scaling)

        if condition is not None:
            for child in self.node.find_all():
                if isinstance(child, CfnResource):
                    child.cfn_options.condition = condition

    def _autoscale(
        self, spec: ServingSpec, variant: str, scaling: VariantScalingProps
    ) -> appscaling.CfnScalableTarget:
        target = appscaling.CfnScalableTarget(
            self,
            f"Scaling-{variant}",
            service_namespace="sagemaker",
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=f"endpoint/{spec.endpoint_name}/variant/{variant}",
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
            scheduled_actions=[
                appscaling.CfnScalableTarget.ScheduledActionProperty(
                    scheduled_action_name=f"{spec.endpoint_name}-{variant}-{action.name}",
                    schedule=action.schedule,
                    scalable_target_action=appscaling.CfnScalableTarget.ScalableTargetActionProperty(
                        min_capacity=action.min_capacity, max_capacity=action.max_capacity
                    ),
                )
                for action in scaling.scheduled
            ]
            or None,
        )
        # The variant must exist before it can be registered.
        target.add_resource_dependency(self.endpoint)
        appscaling.CfnScalingPolicy(
            self,
            f"ScalingPolicy-{variant}",
            policy_name=f"{spec.endpoint_name}-{variant}-invocations",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=scaling.target_invocations_per_instance,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type=INVOCATIONS_PER_INSTANCE
                ),
                scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                scale_out_cooldown=scaling.scale_out_cooldown_seconds,
            ),
        )
        return target


def _number(value: float | str) -> float:
    """A weight from configuration, or a deploy-time string token (an SSM parameter) as a number."""
    return Token.as_number(value) if isinstance(value, str) else value


def _check(spec: ServingSpec, variants: Sequence[EndpointVariantProps]) -> None:
    names = [variant.name for variant in variants]
    if tuple(names) != spec.variant_names:
        raise ValueError(
            f"endpoint {spec.endpoint_name} needs variants {spec.variant_names}, got {tuple(names)}"
        )
    if spec.serverless and any(variant.scaling is not None for variant in variants):
        raise ValueError("a serverless endpoint has no instances to autoscale")
    weights = [v.initial_weight for v in variants if not isinstance(v.initial_weight, str)]
    if weights and len(weights) == len(variants) and sum(weights) <= 0:
        raise ValueError("variant weights must not all be 0")
