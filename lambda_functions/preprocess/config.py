"""The preprocessing function's configuration, read from its environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambda_functions.common import env


@dataclass(frozen=True)
class PreprocessConfig:
    data_bucket: str
    raw_prefix: str
    processed_prefix: str
    rejected_prefix: str
    validation_fraction: float
    max_input_bytes: int
    alert_topic_arn: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PreprocessConfig:
        config = cls(
            data_bucket=env.text("DATA_BUCKET", environ=environ),
            raw_prefix=env.text("RAW_PREFIX", "raw/", environ=environ),
            processed_prefix=env.text("PROCESSED_PREFIX", "processed/", environ=environ),
            rejected_prefix=env.text("REJECTED_PREFIX", "rejected/", environ=environ),
            validation_fraction=env.number("VALIDATION_FRACTION", 0.1, environ=environ),
            max_input_bytes=env.integer("MAX_INPUT_BYTES", 100 * 1024 * 1024, environ=environ),
            alert_topic_arn=env.text("ALERT_TOPIC_ARN", environ=environ),
        )
        if not 0.0 < config.validation_fraction < 0.5:
            raise env.ConfigError(
                f"VALIDATION_FRACTION must be in (0, 0.5), got {config.validation_fraction}"
            )
        return config
