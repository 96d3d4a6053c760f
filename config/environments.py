"""The environments this app deploys. Edit this file to change what differs between them.

Account and region default to the ones the CDK CLI resolves from your AWS profile
(CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION); set them here to pin an environment to an account.
Single settings can also be overridden per synth, without editing this file:
``cdk synth -c dev.training.instance_type=ml.m5.xlarge -c prod.alerts.emails=ops@example.com``.
"""

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
    ),
)
