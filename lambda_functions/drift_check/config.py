"""The drift check's configuration, read from its environment (set by the DriftCheck construct)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambda_functions.common import env
from mlops_contracts import events as contract_events
from mlops_contracts import layout


@dataclass(frozen=True)
class DriftCheckConfig:
    environment_name: str
    endpoint_name: str
    variants: tuple[str, ...]
    data_bucket: str
    capture_prefix: str
    ground_truth_prefix: str
    alert_topic_arn: str
    state_parameter: str
    event_bus_name: str
    drift_threshold: float
    min_requests: int
    cooldown_hours: int
    max_window_hours: int
    min_live_accuracy: float
    min_labelled_requests: int
    ground_truth_lookback_hours: int
    # Bounded work per run: bytes of capture read (beyond it files are sampled) and requests kept
    # for the statistical tests (a uniform reservoir sample beyond it).
    max_capture_bytes: int
    max_sample: int
    max_labels: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DriftCheckConfig:
        variants = tuple(v.strip() for v in env.text("VARIANTS", environ=environ).split(",") if v.strip())
        if not variants:
            raise env.ConfigError("environment variable VARIANTS names no variant")
        return cls(
            environment_name=env.text("ENVIRONMENT_NAME", environ=environ),
            endpoint_name=env.text("ENDPOINT_NAME", environ=environ),
            variants=variants,
            data_bucket=env.text("DATA_BUCKET", environ=environ),
            capture_prefix=layout.CAPTURE_PREFIX,
            ground_truth_prefix=layout.GROUND_TRUTH_PREFIX,
            alert_topic_arn=env.text("ALERT_TOPIC_ARN", environ=environ),
            state_parameter=env.text("STATE_PARAMETER", environ=environ),
            event_bus_name=contract_events.EVENT_BUS_NAME,
            drift_threshold=env.number("DRIFT_THRESHOLD", environ=environ),
            min_requests=env.integer("MIN_REQUESTS", environ=environ),
            cooldown_hours=env.integer("COOLDOWN_HOURS", environ=environ),
            max_window_hours=env.integer("MAX_WINDOW_HOURS", environ=environ),
            min_live_accuracy=env.number("MIN_LIVE_ACCURACY", environ=environ),
            min_labelled_requests=env.integer("MIN_LABELLED_REQUESTS", environ=environ),
            ground_truth_lookback_hours=env.integer("GROUND_TRUTH_LOOKBACK_HOURS", environ=environ),
            max_capture_bytes=env.integer("MAX_CAPTURE_BYTES", environ=environ),
            max_sample=env.integer("MAX_SAMPLE", environ=environ),
            max_labels=env.integer("MAX_LABELS", environ=environ),
        )
