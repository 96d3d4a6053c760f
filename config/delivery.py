"""How releases reach the environments: the GitHub repository, its OIDC deploy roles and the optional
CDK pipeline. Edit ``DELIVERY`` below; single values can be overridden per synth with
``-c delivery.<setting>=<value>`` (e.g. ``-c delivery.connection_arn=arn:aws:codeconnections:...``).

Two delivery paths share these settings (README "Delivery" says how to choose):

- GitHub Actions (``.github/workflows/deploy.yml``) assumes one IAM role per environment through
  GitHub's OIDC token. The roles live in ``GithubOidc`` stacks, synthesized once ``repository_owner``
  is set, and trust only ``repository_owner/repository_name`` on ``branch`` in the GitHub
  environment of the same name.
- The CDK pipeline (``Pipeline`` stack) is synthesized only when ``connection_arn`` is set, so an
  app without a CodeStar connection still synthesizes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from config.loader import SELECT_CONTEXT_KEY, ConfigError, _coerce, load_environments
from config.settings import ACCOUNT_ID, REGION, EnvironmentConfig

CONTEXT_PREFIX = "delivery"
# GitHub's rules: owner 1-39 of [A-Za-z0-9-]; repository of [A-Za-z0-9._-]; a branch name without
# wildcards (the trust policy compares it exactly).
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
GIT_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<!/)$")
CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z]{2}(-[a-z]+)+-\d:\d{12}:connection/[0-9a-f-]{36}$"
)
BOOTSTRAP_QUALIFIER = re.compile(r"^[a-z0-9]{1,10}$")


@dataclass(frozen=True)
class DeliverySettings:
    # The GitHub repository that holds this app. None: no GithubOidc stack is synthesized.
    repository_owner: str | None = None
    repository_name: str = "mlops-sentiment"
    # The only branch that deploys (GitHub OIDC trust and the pipeline's source).
    branch: str = "main"
    # Environments promoted in this order by both paths; each one after the first waits for a manual
    # approval when it is listed in ``approval_before``.
    environments: tuple[str, ...] = ("staging", "prod")
    approval_before: tuple[str, ...] = ("prod",)
    # CodeStar (CodeConnections) connection to GitHub, created in the console. None: no pipeline.
    connection_arn: str | None = None
    # Where the pipeline itself lives; None: CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION.
    pipeline_account: str | None = None
    pipeline_region: str | None = None
    # Start the pipeline when a model package of a delivered environment is approved in the registry.
    trigger_on_model_approval: bool = False
    # Qualifier of `cdk bootstrap` in the target accounts (its roles are what a deploy assumes).
    bootstrap_qualifier: str = "hnb659fds"
    # An existing IAM OIDC provider for token.actions.githubusercontent.com (one per account is
    # allowed); None creates it in the GithubOidc stack.
    existing_oidc_provider_arn: str | None = None

    @property
    def repository(self) -> str:
        return f"{self.repository_owner}/{self.repository_name}"

    @property
    def github_oidc_enabled(self) -> bool:
        return self.repository_owner is not None

    @property
    def pipeline_enabled(self) -> bool:
        return self.connection_arn is not None

    def problems(self, known_environments: Sequence[str]) -> list[str]:
        path = CONTEXT_PREFIX
        found: list[str] = []
        if self.repository_owner is not None and not GITHUB_OWNER.match(str(self.repository_owner)):
            found.append(
                f"{path}.repository_owner must be a GitHub user or organization "
                f"(got {self.repository_owner!r})"
            )
        if not GITHUB_REPOSITORY.match(str(self.repository_name)):
            found.append(
                f"{path}.repository_name must be a GitHub repository name (got {self.repository_name!r})"
            )
        if not isinstance(self.branch, str) or not GIT_BRANCH.match(self.branch):
            found.append(f"{path}.branch must be one branch name, no wildcards (got {self.branch!r})")
        if not self.environments:
            found.append(f"{path}.environments must name at least one environment")
        unknown = [
            name for name in (*self.environments, *self.approval_before) if name not in known_environments
        ]
        if unknown:
            found.append(
                f"{path}.environments/approval_before name unknown environment(s) "
                f"{', '.join(map(repr, unknown))}; "
                f"known environments: {', '.join(known_environments)}"
            )
        if len(set(self.environments)) != len(self.environments):
            found.append(f"{path}.environments lists an environment twice: {self.environments!r}")
        if self.environments and self.environments[0] in self.approval_before:
            found.append(
                f"{path}.approval_before cannot hold the first environment {self.environments[0]!r}: "
                "approvals gate a promotion from the environment before it"
            )
        if self.connection_arn is not None and not CONNECTION_ARN.match(str(self.connection_arn)):
            found.append(
                f"{path}.connection_arn must be a CodeStar/CodeConnections connection ARN "
                f"(got {self.connection_arn!r})"
            )
        if self.pipeline_account is not None and not ACCOUNT_ID.match(str(self.pipeline_account)):
            found.append(
                f"{path}.pipeline_account must be a 12-digit AWS account id (got {self.pipeline_account!r})"
            )
        if self.pipeline_region is not None and not REGION.match(str(self.pipeline_region)):
            found.append(f"{path}.pipeline_region must look like 'eu-west-1' (got {self.pipeline_region!r})")
        if not BOOTSTRAP_QUALIFIER.match(str(self.bootstrap_qualifier)):
            found.append(
                f"{path}.bootstrap_qualifier must be 1-10 lower-case letters/digits "
                f"(got {self.bootstrap_qualifier!r})"
            )
        if self.existing_oidc_provider_arn is not None and not re.match(
            r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$",
            str(self.existing_oidc_provider_arn),
        ):
            found.append(
                f"{path}.existing_oidc_provider_arn must be the ARN of the "
                f"token.actions.githubusercontent.com provider (got {self.existing_oidc_provider_arn!r})"
            )
        return found


# Edit here: set repository_owner to enable the GitHub OIDC roles, connection_arn to enable the pipeline.
DELIVERY = DeliverySettings()


def load_delivery(
    context: Mapping[str, object],
    known_environments: Sequence[str],
    default_account: str | None = None,
    default_region: str | None = None,
    settings: DeliverySettings = DELIVERY,
) -> DeliverySettings:
    """``settings`` with the ``-c delivery.<setting>=...`` overrides applied and the pipeline's account
    and region resolved like an environment's (CLI defaults fill what is not set), or a ConfigError."""
    names = {f.name for f in fields(settings)}
    optional = {f.name for f in fields(settings) if "None" in str(f.type)}
    for key, raw in sorted(context.items()):
        section, _, name = key.partition(".")
        if section != CONTEXT_PREFIX or not name:
            continue
        if name not in names:
            raise ConfigError(
                f"context '{key}': unknown setting {name!r}; known settings: {', '.join(sorted(names))}"
            )
        # Optional settings (``str | None``) are read as text; "" or "none" switches them off.
        if name in optional and isinstance(raw, str):
            value: Any = None if raw.strip().lower() in ("", "none") else raw.strip()
        else:
            value = _coerce(getattr(settings, name), raw, key)
        overrides: dict[str, Any] = {name: value}
        settings = replace(settings, **overrides)
    settings = replace(
        settings,
        pipeline_account=settings.pipeline_account or default_account,
        pipeline_region=settings.pipeline_region or default_region,
    )
    problems = settings.problems(known_environments)
    if settings.pipeline_enabled and settings.pipeline_region is None:
        # CDK Pipelines needs a concrete region for its cross-environment actions.
        problems.append(
            f"{CONTEXT_PREFIX}.pipeline_region is not set and the CDK CLI has no default region: "
            "set it, or AWS_REGION / a profile with a region"
        )
    if problems:
        raise ConfigError("; ".join(problems))
    return settings


def delivered_environments(
    context: Mapping[str, object],
    delivery: DeliverySettings,
    default_account: str | None = None,
    default_region: str | None = None,
) -> list[EnvironmentConfig]:
    """The environments delivery promotes, in order, with the context's overrides applied whatever
    ``-c environments=...`` selects for direct deploys."""
    selection = {**context, SELECT_CONTEXT_KEY: ",".join(delivery.environments)}
    return load_environments(selection, default_account=default_account, default_region=default_region)
