"""Alerts on the SNS topic: a short subject for e-mail and chat, a JSON body for machines and people."""

from __future__ import annotations

import json
from typing import Any

_MAX_SUBJECT_CHARS = 100  # SNS limit


def publish_alert(sns: Any, topic_arn: str, subject: str, details: dict[str, Any]) -> str:
    """Publish and return the message id. Subject is cut to SNS's limit and kept to one line."""
    clean_subject = " ".join(subject.split())[:_MAX_SUBJECT_CHARS]
    body = json.dumps({"summary": clean_subject, **details}, indent=2, sort_keys=True, default=str)
    response = sns.publish(TopicArn=topic_arn, Subject=clean_subject, Message=body)
    return str(response["MessageId"])
