"""Slow clients (slowloris) are cut after the header or body deadline and never hold up others."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving.slow_clients import JSON_HEAD_100, REQUEST_LINE, SLOW_HEAD_DRIP, SlowClient, drip_all

# Slow: starts a real server. One xdist group, so this module's server is started once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serving-slow-clients")]

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.5
# Scheduling slack on a shared machine; the point is "cut within seconds", not "open for ever".
SLACK_S = 2.5


@pytest.fixture(scope="module")
def strict_server(serving_model_dir: Path, launch_server, serving_env, port_finder) -> Iterator:
    port = port_finder()
    command = [sys.executable, "-m", "model_code.serve", "--model-path", str(serving_model_dir)]
    command += ["--port", str(port), "--workers", "2"]
    env = serving_env(
        MODEL_SERVER_HEADER_TIMEOUT=str(HEADER_TIMEOUT_S), MODEL_SERVER_BODY_TIMEOUT=str(BODY_TIMEOUT_S)
    )
    server = launch_server(command, port, env)
    yield server
    server.process.kill()
    server.process.wait()


def run_one(server, client: SlowClient) -> SlowClient:
    client.open(server.port)
    try:
        drip_all([client], interval_s=0.1, timeout_s=HEADER_TIMEOUT_S + BODY_TIMEOUT_S + 10)
    finally:
        client.close()
    return client


def assert_408(client: SlowClient, part: str, timeout_s: float) -> None:
    assert client.ended_after_s is not None, "the server never closed the connection"
    assert timeout_s - 0.1 <= client.ended_after_s <= timeout_s + SLACK_S
    assert client.status == 408, client.received
    assert json.loads(client.body) == {"error": f"request {part} not received within {timeout_s:g} s"}


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(strict_server) -> None:
    client = run_one(strict_server, SlowClient(opening=b""))
    assert client.ended_after_s is not None, "the server never closed the idle connection"
    assert HEADER_TIMEOUT_S - 0.1 <= client.ended_after_s <= HEADER_TIMEOUT_S + SLACK_S
    assert client.received == b""  # nothing was asked, so nothing is answered


def test_headers_sent_a_byte_at_a_time_get_408(strict_server) -> None:
    client = run_one(strict_server, SlowClient(opening=REQUEST_LINE, drip=SLOW_HEAD_DRIP))
    assert client.sent >= 5  # it really was dripping when it was cut
    assert_408(client, "headers", HEADER_TIMEOUT_S)


def test_a_body_sent_a_byte_at_a_time_gets_408(strict_server) -> None:
    client = run_one(strict_server, SlowClient(opening=JSON_HEAD_100 + b'"', drip=b"a" * 98 + b'"'))
    assert 5 <= client.sent < 99
    assert_408(client, "body", BODY_TIMEOUT_S)


def test_a_body_still_dripping_after_the_answer_is_cut(strict_server) -> None:
    """The app refuses the content type before reading the body; the client must not keep the socket."""
    head = REQUEST_LINE + b"Content-Type: application/xml\r\nContent-Length: 100\r\n\r\n"
    client = run_one(strict_server, SlowClient(opening=head, drip=b"a" * 100))
    assert client.status == 415
    assert client.ended_after_s is not None, "the server never closed the connection"
    assert BODY_TIMEOUT_S - 0.1 <= client.ended_after_s <= BODY_TIMEOUT_S + SLACK_S


def worker_socket_counts(server) -> dict[int, int]:
    counts = {}
    for task in Path(f"/proc/{server.process.pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            fds = Path(f"/proc/{child}/fd")
            counts[int(child)] = sum(1 for fd in fds.iterdir() if fd.readlink().name.startswith("socket:"))
    return counts


def test_normal_requests_are_served_while_slowloris_holds_connections_on_every_worker(strict_server) -> None:
    before = worker_socket_counts(strict_server)
    slow = [SlowClient(opening=REQUEST_LINE, drip=SLOW_HEAD_DRIP).open(strict_server.port) for _ in range(40)]
    try:
        time.sleep(0.2)  # let both workers accept
        during = worker_socket_counts(strict_server)
        assert set(during) == set(before) and len(during) == 2
        assert all(during[pid] - before[pid] >= 5 for pid in during), (before, during)  # slowloris on each
        latencies = []
        for index in range(20):
            started = time.monotonic()
            answer = strict_server.invoke(json.dumps({"text": f"works fine, review {index}"}))
            latencies.append(time.monotonic() - started)
            assert answer.status == 200, answer.body
        # Not held up until the slow clients are cut (1 s): the median stays far below that.
        assert statistics.median(latencies) < HEADER_TIMEOUT_S / 2, latencies
        drip_all(slow, interval_s=0.1, timeout_s=HEADER_TIMEOUT_S + 10)
    finally:
        for client in slow:
            client.close()
    ended = [client.ended_after_s for client in slow]
    assert all(seconds is not None and seconds <= HEADER_TIMEOUT_S + SLACK_S for seconds in ended), ended
    assert {client.status for client in slow} == {408}
