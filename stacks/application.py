"""Build the whole CDK app from validated environment configs (shared by app.py and the tests)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from config import EnvironmentConfig
from stacks.stage import MlopsStage


def build_app(app: App, environments: Sequence[EnvironmentConfig]) -> list[MlopsStage]:
    # Any unacknowledged finding of either rule pack makes synth fail (report in cdk.out).
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return [MlopsStage(app, env.name, config=env) for env in environments]
