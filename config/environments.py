"""The environments this app deploys. Edit this file to change what differs between them.

Account and region default to the ones the CDK CLI resolves from your AWS profile
(CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION); set them here to pin an environment to an account.
Single settings can also be overridden per synth, without editing this file:
``cdk synth -c dev.training.instance_type=ml.m5.xlarge -c prod.alerts.emails=ops@example.com``.
"""

from config.serving import ScheduledCapacity, ServingSettings
from config.settings import AlertSettings, EnvironmentConfig, StorageSettings, TrainingSettings

ENVIRONMENTS: tuple[EnvironmentConfig, ...] = (
    EnvironmentConfig(
        name="dev",
        owner="ml-platform",
        cost_center="ml-research",
        storage=StorageSettings(
            raw_data_to_glacier_after_days=30,
            log_retention_days=30,
            function_log_retention_days=14,
            retain_data=False,
        ),
        training=TrainingSettings(
            instance_type="ml.m5.large",
            max_runtime_seconds=1800,
            max_wait_seconds=3600,
            schedule="cron(0 3 ? * SUN *)",
            # Nobody wants weekly bills from a sandbox: enable by hand when needed.
            schedule_enabled=False,
            min_accuracy=0.70,
            min_f1=0.70,
            auto_approve=True,
        ),
        # A sandbox sees sporadic traffic: serverless costs nothing while idle (no always-on
        # instance). One variant, no data capture, so no drift input (the stack's outputs say so).
        serving=ServingSettings(serverless=True, serverless_memory_mb=2048, serverless_max_concurrency=5),
    ),
    EnvironmentConfig(
        name="staging",
        owner="ml-platform",
        cost_center="ml-production",
        storage=StorageSettings(log_retention_days=90, retain_data=False),
        training=TrainingSettings(
            instance_type="ml.m5.large",
            schedule="cron(0 3 ? * SUN *)",
            min_accuracy=0.82,
            min_f1=0.82,
        ),
        # Staging mirrors prod's shape (champion/challenger, capture, guarded rollout) at its smallest,
        # so rollouts and the smoke test are tried on the real thing before prod.
        serving=ServingSettings(
            instance_type="ml.m5.large",
            min_instances=1,
            max_instances=1,
            capture_sampling_percent=100,
            # Short guardrails: staging is for trying rollouts, not for waiting on them.
            rollout_wait_seconds=120,
            rollout_baking_seconds=300,
        ),
    ),
    EnvironmentConfig(
        name="prod",
        owner="ml-platform",
        cost_center="ml-production",
        storage=StorageSettings(
            raw_data_to_glacier_after_days=90,
            log_retention_days=400,
            function_log_retention_days=400,
            retain_data=True,
        ),
        alerts=AlertSettings(emails=()),
        training=TrainingSettings(
            instance_type="ml.m5.xlarge",
            max_runtime_seconds=3600,
            max_wait_seconds=7200,
            schedule="cron(0 3 ? * MON *)",
            min_accuracy=0.84,
            min_f1=0.84,
        ),
        serving=ServingSettings(
            instance_type="ml.m5.xlarge",
            min_instances=1,
            max_instances=5,
            target_invocations_per_instance=300,
            capture_sampling_percent=20,
            rollout_traffic="CANARY",
            rollout_step_percent=10,
            rollout_wait_seconds=600,
            rollout_baking_seconds=1800,
            scheduled_capacity=(
                # Off-peak nights (UTC): at most 2 instances; back to full range before the morning.
                ScheduledCapacity(
                    name="night", schedule="cron(0 22 * * ? *)", min_instances=1, max_instances=2
                ),
                ScheduledCapacity(name="day", schedule="cron(0 6 * * ? *)", min_instances=1, max_instances=5),
            ),
        ),
    ),
)
