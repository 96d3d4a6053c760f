"""Bootstrap-style stack, deployed once per target account: GitHub's OIDC provider and one deploy role
per environment, assumed by ``.github/workflows/deploy.yml`` without any stored key.

Each role trusts exactly one subject: this repository, on the configured branch, in the GitHub
environment of the same name. That subject needs the repository's OIDC claim template to include
``repo``, ``context`` and ``ref`` (README "Delivery" shows the one ``gh api`` call), which makes the
token's ``sub`` ``repo:OWNER/NAME:environment:ENV:ref:refs/heads/BRANCH``: a pull request, another
branch or another environment's job cannot assume it. A role can only assume the CDK bootstrap roles
of its environment's account and region (that is how ``cdk deploy`` works) and call that
environment's endpoint (the smoke test).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from config import EnvironmentConfig
from config.delivery import DeliverySettings
from mlops_contracts import naming

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# The roles `cdk bootstrap` creates; cdk deploy assumes them to publish assets and run CloudFormation.
BOOTSTRAP_ROLE_KINDS = ("deploy", "file-publishing", "image-publishing", "lookup")


def github_subject(delivery: DeliverySettings, environment: str) -> str:
    """The ``sub`` claim of a job in ``environment`` on the delivery branch (repo, context, ref)."""
    return f"repo:{delivery.repository}:environment:{environment}:ref:refs/heads/{delivery.branch}"


def deploy_role_name(environment: str) -> str:
    return f"{naming.resource_prefix(environment)}-github-deploy"


def smoke_test_role_name(environment: str) -> str:
    """Assumed by the pipeline's smoke test when the environment lives in another account."""
    return f"{naming.resource_prefix(environment)}-pipeline-smoke-test"


def endpoint_arn(environment: EnvironmentConfig) -> str:
    region = environment.region or Aws.REGION
    account = environment.account or Aws.ACCOUNT_ID
    return (
        f"arn:{Aws.PARTITION}:sagemaker:{region}:{account}:endpoint/{naming.endpoint_name(environment.name)}"
    )


def endpoint_statement(environments: Sequence[EnvironmentConfig]) -> iam.PolicyStatement:
    """Enough for the smoke test: is the endpoint InService, and what does it answer?"""
    return iam.PolicyStatement(
        actions=["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"],
        resources=[endpoint_arn(environment) for environment in environments],
    )


class GithubOidcStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        delivery: DeliverySettings,
        environments: Sequence[EnvironmentConfig],
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        if delivery.existing_oidc_provider_arn:
            self.provider = iam.OidcProviderNative.from_oidc_provider_arn(
                self, "GithubProvider", delivery.existing_oidc_provider_arn
            )
        else:
            # Native AWS::IAM::OIDCProvider; IAM fetches and pins GitHub's certificate chain itself.
            self.provider = iam.OidcProviderNative(
                self, "GithubProvider", url=GITHUB_OIDC_URL, client_ids=[STS_AUDIENCE]
            )
        self.deploy_roles: dict[str, iam.Role] = {}
        self.smoke_test_roles: dict[str, iam.Role] = {}
        for environment in environments:
            self.deploy_roles[environment.name] = self._deploy_role(delivery, environment)
            if pipeline_is_in_another_account(delivery, environment):
                self.smoke_test_roles[environment.name] = self._smoke_test_role(delivery, environment)

    def _deploy_role(self, delivery: DeliverySettings, environment: EnvironmentConfig) -> iam.Role:
        role = iam.Role(
            self,
            f"DeployRole-{environment.name}",
            role_name=deploy_role_name(environment.name),
            description=f"GitHub Actions deploys {environment.name} from {delivery.repository}",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                self.provider.oidc_provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": github_subject(delivery, environment.name),
                    }
                },
            ),
        )
        account = environment.account or Aws.ACCOUNT_ID
        region = environment.region or Aws.REGION
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole", "sts:TagSession"],
                resources=[
                    f"arn:{Aws.PARTITION}:iam::{account}:role/"
                    f"cdk-{delivery.bootstrap_qualifier}-{kind}-role-{account}-{region}"
                    for kind in BOOTSTRAP_ROLE_KINDS
                ],
            )
        )
        role.add_to_policy(endpoint_statement([environment]))
        CfnOutput(
            self,
            f"DeployRoleArn-{environment.name}",
            value=role.role_arn,
            description=f"GitHub environment '{environment.name}': variable AWS_DEPLOY_ROLE_ARN",
        )
        return role

    def _smoke_test_role(self, delivery: DeliverySettings, environment: EnvironmentConfig) -> iam.Role:
        role = iam.Role(
            self,
            f"SmokeTestRole-{environment.name}",
            role_name=smoke_test_role_name(environment.name),
            description=f"The delivery pipeline's smoke test calls the {environment.name} endpoint",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.AccountPrincipal(delivery.pipeline_account),
        )
        role.add_to_policy(endpoint_statement([environment]))
        return role


def pipeline_is_in_another_account(delivery: DeliverySettings, environment: EnvironmentConfig) -> bool:
    """True when the pipeline's smoke test must assume the environment's smoke-test role."""
    return (
        delivery.pipeline_enabled
        and delivery.pipeline_account is not None
        and environment.account is not None
        and environment.account != delivery.pipeline_account
    )
