"""The preprocessing function's configuration: its environment (set by the stack from ``config/``)
and the bucket layout from ``mlops_contracts`` (never passed, so it cannot disagree)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambda_functions.common import env
from mlops_contracts import layout


@dataclass(frozen=True)
class PreprocessConfig:
    data_bucket: str
    validation_fraction: float
    max_input_bytes: int
    alert_topic_arn: str
    raw_prefix: str = layout.RAW_PREFIX
    processed_prefix: str = layout.PROCESSED_PREFIX
    rejected_prefix: str = layout.REJECTED_PREFIX

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PreprocessConfig:
        config = cls(
            data_bucket=env.text("DATA_BUCKET", environ=environ),
            validation_fraction=env.number("VALIDATION_FRACTION", environ=environ),
            max_input_bytes=env.integer("MAX_INPUT_BYTES", environ=environ),
            alert_topic_arn=env.text("ALERT_TOPIC_ARN", environ=environ),
        )
        if not 0.0 < config.validation_fraction < 0.5:
            raise env.ConfigError(
                f"VALIDATION_FRACTION must be in (0, 0.5), got {config.validation_fraction}"
            )
        if config.max_input_bytes < 1:
            raise env.ConfigError(f"MAX_INPUT_BYTES must be >= 1, got {config.max_input_bytes}")
        return config
