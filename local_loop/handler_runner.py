"""Run one Lambda handler: ``python -m local_loop.handler_runner HANDLER EVENT RESULT [CLOCK_OFFSET]``.

A fresh interpreter per invocation is a cold start with exactly the function's environment, as in
Lambda. The result goes to a file because Powertools prints metrics (EMF) on stdout.

CLOCK_OFFSET (seconds) runs the handler with its clock that far ahead: the loop fires an hourly
schedule "later" without waiting for it (the drift check leaves files younger than a minute for
its next run).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path


@dataclass
class _Context:
    """The attributes Powertools reads from Lambda's context object."""

    function_name: str
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def main(argv: list[str]) -> int:
    handler_path, event_file, result_file, *clock = argv
    if clock and float(clock[0]):
        import time_machine  # noqa: PLC0415 - a dev tool; only a shifted run needs it

        time_machine.travel(time.time() + float(clock[0]), tick=True).start()
    module_name, _, function_name = handler_path.rpartition(".")
    event = json.loads(Path(event_file).read_text(encoding="utf-8"))
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        result = {"ok": True, "result": handler(event, _Context(function_name=module_name.split(".")[1]))}
    except Exception as error:
        traceback.print_exc()
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    Path(result_file).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
