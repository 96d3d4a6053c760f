"""The shape of an environment's configuration, with validation that names the bad setting.

Every value that differs between dev, staging and prod lives here, never in an ``if env == "prod"``
branch in a stack. ``validate`` returns a list of problems instead of raising on the first one, so a
user fixing a config file sees every mistake at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass

from config.monitoring import MonitoringSettings
from config.serving import ServingSettings
from mlops_contracts import naming, tags

ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
# Deliberately simple: one @, no spaces, a dot in the domain. SNS does the real verification.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCHEDULE = re.compile(r"^(rate|cron)\(.+\)$")
TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
# The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days.
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


@dataclass(frozen=True)
class StorageSettings:
    raw_data_to_glacier_after_days: int = 90
    noncurrent_version_expiry_days: int = 30
    intermediate_artifact_expiry_days: int = 30
    log_retention_days: int = 365
    # CloudWatch log groups of the functions (one of CLOUDWATCH_RETENTION_DAYS): short in a sandbox.
    function_log_retention_days: int = 90
    # True keeps buckets and the key when the stack is deleted (prod); False destroys them (dev).
    retain_data: bool = True

    def problems(self, path: str) -> list[str]:
        found = [
            f"{path}.{name} must be a whole number of days >= 1 (got {value!r})"
            for name, value in _values(self).items()
            if name.endswith("_days") and (not isinstance(value, int) or isinstance(value, bool) or value < 1)
        ]
        if not found and self.function_log_retention_days not in CLOUDWATCH_RETENTION_DAYS:
            found.append(
                f"{path}.function_log_retention_days must be one of CloudWatch's retention periods "
                f"{CLOUDWATCH_RETENTION_DAYS} (got {self.function_log_retention_days!r})"
            )
        if not found and self.log_retention_days < self.noncurrent_version_expiry_days:
            found.append(
                f"{path}.log_retention_days ({self.log_retention_days}) must be >= "
                f"{path}.noncurrent_version_expiry_days ({self.noncurrent_version_expiry_days})"
            )
        return found


@dataclass(frozen=True)
class AlertSettings:
    emails: tuple[str, ...] = ()

    def problems(self, path: str) -> list[str]:
        return [
            f"{path}.emails has a malformed e-mail address: {email!r}"
            for email in self.emails
            if not isinstance(email, str) or not EMAIL.match(email)
        ]


@dataclass(frozen=True)
class PreprocessingSettings:
    # Uploads over this size are rejected before they are read (the function's memory is sized for it).
    max_upload_bytes: int = 200 * 1024 * 1024
    # Share of each upload's rows held out as the validation set.
    validation_fraction: float = 0.1

    def problems(self, path: str) -> list[str]:
        found: list[str] = []
        value = self.max_upload_bytes
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            found.append(f"{path}.max_upload_bytes must be a whole number of bytes >= 1 (got {value!r})")
        fraction = self.validation_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0.0 < fraction < 0.5:
            found.append(f"{path}.validation_fraction must be a number in (0, 0.5) (got {fraction!r})")
        return found


@dataclass(frozen=True)
class TrainingSettings:
    instance_type: str = "ml.m5.large"
    use_spot: bool = True
    max_runtime_seconds: int = 3600
    # Spot capacity may take a while; SageMaker requires max_wait >= max_runtime.
    max_wait_seconds: int = 7200
    volume_size_gb: int = 10
    # EventBridge schedule expression for retraining; schedule_enabled=False keeps the rule but disables it.
    schedule: str = "cron(0 3 ? * SUN *)"
    schedule_enabled: bool = True
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    # Quality gate for registration.
    min_accuracy: float = 0.80
    min_f1: float = 0.80
    max_regression: float = 0.0
    auto_approve: bool = False

    def problems(self, path: str) -> list[str]:
        found: list[str] = []
        if not re.match(r"^ml\.[a-z0-9]+\.[a-z0-9]+$", self.instance_type):
            found.append(f"{path}.instance_type must look like 'ml.m5.large' (got {self.instance_type!r})")
        for name in ("max_runtime_seconds", "max_wait_seconds", "volume_size_gb"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                found.append(f"{path}.{name} must be a whole number >= 1 (got {value!r})")
        if not found and self.use_spot and self.max_wait_seconds < self.max_runtime_seconds:
            found.append(
                f"{path}.max_wait_seconds ({self.max_wait_seconds}) must be >= "
                f"{path}.max_runtime_seconds ({self.max_runtime_seconds}) for spot training"
            )
        if not SCHEDULE.match(self.schedule):
            found.append(
                f"{path}.schedule must be a rate(...) or cron(...) expression (got {self.schedule!r})"
            )
        for name in ("min_accuracy", "min_f1", "max_regression"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                found.append(f"{path}.{name} must be a number between 0 and 1 (got {value!r})")
        found.extend(
            f"{path}.hyperparameters[{key!r}] must map a string to a string (got {value!r})"
            for key, value in self.hyperparameters.items()
            if not isinstance(key, str) or not isinstance(value, str)
        )
        return found


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    owner: str
    cost_center: str
    # None means: take CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION (or context) at synth time.
    account: str | None = None
    region: str | None = None
    storage: StorageSettings = field(default_factory=StorageSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    preprocessing: PreprocessingSettings = field(default_factory=PreprocessingSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)
    serving: ServingSettings = field(default_factory=ServingSettings)

    @property
    def project(self) -> str:
        return naming.PROJECT

    @property
    def resource_prefix(self) -> str:
        """Prefix of physical names (stacks, SSM parameters): short, stable, unique per environment."""
        return naming.resource_prefix(self.name)

    @property
    def job_name_prefix(self) -> str:
        """SageMaker job names are short (tuning jobs: 32 chars), so this prefix is too."""
        return naming.job_name_prefix(self.name)

    @property
    def cost_allocation_tags(self) -> dict[str, str]:
        values = (self.project, self.name, self.owner, self.cost_center)
        return dict(zip(tags.COST_TAG_KEYS, values, strict=True))

    def problems(self) -> list[str]:
        path = f"environments.{self.name}"
        found: list[str] = []
        if (
            not isinstance(self.name, str)
            or not naming.ENVIRONMENT_NAME.match(self.name)
            or not 2 <= len(self.name) <= naming.ENVIRONMENT_NAME_MAX_CHARS
        ):
            found.append(
                f"{path}.name must be 2-16 lower-case letters and digits in words joined by single '-', "
                f"starting with a letter (got {self.name!r})"
            )
        if self.account is not None and not ACCOUNT_ID.match(self.account):
            found.append(f"{path}.account must be a 12-digit AWS account id (got {self.account!r})")
        if self.region is not None and not REGION.match(self.region):
            found.append(f"{path}.region must look like 'eu-west-1' (got {self.region!r})")
        for name in ("owner", "cost_center"):
            value = getattr(self, name)
            if not isinstance(value, str) or not TAG_VALUE.match(value):
                found.append(f"{path}.{name} must be a non-empty tag value (got {value!r})")
        found += self.storage.problems(f"{path}.storage")
        found += self.alerts.problems(f"{path}.alerts")
        found += self.preprocessing.problems(f"{path}.preprocessing")
        found += self.training.problems(f"{path}.training")
        found += self.monitoring.problems(f"{path}.monitoring")
        found += self.serving.problems(f"{path}.serving")
        return found


def _values(settings: object) -> dict[str, object]:
    assert is_dataclass(settings)
    return {f.name: getattr(settings, f.name) for f in fields(settings)}
