"""What an environment's endpoint looks like, as monitoring and the cost estimate need to know it.

The endpoint itself is configured by the serving settings (``config/serving.py``); ``endpoint_plan``
maps them onto this shape, so alarms, dashboards and the cost estimate read the same source.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import EnvironmentConfig
from mlops_contracts.serving import CHALLENGER, CHAMPION


@dataclass(frozen=True)
class VariantPlan:
    name: str
    instance_type: str
    min_instances: int  # the autoscaling minimum: what runs (and is billed) around the clock
    max_instances: int


@dataclass(frozen=True)
class EndpointPlan:
    # Serverless: no data capture and one variant, so there is no drift input.
    serverless: bool
    variants: tuple[VariantPlan, ...]
    serverless_memory_mb: int = 2048
    serverless_max_concurrency: int = 5
    capture_sampling_percent: int = 100

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(variant.name for variant in self.variants)

    @property
    def has_capture(self) -> bool:
        return not self.serverless


def endpoint_plan(config: EnvironmentConfig) -> EndpointPlan:
    """The serving settings (config/serving.py), seen the way monitoring and the cost estimate need them."""
    serving = config.serving
    if serving.serverless:
        return EndpointPlan(
            serverless=True,
            variants=(VariantPlan(CHAMPION, "serverless", 0, 0),),
            serverless_memory_mb=serving.serverless_memory_mb,
            serverless_max_concurrency=serving.serverless_max_concurrency,
            capture_sampling_percent=0,
        )
    variants = tuple(
        VariantPlan(name, serving.instance_type, serving.min_instances, serving.max_instances)
        for name in (CHAMPION, CHALLENGER)
    )
    return EndpointPlan(
        serverless=False, variants=variants, capture_sampling_percent=serving.capture_sampling_percent
    )
