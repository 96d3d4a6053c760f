"""One environment (dev, staging or prod) as a CDK Stage: its stacks, tags and exemptions."""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags
from constructs import Construct

from config import EnvironmentConfig
from config.endpoint_plan import endpoint_plan
from mlops_contracts.metrics import PREPROCESS_SERVICE, REGISTER_MODEL_SERVICE, RETRAIN_SERVICE
from stacks.compliance import apply_exemptions
from stacks.monitoring_stack import MonitoringStack
from stacks.serving_stack import EXAMPLE_MODELS_CONTEXT, ServingStack
from stacks.serving_state_stack import ServingStateStack
from stacks.storage_stack import StorageStack
from stacks.training_stack import TrainingStack


class MlopsStage(Stage):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=config.region),
        )
        self.config = config
        self.storage = StorageStack(
            self,
            "Storage",
            config=config,
            stack_name=f"{config.resource_prefix}-storage",
            description=f"mlops-sentiment {config.name}: KMS key, data/models/logs buckets, alert topic",
        )
        self.training = TrainingStack(
            self,
            "Training",
            config=config,
            storage=self.storage,
            # The pipeline passes the commit (cdk synth -c git_sha=...); synth stays deterministic.
            git_sha=str(self.node.try_get_context("git_sha") or "unknown"),
            stack_name=f"{config.resource_prefix}-training",
            description=f"mlops-sentiment {config.name}: model image, training, retraining and registry",
        )
        self.serving_state: ServingStateStack | None = None
        self.serving: ServingStack | None = None
        if config.serving.enabled:
            self._add_serving(config)
        # --- monitoring: drift check, alarms, dashboard, budget -------------------------------------
        self.monitoring = MonitoringStack(
            self,
            "Monitoring",
            config=config,
            storage=self.storage,
            endpoint=endpoint_plan(config),
            # Keyed by each function's Powertools service name (the dimension of its metrics).
            functions={
                PREPROCESS_SERVICE: self.training.preprocess,
                RETRAIN_SERVICE: self.training.retrain,
                REGISTER_MODEL_SERVICE: self.training.register,
            },
            retrain_function=self.training.retrain,
            model_package_arn_pattern=self.training.model_package_group.package_arn_pattern,
            stack_name=f"{config.resource_prefix}-monitoring",
            description=f"mlops-sentiment {config.name}: drift check, alarms, dashboard and budget",
        )
        for key, value in config.cost_allocation_tags.items():
            Tags.of(self).add(key, value)
        # Kept for the test that every acknowledgment matches a finding (tests/infra).
        self.acknowledgments = apply_exemptions(
            self, resource_prefix=config.resource_prefix, job_name_prefix=config.job_name_prefix
        )

    def _add_serving(self, config: EnvironmentConfig) -> None:
        self.serving_state = ServingStateStack(
            self,
            "ServingState",
            config=config,
            stack_name=f"{config.resource_prefix}-serving-state",
            description=f"mlops-sentiment {config.name}: which model each endpoint variant serves (SSM)",
        )
        example_models = str(self.node.try_get_context(EXAMPLE_MODELS_CONTEXT) or "").lower() == "true"
        self.serving = ServingStack(
            self,
            "Serving",
            config=config,
            storage=self.storage,
            image=self.training.image,
            example_models=example_models,
            stack_name=f"{config.resource_prefix}-serving",
            description=f"mlops-sentiment {config.name}: A/B endpoint, autoscaling, guarded rollout, "
            "approvals",
        )
        # The serving state must exist before CloudFormation resolves it for the serving stack.
        self.serving.add_stack_dependency(self.serving_state)

    @property
    def stacks(self) -> list:
        optional = [stack for stack in (self.serving_state, self.serving) if stack is not None]
        return [self.storage, self.training, *optional, self.monitoring]
