"""What an approval or a rejection in this environment's group does to the endpoint.

Approved: the package becomes the challenger (on a serverless endpoint, which has one variant, the
champion; the old champion is kept for ``rollback``) and is rolled out through the guarded blue/green
update; the serving state is written only after SageMaker accepted the update. The first approved
model becomes the champion and waits for the next deploy, which creates the endpoint.
Rejected: if the package is the serving challenger it is withdrawn (the challenger variant goes back to
the champion's model); if it is the champion, people are alerted (``rollback`` is their decision).
Every outcome is announced on the alert topic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lambda_functions.common.alerts import publish_alert
from lambda_functions.serving_rollout.events import PackageStateChange
from mlops_contracts.serving import CHALLENGER, CHAMPION
from pipeline_core.endpoint_config import ServingSpec, roll_out
from pipeline_core.serving_state import ServingState, read_state, write_state


@dataclass(frozen=True)
class RolloutConfig:
    environment: str
    group: str
    alert_topic_arn: str
    spec: ServingSpec


def endpoint_exists(sagemaker: Any, name: str) -> bool:
    try:
        sagemaker.describe_endpoint(EndpointName=name)
    except sagemaker.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationException":
            return False
        raise
    return True


def handle_package_change(
    change: PackageStateChange, config: RolloutConfig, *, sagemaker: Any, ssm: Any, sns: Any
) -> dict[str, Any]:
    if change.group != config.group:
        return {"status": "ignored", "reason": f"package of group {change.group}, not {config.group}"}
    state = read_state(ssm, config.environment)
    if change.approval == "Approved":
        return _approved(change, config, state, sagemaker=sagemaker, ssm=ssm, sns=sns)
    if change.approval == "Rejected":
        return _rejected(change, config, state, sagemaker=sagemaker, ssm=ssm, sns=sns)
    return {"status": "ignored", "reason": f"approval status {change.approval}"}


def _approved(
    change: PackageStateChange,
    config: RolloutConfig,
    state: ServingState,
    *,
    sagemaker: Any,
    ssm: Any,
    sns: Any,
) -> dict[str, Any]:
    spec, arn = config.spec, change.package_arn
    label = _label(change)
    if arn in (state.champion, state.challenger):
        return {"status": "unchanged", "reason": f"{label} is already served"}
    if state.champion is None or not endpoint_exists(sagemaker, spec.endpoint_name):
        new = replace(state, champion=arn, challenger=None, previous_champion=state.champion)
        write_state(ssm, config.environment, new, state)
        publish_alert(
            sns,
            config.alert_topic_arn,
            f"[{config.environment}] {label} approved: endpoint waits for a deploy",
            {
                "model_package_arn": arn,
                "endpoint": spec.endpoint_name,
                "action": f"run `make deploy ENV={config.environment}` (or the pipeline) to create the "
                "endpoint "
                "with this model as champion",
            },
        )
        return {"status": "awaiting-deploy", "champion": arn}
    if spec.serverless:
        new = replace(state, champion=arn, previous_champion=state.champion)
        role = "champion (serverless: one variant)"
    else:
        new = replace(state, challenger=arn)
        role = "challenger"
    created = roll_out(sagemaker, spec, new, now=datetime.now(UTC))
    write_state(ssm, config.environment, new, state)
    publish_alert(
        sns,
        config.alert_topic_arn,
        f"[{config.environment}] rolling out {label} as {role}",
        {
            "model_package_arn": arn,
            "endpoint": spec.endpoint_name,
            "weights": {CHAMPION: new.champion_weight, CHALLENGER: new.challenger_weight},
            "deployment": spec.deployment_config,
            "created": created,
            "note": "SageMaker rolls the update back by itself if a rollback alarm fires during the canary "
            "or baking period; the alarms notify this topic.",
        },
    )
    return {"status": "rolling-out", "role": role, **created}


def _rejected(
    change: PackageStateChange,
    config: RolloutConfig,
    state: ServingState,
    *,
    sagemaker: Any,
    ssm: Any,
    sns: Any,
) -> dict[str, Any]:
    arn, label = change.package_arn, _label(change)
    if arn == state.challenger:
        new = replace(state, challenger=None)
        created = roll_out(sagemaker, config.spec, new, now=datetime.now(UTC))
        write_state(ssm, config.environment, new, state)
        publish_alert(
            sns,
            config.alert_topic_arn,
            f"[{config.environment}] challenger {label} rejected: withdrawn, champion keeps serving",
            {"model_package_arn": arn, "endpoint": config.spec.endpoint_name, "created": created},
        )
        return {"status": "challenger-withdrawn", **created}
    if arn == state.champion:
        publish_alert(
            sns,
            config.alert_topic_arn,
            f"[{config.environment}] the serving champion {label} was rejected",
            {
                "model_package_arn": arn,
                "endpoint": config.spec.endpoint_name,
                "action": f"python -m ops_cli rollback --env {config.environment} (back to the "
                "previous "
                "approved version) - nothing was changed automatically",
            },
        )
        return {"status": "champion-rejected-alerted"}
    return {"status": "ignored", "reason": f"{label} is not served"}


def _label(change: PackageStateChange) -> str:
    return f"version {change.version}" if change.version is not None else change.package_arn
