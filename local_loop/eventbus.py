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
from mlops_contracts.events import EVENT_BUS_NAME


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


class EventTap:
    """Catches the events the product's functions put on the bus (their real PutEvents calls to the
    stand-in) in a queue, so the loop can deliver them to the rules as EventBridge would."""

    def __init__(self, environment: Environment, source: str, bus: str = EVENT_BUS_NAME) -> None:
        events, sqs = environment.client("events"), environment.client("sqs")
        self.queue_url = sqs.create_queue(QueueName="local-loop-event-tap")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]
        events.put_rule(
            Name="local-loop-event-tap", EventBusName=bus, EventPattern=json.dumps({"source": [source]})
        )
        events.put_targets(
            Rule="local-loop-event-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn["QueueArn"]}]
        )
        self.sqs = sqs

    def drain(self) -> list[dict[str, Any]]:
        caught: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return caught
            for message in messages:
                caught.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
