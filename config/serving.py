"""Serving settings of one environment: the A/B endpoint, its autoscaling, capture and guarded rollout.

Flat fields (not nested sections) so each can be overridden per synth, e.g.
``cdk synth -c prod.serving.max_instances=8``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
CRON = re.compile(r"^cron\(.+\)$")
TRAFFIC_TYPES = ("CANARY", "LINEAR")
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)


@dataclass(frozen=True)
class ScheduledCapacity:
    """Application Auto Scaling scheduled action: from ``schedule`` on, capacity is min..max."""

    name: str
    schedule: str  # cron(...) in UTC
    min_instances: int
    max_instances: int

    def problems(self, path: str) -> list[str]:
        found = []
        if not re.match(r"^[a-z][a-z0-9-]{0,40}$", str(self.name)):
            found.append(f"{path}.name must be lower-case letters, digits and '-' (got {self.name!r})")
        if not CRON.match(str(self.schedule)):
            found.append(f"{path}.schedule must be a cron(...) expression (got {self.schedule!r})")
        if not _whole(self.min_instances, 0) or not _whole(self.max_instances, 1):
            found.append(f"{path} needs min_instances >= 0 and max_instances >= 1")
        elif self.min_instances > self.max_instances:
            found.append(f"{path}.min_instances must be <= max_instances")
        return found


@dataclass(frozen=True)
class ServingSettings:
    # False leaves the serving stack out of the environment entirely.
    enabled: bool = True
    instance_type: str = "ml.m5.large"
    # Initial traffic split between the stable variants (the operator CLI changes it at run time).
    champion_weight: float = 0.9
    challenger_weight: float = 0.1
    # True: the challenger gets a copy of every request as a shadow variant; only the champion answers.
    shadow_challenger: bool = False
    # Autoscaling per variant: target tracking on SageMakerVariantInvocationsPerInstance.
    min_instances: int = 1
    max_instances: int = 1
    target_invocations_per_instance: int = 200
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60
    scheduled_capacity: tuple[ScheduledCapacity, ...] = ()
    # Serverless inference instead of instances: one variant, no data capture (SageMaker supports
    # neither a second variant under our A/B design nor capture there), no autoscaling.
    serverless: bool = False
    serverless_memory_mb: int = 2048
    serverless_max_concurrency: int = 5
    # Data capture of requests and answers (instance-backed endpoints only).
    capture_sampling_percent: int = 100
    # Guarded blue/green rollout with automatic rollback on the variant alarms.
    rollout_traffic: str = "CANARY"
    rollout_step_percent: int = 10
    rollout_wait_seconds: int = 300
    rollout_baking_seconds: int = 600
    rollout_timeout_seconds: int = 3600
    alarm_latency_p99_ms: int = 500
    alarm_error_rate: float = 0.01

    def problems(self, path: str) -> list[str]:
        found: list[str] = []
        if not INSTANCE_TYPE.match(str(self.instance_type)):
            found.append(f"{path}.instance_type must look like 'ml.m5.large' (got {self.instance_type!r})")
        for name in ("champion_weight", "challenger_weight"):
            value = getattr(self, name)
            if not _number(value) or value < 0:
                found.append(f"{path}.{name} must be a number >= 0 (got {value!r})")
        if not found and self.champion_weight + self.challenger_weight <= 0:
            found.append(f"{path}.champion_weight + challenger_weight must be > 0")
        for name, minimum in (
            ("min_instances", 1),
            ("max_instances", 1),
            ("target_invocations_per_instance", 1),
            ("scale_in_cooldown_seconds", 0),
            ("scale_out_cooldown_seconds", 0),
            ("rollout_wait_seconds", 0),
            ("rollout_baking_seconds", 0),
            ("rollout_timeout_seconds", 600),
            ("alarm_latency_p99_ms", 1),
            ("serverless_max_concurrency", 1),
        ):
            value = getattr(self, name)
            if not _whole(value, minimum):
                found.append(f"{path}.{name} must be a whole number >= {minimum} (got {value!r})")
        if (
            _whole(self.min_instances, 1)
            and _whole(self.max_instances, 1)
            and self.min_instances > self.max_instances
        ):
            found.append(
                f"{path}.min_instances ({self.min_instances}) must be <= "
                f"{path}.max_instances ({self.max_instances})"
            )
        return found + self._rollout_problems(path) + self._mode_problems(path)

    def _rollout_problems(self, path: str) -> list[str]:
        found: list[str] = []
        if not _whole(self.capture_sampling_percent, 1) or self.capture_sampling_percent > 100:
            found.append(
                f"{path}.capture_sampling_percent must be a whole number 1-100 "
                f"(got {self.capture_sampling_percent!r})"
            )
        if self.rollout_traffic not in TRAFFIC_TYPES:
            found.append(
                f"{path}.rollout_traffic must be one of {', '.join(TRAFFIC_TYPES)} "
                f"(got {self.rollout_traffic!r})"
            )
        if not _whole(self.rollout_step_percent, 1) or self.rollout_step_percent > 50:
            found.append(
                f"{path}.rollout_step_percent must be a whole number 1-50 (got {self.rollout_step_percent!r})"
            )
        if not _number(self.alarm_error_rate) or not 0 < self.alarm_error_rate < 1:
            found.append(f"{path}.alarm_error_rate must be between 0 and 1 (got {self.alarm_error_rate!r})")
        return found

    def _mode_problems(self, path: str) -> list[str]:
        found: list[str] = []
        if self.serverless_memory_mb not in SERVERLESS_MEMORY_MB:
            found.append(
                f"{path}.serverless_memory_mb must be one of {SERVERLESS_MEMORY_MB} "
                f"(got {self.serverless_memory_mb!r})"
            )
        if self.serverless and self.shadow_challenger:
            found.append(f"{path}: a serverless endpoint has one variant, so shadow_challenger must be false")
        if self.serverless and self.scheduled_capacity:
            found.append(f"{path}: a serverless endpoint has no instances to schedule (scheduled_capacity)")
        for index, action in enumerate(self.scheduled_capacity):
            found += action.problems(f"{path}.scheduled_capacity[{index}]")
        return found

    @property
    def production_variant_names(self) -> tuple[str, ...]:
        """Variants that answer requests (the challenger only when it is neither shadow nor absent)."""
        from mlops_contracts.serving import CHALLENGER, CHAMPION  # noqa: PLC0415 - keep config import-light

        if self.serverless or self.shadow_challenger:
            return (CHAMPION,)
        return (CHAMPION, CHALLENGER)

    @property
    def variant_names(self) -> tuple[str, ...]:
        """Every variant that runs a model (production and shadow)."""
        from mlops_contracts.serving import CHALLENGER, CHAMPION  # noqa: PLC0415

        return (CHAMPION,) if self.serverless else (CHAMPION, CHALLENGER)


def _whole(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
