"""The registration function's configuration: its environment (set by the stack from ``config/``)
and the names ``mlops_contracts`` derives from the environment name (never passed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambda_functions.common import env
from lambda_functions.register_model.quality_gate import Thresholds
from mlops_contracts import layout, naming


@dataclass(frozen=True)
class RegisterConfig:
    environment_name: str
    model_package_group: str
    job_name_prefix: str
    models_bucket: str
    alert_topic_arn: str
    thresholds: Thresholds
    auto_approve: bool
    model_output_prefix: str = layout.MODEL_OUTPUT_PREFIX
    model_metrics_prefix: str = layout.MODEL_METRICS_PREFIX

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RegisterConfig:
        environment_name = env.text("ENVIRONMENT_NAME", environ=environ)
        return cls(
            environment_name=environment_name,
            model_package_group=env.text("MODEL_PACKAGE_GROUP", environ=environ),
            job_name_prefix=naming.job_name_prefix(environment_name),
            models_bucket=env.text("MODELS_BUCKET", environ=environ),
            alert_topic_arn=env.text("ALERT_TOPIC_ARN", environ=environ),
            # No defaults: a gate that silently became 0.0 would approve anything.
            thresholds=Thresholds(
                min_accuracy=env.number("MIN_ACCURACY", environ=environ),
                min_f1=env.number("MIN_F1", environ=environ),
                max_regression=env.number("MAX_REGRESSION", environ=environ),
            ),
            auto_approve=env.boolean("AUTO_APPROVE", environ=environ),
        )
