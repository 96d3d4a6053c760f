"""The registration function's configuration, read from its environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambda_functions.common import env
from lambda_functions.register_model.quality_gate import Thresholds


@dataclass(frozen=True)
class RegisterConfig:
    environment_name: str
    model_package_group: str
    job_name_prefix: str
    models_bucket: str
    alert_topic_arn: str
    thresholds: Thresholds
    auto_approve: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RegisterConfig:
        return cls(
            environment_name=env.text("ENVIRONMENT_NAME", environ=environ),
            model_package_group=env.text("MODEL_PACKAGE_GROUP", environ=environ),
            job_name_prefix=env.text("JOB_NAME_PREFIX", environ=environ),
            models_bucket=env.text("MODELS_BUCKET", environ=environ),
            alert_topic_arn=env.text("ALERT_TOPIC_ARN", environ=environ),
            thresholds=Thresholds(
                min_accuracy=env.number("MIN_ACCURACY", 0.0, environ=environ),
                min_f1=env.number("MIN_F1", 0.0, environ=environ),
                max_regression=env.number("MAX_REGRESSION", 0.0, environ=environ),
            ),
            auto_approve=env.boolean("AUTO_APPROVE", False, environ=environ),
        )
