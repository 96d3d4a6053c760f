"""Per-environment settings the stack publishes in SSM Parameter Store (see mlops_contracts.parameters)."""

from __future__ import annotations

from typing import Any

from mlops_contracts.parameters import TRAINING_KEYS as KEYS
from mlops_contracts.parameters import parameter_name


class OpsError(RuntimeError):
    """A CLI command cannot run as asked; the message is shown to the user as one line."""


def load_settings(ssm: Any, environment: str) -> dict[str, str]:
    """All settings of one environment; a missing parameter means the stack is not deployed there."""
    names = [parameter_name(environment, key) for key in KEYS]
    found: dict[str, str] = {}
    for start in range(0, len(names), 10):  # GetParameters takes at most 10 names
        response = ssm.get_parameters(Names=names[start : start + 10])
        found.update({item["Name"]: item["Value"] for item in response.get("Parameters", [])})
    missing = [name for name in names if name not in found]
    if missing:
        raise OpsError(
            f"environment {environment!r} is not deployed or incomplete: "
            f"missing SSM parameter(s) {', '.join(missing)}"
        )
    return {key: found[parameter_name(environment, key)] for key in KEYS}
