"""Deliver an event the way EventBridge would: to the functions whose rules' patterns match it.

Matching uses moto's implementation of EventBridge's pattern language (its ``TestEventPattern`` API is
not implemented), so an event that a producer emits differently from what a rule expects is not
delivered here either.
"""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern

from local_loop.lambdas import invoke
from local_loop.standin import Environment, LocalRule


def matching_rules(environment: Environment, event: dict[str, Any]) -> list[LocalRule]:
    return [
        rule
        for rule in environment.rules
        if rule.pattern is not None and EventPattern.load(json.dumps(rule.pattern)).matches_event(event)  # type: ignore[arg-type]
    ]


def publish(environment: Environment, event: dict[str, Any]) -> list[tuple[str, Any]]:
    """Invoke every target of every matching rule; returns (function name, handler result) pairs."""
    delivered: list[tuple[str, Any]] = []
    for rule in matching_rules(environment, event):
        for name in rule.target_functions:
            delivered.append((name, invoke(environment, environment.functions[name], event)))
    return delivered


def scheduled_rule_for(environment: Environment, handler: str) -> LocalRule:
    """The schedule rule whose target has ``handler`` (the retrain schedule)."""
    for rule in environment.rules:
        if rule.schedule and any(
            environment.functions[name].handler == handler for name in rule.target_functions
        ):
            return rule
    raise LookupError(f"no scheduled rule targets {handler}")
