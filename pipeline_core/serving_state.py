"""Which model each endpoint variant serves, and with what weight: SSM parameters, the one source of truth.

The approval function and the operator CLI write them (then update the endpoint through the SageMaker
API); the serving stack reads them at deploy time as ``AWS::SSM::Parameter::Value<String>``
CloudFormation parameters, so ``cdk deploy`` always builds what the parameters say and never reverts
a promotion. See docs/serving.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from mlops_contracts.parameters import (
    SERVING_MODEL_PACKAGE,
    SERVING_PREVIOUS_CHAMPION,
    SERVING_WEIGHT,
    parameter_name,
    serving_variant_key,
)
from mlops_contracts.serving import CHALLENGER, CHAMPION, NO_MODEL


class ServingError(ValueError):
    """The serving state cannot change as asked; the message is one line and nothing was changed."""


@dataclass(frozen=True)
class ServingState:
    champion: str | None
    challenger: str | None
    champion_weight: float
    challenger_weight: float
    previous_champion: str | None = None

    def model_for(self, variant: str) -> str | None:
        """The package a variant serves; until there is a challenger its variant serves the champion."""
        if variant == CHAMPION:
            return self.champion
        return self.challenger or self.champion

    def weight_for(self, variant: str) -> float:
        return self.champion_weight if variant == CHAMPION else self.challenger_weight

    def with_weights(self, champion: float, challenger: float) -> ServingState:
        check_weights(champion, challenger)
        return replace(self, champion_weight=champion, challenger_weight=challenger)


def state_keys() -> dict[str, str]:
    """Field of ServingState -> SSM key below /<project>/<env>/."""
    return {
        "champion": serving_variant_key(CHAMPION, SERVING_MODEL_PACKAGE),
        "challenger": serving_variant_key(CHALLENGER, SERVING_MODEL_PACKAGE),
        "champion_weight": serving_variant_key(CHAMPION, SERVING_WEIGHT),
        "challenger_weight": serving_variant_key(CHALLENGER, SERVING_WEIGHT),
        "previous_champion": SERVING_PREVIOUS_CHAMPION,
    }


def check_weights(champion: float, challenger: float) -> None:
    for name, value in (("champion", champion), ("challenger", challenger)):
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ServingError(f"{name} weight must be a finite number >= 0, got {value!r}")
    if champion + challenger <= 0:
        raise ServingError("weights must not all be 0: the endpoint would send traffic nowhere")


def parse_weight(text: str, *, name: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ServingError(f"{name} weight {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ServingError(f"{name} weight must be a finite number >= 0, got {text!r}")
    return value


def read_state(ssm: Any, environment: str) -> ServingState:
    keys = state_keys()
    names = {field: parameter_name(environment, key) for field, key in keys.items()}
    response = ssm.get_parameters(Names=list(names.values()))
    values = {item["Name"]: item["Value"] for item in response.get("Parameters", [])}
    missing = [name for field, name in names.items() if name not in values and field != "previous_champion"]
    if missing:
        raise ServingError(
            f"environment {environment!r} has no serving state: missing SSM parameter(s) "
            f"{', '.join(missing)} (deploy the ServingState stack first)"
        )

    def arn(field: str) -> str | None:
        value = values.get(names[field], NO_MODEL)
        return None if value == NO_MODEL else value

    return ServingState(
        champion=arn("champion"),
        challenger=arn("challenger"),
        champion_weight=parse_weight(values[names["champion_weight"]], name="stored champion"),
        challenger_weight=parse_weight(values[names["challenger_weight"]], name="stored challenger"),
        previous_champion=arn("previous_champion"),
    )


def write_state(ssm: Any, environment: str, new: ServingState, old: ServingState) -> list[str]:
    """Write the fields that changed; returns their SSM names."""
    check_weights(new.champion_weight, new.challenger_weight)
    written = []
    for field, key in state_keys().items():
        before, after = getattr(old, field), getattr(new, field)
        if before == after:
            continue
        value = _format(after)
        name = parameter_name(environment, key)
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
        written.append(name)
    return written


def _format(value: object) -> str:
    if value is None:
        return NO_MODEL
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
