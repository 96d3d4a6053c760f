"""A worker that keeps dying right after its start is restarted with a growing delay, then given up on."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model_code.server.workers import RestartPolicy


def test_restart_delays_double_up_to_the_cap_and_zero_never_gives_up() -> None:
    policy = RestartPolicy(max_crashes=5)
    assert [policy.delay_s(crashes) for crashes in range(1, 10)] == [0, 1, 2, 4, 8, 16, 30, 30, 30]
    assert [policy.gives_up(crashes) for crashes in (1, 4, 5, 6)] == [False, False, True, True]
    assert not RestartPolicy(max_crashes=0).gives_up(10_000)


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


def kill_every_worker_until_exit(supervisor: subprocess.Popen[bytes], timeout_s: float) -> list[float]:
    """Plays a worker that dies as soon as it starts (as an OOM kill or a native crash would do)."""
    started = time.monotonic()
    kills: list[float] = []
    seen: set[int] = set()
    while supervisor.poll() is None and time.monotonic() - started < timeout_s:
        workers = children(supervisor.pid) - seen
        for worker in workers:
            os.kill(worker, signal.SIGKILL)
            kills.append(time.monotonic() - started)
        seen |= workers
        time.sleep(0.02)
    return kills


@pytest.mark.slow
def test_a_worker_crashing_on_start_backs_off_then_stops_the_server_with_a_message(
    serving_model_dir: Path, launch_server, serving_env, port_finder
) -> None:
    port = port_finder()
    command = [sys.executable, "-m", "model_code.serve", "--model-path", str(serving_model_dir)]
    command += ["--port", str(port), "--workers", "2", "--max-worker-crashes", "4"]
    server = launch_server(command, port, serving_env())
    try:
        kills = kill_every_worker_until_exit(server.process, timeout_s=30)
        exit_code = server.process.wait(timeout=30)
    finally:
        if server.process.poll() is None:
            server.process.kill()
    assert server.process.stdout is not None
    output = server.process.stdout.read().decode()
    assert exit_code == 1, output
    # Each of the two sockets: started, then restarted after 0, 1 and 2 s, then given up at crash 4.
    assert sorted(re.findall(r"restart in (\d+) s", output)) == ["0", "0", "1", "1", "2", "2"]
    assert output.count("started worker process") <= 8
    assert len(kills) <= 8
    assert 3.0 <= kills[-1] - kills[0] <= 15.0, kills  # 0 + 1 + 2 s of backoff, not 0.2 s for ever
    last_line = output.strip().splitlines()[-1]
    assert re.fullmatch(
        r"serve: error: worker [01] crashed 4 times in a row, each within 10 s of its start "
        r"\(last: process \d+, exit code -9\); stopping the server so that it can be replaced",
        last_line,
    ), last_line
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass  # the port is closed: the platform sees the server gone
