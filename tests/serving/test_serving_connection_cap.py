"""The connection cap: 503 for requests beyond it, and new sockets closed unread beyond twice it."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serving-connection-cap")]

MAX_CONNECTIONS = 3


def with_open_files_limit(soft: int, hard: int, command: list[str]) -> list[str]:
    return ["sh", "-c", f'ulimit -Sn {soft} && ulimit -Hn {hard} && exec "$@"', "sh", *command]


@pytest.fixture(scope="module")
def capped_server(serving_model_dir: Path, launch_server, serving_env, port_finder) -> Iterator:
    """One worker, so every connection counts against the same cap; idle sockets live 60 s.

    Started with a soft limit of 64 open files, below what the cap needs (6 sockets + 1 listening
    + 64 others), so the server must raise it.
    """
    port = port_finder()
    command = [sys.executable, "-m", "model_code.serve", "--model-path", str(serving_model_dir)]
    command += ["--port", str(port), "--workers", "1", "--header-timeout", "60"]
    command = with_open_files_limit(64, 4096, command)
    server = launch_server(command, port, serving_env(MODEL_SERVER_MAX_CONNECTIONS=str(MAX_CONNECTIONS)))
    yield server
    server.process.kill()
    server.process.wait()


def idle_connection(stack: ExitStack, port: int) -> socket.socket:
    connection = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
    time.sleep(0.1)  # accepted by the worker before the next step counts connections
    return connection


def invoke_on(connection: http.client.HTTPConnection) -> tuple[int, bytes, str | None]:
    connection.request(
        "POST", "/invocations", json.dumps({"text": "great value"}), {"Content-Type": "application/json"}
    )
    answer = connection.getresponse()
    return answer.status, answer.read(), answer.getheader("connection")


def closed_within(connection: socket.socket, seconds: float) -> bool:
    connection.settimeout(seconds)
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_requests_beyond_the_cap_get_503_and_capacity_comes_back(capped_server) -> None:
    port = capped_server.port
    with ExitStack() as stack:
        for _ in range(MAX_CONNECTIONS - 1):
            idle_connection(stack, port)
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        stack.callback(client.close)
        assert invoke_on(client)[0] == 200  # the cap's last connection is served
        extra = idle_connection(stack, port)
        status, body, connection_header = invoke_on(client)  # now the worker holds cap + 1
        assert (status, body, connection_header) == (503, b"Service Unavailable", "close")
        extra.close()
        time.sleep(0.2)
        fresh = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        stack.callback(fresh.close)
        assert invoke_on(fresh)[0] == 200


def test_new_connections_beyond_twice_the_cap_are_closed_unread(capped_server) -> None:
    port = capped_server.port
    with ExitStack() as stack:
        held = [idle_connection(stack, port) for _ in range(2 * MAX_CONNECTIONS)]
        refused = idle_connection(stack, port)
        assert closed_within(refused, 2.0)  # not the 60 s header timeout
        assert not any(closed_within(connection, 0.05) for connection in held)
        held[0].close()
        time.sleep(0.2)
        accepted = idle_connection(stack, port)
        assert not closed_within(accepted, 0.5)
    assert capped_server.request("GET", "/ping").status == 200


def open_files_limits(pid: int) -> tuple[int, int]:
    line = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines() if "open files" in line)
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def test_the_server_raises_its_soft_open_files_limit_to_what_the_cap_needs(capped_server) -> None:
    assert open_files_limits(capped_server.process.pid) == (2 * MAX_CONNECTIONS + 1 + 64, 4096)


def test_a_cap_the_hard_open_files_limit_cannot_hold_is_a_one_line_error(
    serving_model_dir: Path, serving_env, port_finder
) -> None:
    command = [sys.executable, "-m", "model_code.serve", "--model-path", str(serving_model_dir)]
    command += ["--port", str(port_finder()), "--workers", "2", "--max-connections", "1000"]
    result = subprocess.run(
        with_open_files_limit(1024, 1024, command),
        env=serving_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "serve: error: max connections 1000 needs up to 2066 open files per worker, but the hard limit "
        "is 1024 (ulimit -Hn); lower MODEL_SERVER_MAX_CONNECTIONS"
    )
