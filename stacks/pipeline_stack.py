"""The AWS-native delivery path: a self-mutating CDK pipeline (CodePipeline V2).

Source: the GitHub repository through a CodeStar (CodeConnections) connection, on the delivery
branch. Synth: installs everything, runs lint and the test suite, synthesizes the app (cdk-nag
included). Then the pipeline updates itself, and deploys each delivered environment in order, as the
same ``MlopsStage`` the CLI deploys: staging, the smoke test against its endpoint, a manual approval,
prod, the smoke test again. Every environment's account and region come from its configuration, so
the stages can sit in other accounts (bootstrapped with ``--trust`` for the pipeline account).
Optionally, approving a model package in a delivered environment's registry starts the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from config import EnvironmentConfig
from config.delivery import DeliverySettings
from mlops_contracts import events as event_names
from mlops_contracts import naming
from stacks.github_oidc_stack import endpoint_statement, pipeline_is_in_another_account, smoke_test_role_name
from stacks.stage import MlopsStage

PYTHON_VERSION = "3.11"
NODE_VERSION = "20"
SYNTH_OUTPUT = "cdk.out"
# The commands a developer runs (README): the same Makefile targets, then a synth that records the commit.
SYNTH_INSTALL_COMMANDS = ("make setup",)
SYNTH_COMMANDS = (
    "make lint",
    "make test",
    "node_modules/.bin/cdk synth '**' --quiet --no-notices -c git_sha=$CODEBUILD_RESOLVED_SOURCE_VERSION",
)
SMOKE_INSTALL_COMMANDS = ("python -m pip install --quiet -r ops_cli/requirements.txt -c constraints.txt",)


def smoke_test_command(delivery: DeliverySettings, environment: EnvironmentConfig) -> str:
    command = f"python -m ops_cli.smoke_test --env {environment.name}"
    if environment.region:
        command += f" --region {environment.region}"
    if pipeline_is_in_another_account(delivery, environment):
        command += (
            f" --role-arn arn:aws:iam::{environment.account}:role/{smoke_test_role_name(environment.name)}"
        )
    return command


class PipelineStack(Stack):
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
        if delivery.connection_arn is None:
            raise ValueError("the pipeline needs delivery.connection_arn")
        self.source = pipelines.CodePipelineSource.connection(
            delivery.repository,
            delivery.branch,
            connection_arn=delivery.connection_arn,
            trigger_on_push=True,
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{naming.PROJECT}-delivery",
            # Without the feature flag CDK Pipelines still defaults to V1.
            pipeline_type=codepipeline.PipelineType.V2,
            synth=pipelines.ShellStep(
                "Synth",
                input=self.source,
                install_commands=list(SYNTH_INSTALL_COMMANDS),
                commands=list(SYNTH_COMMANDS),
                primary_output_directory=SYNTH_OUTPUT,
            ),
            self_mutation=True,
            # KMS-encrypted artifacts that deploy roles in other accounts can read.
            cross_account_keys=True,
            enable_key_rotation=True,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    compute_type=codebuild.ComputeType.MEDIUM,
                ),
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {
                        "phases": {
                            "install": {
                                "runtime-versions": {"python": PYTHON_VERSION, "nodejs": NODE_VERSION}
                            }
                        }
                    }
                ),
            ),
        )
        self.stages: list[MlopsStage] = []
        for environment in environments:
            stage = MlopsStage(self, environment.name, config=environment)
            pre: list[pipelines.Step] = []
            if environment.name in delivery.approval_before:
                pre.append(
                    pipelines.ManualApprovalStep(
                        f"Approve-{environment.name}",
                        comment=f"The environment before {environment.name} is deployed and passed its smoke "
                        f"test. Approve to deploy {environment.name}.",
                    )
                )
            self.pipeline.add_stage(stage, pre=pre, post=[self._smoke_test(delivery, environment)])
            self.stages.append(stage)
        self.pipeline.build_pipeline()
        if delivery.trigger_on_model_approval:
            self._start_on_model_approval(environments)

    def _smoke_test(
        self, delivery: DeliverySettings, environment: EnvironmentConfig
    ) -> pipelines.CodeBuildStep:
        if pipeline_is_in_another_account(delivery, environment):
            statements = [
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"],
                    resources=[
                        f"arn:aws:iam::{environment.account}:role/{smoke_test_role_name(environment.name)}"
                    ],
                )
            ]
        else:
            statements = [endpoint_statement([environment])]
        return pipelines.CodeBuildStep(
            f"SmokeTest-{environment.name}",
            input=self.source,
            install_commands=list(SMOKE_INSTALL_COMMANDS),
            commands=[smoke_test_command(delivery, environment)],
            role_policy_statements=statements,
        )

    def _start_on_model_approval(self, environments: Sequence[EnvironmentConfig]) -> None:
        """A model approved in a delivered environment's registry goes out through the same gates."""
        self.model_approval_dead_letters = sqs.Queue(
            self,
            "StartOnModelApprovalDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.model_approval_rule = events.Rule(
            self,
            "StartOnModelApproval",
            description="Start the delivery pipeline when a model package is approved",
            event_pattern=events.EventPattern(
                source=[event_names.SAGEMAKER_SOURCE],
                detail_type=[event_names.MODEL_PACKAGE_STATE_CHANGE],
                detail={
                    "ModelPackageGroupName": [
                        naming.model_package_group_name(env.name) for env in environments
                    ],
                    "ModelApprovalStatus": ["Approved"],
                },
            ),
            # An approval EventBridge cannot hand to CodePipeline is kept here instead of dropped.
            targets=[
                targets.CodePipeline(
                    self.pipeline.pipeline, dead_letter_queue=self.model_approval_dead_letters
                )
            ],
        )
