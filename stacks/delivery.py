"""The delivery stacks, built from the delivery settings (shared by app.py and the tests).

``GithubOidc``: one per target account of the delivered environments, when a repository is set.
``Pipeline``: the self-mutating CDK pipeline, when a CodeStar connection is set. Neither is needed
to synthesize or deploy the environments themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import App, Environment, Stack, Tags

from config import EnvironmentConfig
from config.delivery import DeliverySettings
from mlops_contracts import naming
from stacks.compliance import acknowledge_in_stack
from stacks.github_oidc_stack import GithubOidcStack
from stacks.pipeline_stack import PipelineStack

OIDC_STACK_ID = "GithubOidc"
PIPELINE_STACK_ID = "Pipeline"


@dataclass
class DeliveryStacks:
    github_oidc: list[GithubOidcStack] = field(default_factory=list)
    pipeline: PipelineStack | None = None


def build_delivery(
    app: App, delivery: DeliverySettings, environments: Sequence[EnvironmentConfig]
) -> DeliveryStacks:
    """``environments`` are the delivered ones (``delivery.environments``), in promotion order."""
    built = DeliveryStacks()
    if delivery.github_oidc_enabled:
        by_account: dict[str | None, list[EnvironmentConfig]] = {}
        for environment in environments:
            by_account.setdefault(environment.account, []).append(environment)
        for account, in_account in by_account.items():
            construct_id = (
                OIDC_STACK_ID if len(by_account) == 1 else f"{OIDC_STACK_ID}-{account or 'default'}"
            )
            oidc_stack = GithubOidcStack(
                app,
                construct_id,
                delivery=delivery,
                environments=in_account,
                env=Environment(account=account, region=in_account[0].region),
                stack_name=f"{naming.PROJECT}-github-oidc",
                description=f"{naming.PROJECT}: GitHub OIDC provider, deploy roles for {delivery.repository}",
            )
            built.github_oidc.append(oidc_stack)
    if delivery.pipeline_enabled:
        built.pipeline = PipelineStack(
            app,
            PIPELINE_STACK_ID,
            delivery=delivery,
            environments=environments,
            env=Environment(account=delivery.pipeline_account, region=delivery.pipeline_region),
            stack_name=f"{naming.PROJECT}-pipeline",
            description=f"{naming.PROJECT}: CDK pipeline from {delivery.repository}@{delivery.branch}",
        )
    for stack in delivery_stacks(built):
        Tags.of(stack).add("project", naming.PROJECT)
        Tags.of(stack).add("component", "delivery")
        acknowledge_in_stack(stack)
    return built


def delivery_stacks(built: DeliveryStacks) -> list[Stack]:
    return [*built.github_oidc, *([built.pipeline] if built.pipeline else [])]
