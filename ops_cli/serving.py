"""Endpoint operations without a redeploy: show, shift traffic, promote, roll back.

Every change goes through the serving state (SSM, ``pipeline_core.serving_state``) and the SageMaker
API, in that order of checks: everything is validated first, then the endpoint is updated, then the
state is written, so a refused command changes nothing and the next ``cdk deploy`` builds exactly what
the state says.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mlops_contracts.parameters import SERVING_SPEC, parameter_name
from mlops_contracts.serving import CHALLENGER, CHAMPION
from ops_cli.settings import OpsError
from pipeline_core import registry
from pipeline_core.endpoint_config import ServingSpec, roll_out
from pipeline_core.serving_state import (
    ServingError,
    ServingState,
    check_weights,
    parse_weight,
    read_state,
    write_state,
)


def load_spec(ssm: Any, environment: str) -> ServingSpec:
    name = parameter_name(environment, SERVING_SPEC)
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        raise OpsError(
            f"environment {environment!r} has no serving stack: missing SSM parameter {name}"
        ) from None
    return ServingSpec.from_json(value)


def describe_endpoint(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return sagemaker.describe_endpoint(EndpointName=name)  # type: ignore[no-any-return]
    except sagemaker.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationException":
            return None
        raise


def require_endpoint(sagemaker: Any, spec: ServingSpec) -> dict[str, Any]:
    endpoint = describe_endpoint(sagemaker, spec.endpoint_name)
    if endpoint is None:
        raise OpsError(
            f"endpoint {spec.endpoint_name} does not exist yet (it is created by the first deploy after a "
            "model is approved)"
        )
    if endpoint.get("EndpointStatus") not in ("InService",):
        raise OpsError(
            f"endpoint {spec.endpoint_name} is {endpoint.get('EndpointStatus')}; wait until it is InService"
        )
    return endpoint


def _version(arn: str | None) -> int | None:
    if not arn:
        return None
    tail = arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def show(*, sagemaker: Any, ssm: Any, environment: str) -> dict[str, Any]:
    spec = load_spec(ssm, environment)
    state = read_state(ssm, environment)
    endpoint = describe_endpoint(sagemaker, spec.endpoint_name)
    live = {v["VariantName"]: v for v in (endpoint or {}).get("ProductionVariants", [])}
    rows = []
    for variant in spec.variant_names:
        package = state.model_for(variant)
        current = live.get(variant, {})
        rows.append(
            {
                "variant": variant,
                "model_version": _version(package),
                "model_package_arn": package,
                "state_weight": state.weight_for(variant),
                "current_weight": current.get("CurrentWeight"),
                "current_instances": current.get("CurrentInstanceCount"),
                "desired_instances": current.get("DesiredInstanceCount"),
            }
        )
    return {
        "endpoint": spec.endpoint_name,
        "status": endpoint.get("EndpointStatus")
        if endpoint
        else "not deployed (waiting for an approved model)",
        "mode": "serverless" if spec.serverless else ("shadow" if spec.shadow_challenger else "a/b"),
        "challenger": "none (the challenger variant serves the champion's model)"
        if not state.challenger
        else "yes",
        "variants": rows,
    }


def format_show(report: dict[str, Any]) -> str:
    columns = (
        "variant",
        "model_version",
        "state_weight",
        "current_weight",
        "current_instances",
        "desired_instances",
    )
    lines = [f"endpoint {report['endpoint']}: {report['status']} ({report['mode']})"]
    table = [list(columns)] + [
        ["-" if row[c] is None else str(row[c]) for c in columns] for row in report["variants"]
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]
    return "\n".join(lines)


def parse_weight_pairs(pairs: list[str], spec: ServingSpec, state: ServingState) -> dict[str, float]:
    weights = {variant: state.weight_for(variant) for variant in spec.variant_names}
    if not pairs:
        raise OpsError("give at least one VARIANT=WEIGHT, e.g. champion=0.5 challenger=0.5")
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep:
            raise OpsError(f"weights look like VARIANT=WEIGHT, got {pair!r}")
        if name not in spec.variant_names:
            raise OpsError(
                f"unknown variant {name!r}; variants of {spec.endpoint_name}: {', '.join(spec.variant_names)}"
            )
        weights[name] = parse_weight(value, name=name)
    check_weights(weights[CHAMPION], weights.get(CHALLENGER, 0.0))
    return weights


def shift_traffic(*, sagemaker: Any, ssm: Any, environment: str, pairs: list[str]) -> dict[str, Any]:
    spec = load_spec(ssm, environment)
    if spec.serverless:
        raise OpsError(f"{spec.endpoint_name} is serverless with one variant: there is no traffic to shift")
    if spec.shadow_challenger:
        raise OpsError(f"{spec.endpoint_name} runs the challenger as a shadow: it gets a copy of all traffic")
    state = read_state(ssm, environment)
    weights = parse_weight_pairs(pairs, spec, state)
    require_endpoint(sagemaker, spec)
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=spec.endpoint_name,
        DesiredWeightsAndCapacities=[
            {"VariantName": variant, "DesiredWeight": weight} for variant, weight in weights.items()
        ],
    )
    new = state.with_weights(weights[CHAMPION], weights[CHALLENGER])
    write_state(ssm, environment, new, state)
    return {
        "endpoint": spec.endpoint_name,
        "weights": weights,
        "previous": {CHAMPION: state.champion_weight, CHALLENGER: state.challenger_weight},
    }


def promote(*, sagemaker: Any, ssm: Any, environment: str) -> dict[str, Any]:
    """The challenger becomes champion and the old champion the challenger (roles swap)."""
    spec = load_spec(ssm, environment)
    state = read_state(ssm, environment)
    if state.challenger is None:
        raise OpsError(f"{spec.endpoint_name} has no challenger to promote")
    require_endpoint(sagemaker, spec)
    new = replace(
        state, champion=state.challenger, challenger=state.champion, previous_champion=state.champion
    )
    created = roll_out(sagemaker, spec, new, now=datetime.now(UTC))
    write_state(ssm, environment, new, state)
    return {"promoted": new.champion, "challenger_now": new.challenger, **created}


def rollback(*, sagemaker: Any, ssm: Any, environment: str) -> dict[str, Any]:
    """Serve the newest approved version older than the current champion on every variant."""
    spec = load_spec(ssm, environment)
    state = read_state(ssm, environment)
    current = _version(state.champion)
    if state.champion is None or current is None:
        raise OpsError(f"{spec.endpoint_name} has no champion to roll back from")
    earlier = [
        summary
        for summary in registry.iter_packages(sagemaker, spec.model_package_group, approval_status="Approved")
        if summary.get("ModelPackageVersion", current) < current
    ]
    if not earlier:
        raise OpsError(f"no approved version older than version {current} in {spec.model_package_group}")
    target = max(earlier, key=lambda summary: summary["ModelPackageVersion"])["ModelPackageArn"]
    require_endpoint(sagemaker, spec)
    new = replace(state, champion=target, challenger=None, previous_champion=state.champion)
    created = roll_out(sagemaker, spec, new, now=datetime.now(UTC))
    write_state(ssm, environment, new, state)
    return {"rolled_back_to": target, "version": _version(target), "from_version": current, **created}


__all__ = ["ServingError", "format_show", "promote", "rollback", "shift_traffic", "show"]
