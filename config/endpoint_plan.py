"""What an environment's endpoint looks like, as monitoring and the cost estimate need to know it.

The endpoint itself is configured by the serving settings (issue 8). Until they are merged this
module holds each environment's plan; afterwards ``endpoint_plan`` maps the serving settings onto
this shape, so alarms, dashboards and the cost estimate keep reading one source.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import EnvironmentConfig
from mlops_contracts.serving import CHALLENGER_VARIANT, CHAMPION_VARIANT


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


def _two_variants(instance_type: str, champion_max: int) -> tuple[VariantPlan, ...]:
    return (
        VariantPlan(CHAMPION_VARIANT, instance_type, min_instances=1, max_instances=champion_max),
        VariantPlan(CHALLENGER_VARIANT, instance_type, min_instances=1, max_instances=1),
    )


# Interim, until the serving settings land: dev on serverless (no always-on instance), staging and
# prod with champion/challenger variants at their autoscaling minimum of one instance each.
_PLANS: dict[str, EndpointPlan] = {
    "dev": EndpointPlan(serverless=True, variants=(VariantPlan(CHAMPION_VARIANT, "serverless", 0, 0),)),
    "staging": EndpointPlan(serverless=False, variants=_two_variants("ml.m5.large", champion_max=2)),
    "prod": EndpointPlan(serverless=False, variants=_two_variants("ml.m5.large", champion_max=5)),
}
_DEFAULT = EndpointPlan(serverless=False, variants=_two_variants("ml.m5.large", champion_max=2))


def endpoint_plan(config: EnvironmentConfig) -> EndpointPlan:
    return _PLANS.get(config.name, _DEFAULT)
