"""What one run leaves for the next, in one SSM parameter (the function runs one at a time).

``{"until": ISO time the last run read up to, "events": {"drift"|"accuracy": ISO time of the last
retraining event}, "labelled": {variant: {"labelled": n, "correct": n}}}``: labelled counts
accumulate across runs until there are enough to judge live accuracy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError


@dataclass
class CheckState:
    until: datetime | None = None
    events: dict[str, datetime] = field(default_factory=dict)
    labelled: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "until": self.until.isoformat() if self.until else None,
                "events": {kind: when.isoformat() for kind, when in sorted(self.events.items())},
                "labelled": self.labelled,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> CheckState:
        """An unreadable state starts over (logged by the caller), it never stops the check."""
        data = json.loads(text)
        until = data.get("until")
        return cls(
            until=datetime.fromisoformat(until) if until else None,
            events={kind: datetime.fromisoformat(when) for kind, when in (data.get("events") or {}).items()},
            labelled={
                str(variant): {"labelled": int(counts["labelled"]), "correct": int(counts["correct"])}
                for variant, counts in (data.get("labelled") or {}).items()
            },
        )


def load_state(ssm: Any, name: str) -> CheckState:
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ParameterNotFound":
            return CheckState()
        raise
    try:
        return CheckState.from_json(value)
    except (ValueError, KeyError, TypeError):
        return CheckState()


def save_state(ssm: Any, name: str, state: CheckState) -> None:
    ssm.put_parameter(Name=name, Value=state.to_json(), Type="String", Overwrite=True, Tier="Standard")
