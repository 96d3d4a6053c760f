"""The serving state of one environment: SSM parameters naming which model each variant serves.

Deployed before the serving stack, which reads them at deploy time. CloudFormation only creates them
(value ``none`` = no approved model yet, weights from configuration) and never writes them again;
after that the approval function and ``python -m ops_cli`` own their values. See docs/serving.md.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.create_once_parameters import CreateOnceParameters
from mlops_contracts import parameters
from mlops_contracts.serving import NO_MODEL
from pipeline_core.serving_state import state_keys


def initial_state(config: EnvironmentConfig) -> dict[str, str]:
    """SSM parameter name -> value written on first deploy."""
    serving = config.serving
    champion_weight = 1.0 if serving.serverless else serving.champion_weight
    values = {
        "champion": NO_MODEL,
        "challenger": NO_MODEL,
        "previous_champion": NO_MODEL,
        "champion_weight": f"{champion_weight:g}",
        "challenger_weight": f"{serving.challenger_weight:g}",
    }
    return {parameters.parameter_name(config.name, key): values[field] for field, key in state_keys().items()}


class ServingStateStack(Stack):
    """Exposes ``parameters`` (the CreateOnceParameters construct)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.parameters = CreateOnceParameters(
            self,
            "State",
            initial_values=initial_state(config),
            description=f"Serving state of {config.resource_prefix} (written by the approval function "
            "and ops_cli)",
            delete_with_stack=not config.storage.retain_data,
        )
