"""SageMaker request bodies for the A/B endpoint, built in one place.

The serving construct puts the same bodies into the CloudFormation template (the EndpointConfig and
DeploymentConfig properties have the API's shape), and the approval function and the CLI send them to
the API, so an endpoint updated by hand is configured exactly like one deployed by CloudFormation.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mlops_contracts.serving import CAPTURE_CONTENT_TYPES, CAPTURE_CSV_CONTENT_TYPES, CHALLENGER, CHAMPION
from pipeline_core.serving_state import ServingError, ServingState

# Variant properties a CloudFormation or API update takes from the new config; the instance count
# stays what the autoscaler set (RetainAllVariantProperties).
EXCLUDED_FROM_RETENTION = ("DesiredWeight", "DataCaptureConfig")
MAX_NAME_CHARS = 63


@dataclass(frozen=True)
class ServingSpec:
    """How this environment's endpoint is built (published by the serving stack as JSON)."""

    environment: str
    endpoint_name: str
    execution_role_arn: str
    model_package_group: str
    instance_type: str
    initial_instance_count: int
    kms_key_arn: str
    deployment_config: dict[str, Any]
    shadow_challenger: bool = False
    serverless_memory_mb: int | None = None
    serverless_max_concurrency: int | None = None
    capture_destination: str | None = None
    capture_sampling_percent: int = 100
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def serverless(self) -> bool:
        return self.serverless_memory_mb is not None

    @property
    def variant_names(self) -> tuple[str, ...]:
        return (CHAMPION,) if self.serverless else (CHAMPION, CHALLENGER)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ServingSpec:
        try:
            values = json.loads(text)
            return cls(**values)
        except (json.JSONDecodeError, TypeError) as error:
            raise ServingError(f"serving spec is not valid: {error}") from None


def deployment_config(
    *,
    traffic_type: str,
    step_percent: int,
    wait_seconds: int,
    baking_seconds: int,
    timeout_seconds: int,
    alarm_names: Sequence[str],
    serverless: bool = False,
) -> dict[str, Any]:
    """Blue/green with canary or linear traffic shifting, rolled back when an alarm fires.

    Serverless endpoints have no instance capacity to shift in percent steps: they shift all at once
    and keep the baking period and the rollback alarms.
    """
    if serverless:
        routing: dict[str, Any] = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": wait_seconds}
    else:
        size = {"Type": "CAPACITY_PERCENT", "Value": step_percent}
        size_key = "CanarySize" if traffic_type == "CANARY" else "LinearStepSize"
        routing = {"Type": traffic_type, size_key: size, "WaitIntervalInSeconds": wait_seconds}
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": baking_seconds,
            "MaximumExecutionTimeoutInSeconds": timeout_seconds,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": name} for name in alarm_names]},
    }


def production_variant(
    spec: ServingSpec, variant: str, model_name: Any, weight: Any, *, shadow: bool = False
) -> dict[str, Any]:
    """One variant. ``model_name`` and ``weight`` may be CloudFormation tokens (synth) or values (API)."""
    body: dict[str, Any] = {"VariantName": variant, "ModelName": model_name}
    if spec.serverless:
        body["ServerlessConfig"] = {
            "MemorySizeInMB": spec.serverless_memory_mb,
            "MaxConcurrency": spec.serverless_max_concurrency,
        }
    else:
        body["InstanceType"] = spec.instance_type
        body["InitialInstanceCount"] = spec.initial_instance_count
    if not shadow:
        body["InitialVariantWeight"] = weight
    return body


def endpoint_config_body(
    spec: ServingSpec, model_names: Mapping[str, Any], weights: Mapping[str, Any]
) -> dict[str, Any]:
    """ProductionVariants (+ ShadowProductionVariants, DataCaptureConfig, KmsKeyId)."""
    shadow = spec.shadow_challenger and not spec.serverless
    body: dict[str, Any] = {
        "ProductionVariants": [
            production_variant(spec, variant, model_names[variant], weights[variant])
            for variant in spec.variant_names
            if not (shadow and variant == CHALLENGER)
        ]
    }
    if shadow:
        body["ShadowProductionVariants"] = [
            production_variant(spec, CHALLENGER, model_names[CHALLENGER], None, shadow=True)
        ]
    if not spec.serverless:
        # Serverless endpoints support neither a volume key nor data capture.
        body["KmsKeyId"] = spec.kms_key_arn
        if spec.capture_destination:
            body["DataCaptureConfig"] = {
                "EnableCapture": True,
                "InitialSamplingPercentage": spec.capture_sampling_percent,
                "DestinationS3Uri": spec.capture_destination,
                "KmsKeyId": spec.kms_key_arn,
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                "CaptureContentTypeHeader": {
                    "JsonContentTypes": list(CAPTURE_CONTENT_TYPES),
                    "CsvContentTypes": list(CAPTURE_CSV_CONTENT_TYPES),
                },
            }
    return body


def update_endpoint_request(spec: ServingSpec, config_name: str) -> dict[str, Any]:
    request: dict[str, Any] = {
        "EndpointName": spec.endpoint_name,
        "EndpointConfigName": config_name,
        "DeploymentConfig": spec.deployment_config,
    }
    if not spec.serverless:
        request["RetainAllVariantProperties"] = True
        request["ExcludeRetainedVariantProperties"] = [
            {"VariantPropertyType": name} for name in EXCLUDED_FROM_RETENTION
        ]
    return request


def resource_name(spec: ServingSpec, *parts: str, now: datetime) -> str:
    """``<endpoint>-<parts>-<yymmddHHMMSS><4 hex>``: unique, sortable, inside IAM's name prefix."""
    stamp = now.strftime("%y%m%d%H%M%S") + secrets.token_hex(2)
    name = "-".join([spec.endpoint_name, *parts, stamp])
    if len(name) > MAX_NAME_CHARS:
        raise ServingError(f"generated name {name!r} is longer than {MAX_NAME_CHARS} characters")
    return name


def roll_out(sagemaker: Any, spec: ServingSpec, state: ServingState, *, now: datetime) -> dict[str, Any]:
    """Create one model per variant and an endpoint config from ``state``, then update the endpoint
    through the guarded blue/green deployment. Returns what was created."""
    if state.champion is None:
        raise ServingError("no champion model: nothing to serve")
    tags = [{"Key": key, "Value": value} for key, value in sorted(spec.tags.items())]
    models: dict[str, str] = {}
    for variant in spec.variant_names:
        package = state.model_for(variant)
        name = resource_name(spec, variant, now=now)
        sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn=spec.execution_role_arn,
            Containers=[{"ModelPackageName": package}],
            EnableNetworkIsolation=True,
            Tags=tags,
        )
        models[variant] = name
    weights = {variant: state.weight_for(variant) for variant in spec.variant_names}
    config_name = resource_name(spec, "config", now=now)
    sagemaker.create_endpoint_config(
        EndpointConfigName=config_name, Tags=tags, **endpoint_config_body(spec, models, weights)
    )
    sagemaker.update_endpoint(**update_endpoint_request(spec, config_name))
    return {"endpoint": spec.endpoint_name, "endpoint_config": config_name, "models": models}
