"""What the loop's steps share: the state they build up and the error that stops the run."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_loop.cloudformation import StackTemplate
from local_loop.eventbus import EventTap
from local_loop.serving import Endpoint
from local_loop.standin import Environment
from mlops_contracts import naming, parameters

RETRAIN_HANDLER = naming.lambda_handler("retrain")


class StepError(RuntimeError):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"step '{step}' failed: {reason}")
        self.step = step


@dataclass
class LoopState:
    """What the steps found, for the next steps and for the integration test's assertions."""

    environment_name: str
    cdk_out: Path
    workdir: Path
    endpoint_url: str  # the stand-in's
    environment: Environment | None = None
    data_version: dict[str, Any] = field(default_factory=dict)
    training_jobs: list[dict[str, Any]] = field(default_factory=list)  # retrain results
    registrations: list[dict[str, Any]] = field(default_factory=list)
    approved_package: dict[str, Any] = field(default_factory=dict)
    rollout: dict[str, Any] = field(default_factory=dict)
    stacks: list[StackTemplate] = field(default_factory=list)
    endpoint: Endpoint | None = None
    event_tap: EventTap | None = None  # what the functions put on the bus
    capture_keys: list[str] = field(default_factory=list)
    drift_checks: list[dict[str, Any]] = field(default_factory=list)  # the drift function's results
    reports: dict[str, str] = field(default_factory=dict)  # "ab-report", "cost": what the CLI printed

    @property
    def env(self) -> Environment:
        assert self.environment is not None, "the deploy step runs first"
        return self.environment

    def parameter(self, key: str) -> str:
        return self.env.parameters[parameters.parameter_name(self.environment_name, key)]

    def close(self) -> None:
        """Leave nothing running (the endpoint's servers), whatever step stopped the run."""
        if self.endpoint is not None:
            self.endpoint.stop()
            self.endpoint = None


Step = Callable[[LoopState], str]


def ops_cli(state: LoopState, step: str, argv: list[str]) -> str:
    """``python -m ops_cli ARGV --env ENV`` as an operator runs it, against the stand-in; its output."""
    from ops_cli.cli import main as ops_main  # noqa: PLC0415 - imported when a step needs it

    output = io.StringIO()
    with redirect_stdout(output):
        code = ops_main(
            [*argv, "--env", state.environment_name], lambda service, **kwargs: state.env.client(service)
        )
    if code != 0:
        raise StepError(step, f"python -m ops_cli {' '.join(argv)} exited {code}")
    return output.getvalue().rstrip()
