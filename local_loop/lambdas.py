"""Invoke a function of the stand-in environment: its real handler, its template's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from local_loop.standin import Environment, LocalFunction

REPO_ROOT = Path(__file__).resolve().parents[1]


class InvocationError(RuntimeError):
    """The handler raised (Lambda would retry and then dead-letter the event)."""


def invoke(
    environment: Environment,
    function: LocalFunction,
    event: dict[str, Any],
    *,
    clock_offset_seconds: float = 0,
) -> Any:
    """Run ``function``'s handler on ``event`` in a fresh interpreter; return what the handler returned.

    ``clock_offset_seconds``: the handler's clock runs that far ahead (see ``handler_runner``)."""
    with tempfile.TemporaryDirectory(prefix="local-lambda-") as scratch:
        event_file, result_file = Path(scratch, "event.json"), Path(scratch, "result.json")
        event_file.write_text(json.dumps(event), encoding="utf-8")
        variables = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", scratch),
            "PYTHONPATH": str(REPO_ROOT),
            "TMPDIR": scratch,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            **environment.aws_variables(),
            **function.environment,
        }
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "local_loop.handler_runner",
                function.handler,
                str(event_file),
                str(result_file),
                str(clock_offset_seconds),
            ],
            env=variables,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=max(60, function.timeout_seconds * 2),
            check=False,
        )
        if not result_file.exists():
            raise InvocationError(f"{function.name} crashed: {completed.stderr.strip()[-2000:]}")
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
    if not outcome["ok"]:
        raise InvocationError(f"{function.name} failed: {outcome['error']}")
    return outcome["result"]
