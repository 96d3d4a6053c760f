"""Fixtures for the serving tests: one model trained by the real ``train`` CLI, one real server.

Everything goes through subprocesses and stdlib HTTP, as a client would: the server under test is
``python -m model_code.serve`` (or the image's ``model_code/bin/serve``) on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO / "model_code" / "sample_data" / "reviews.csv"
# Small limits on the shared server so the over-limit tests send kilobytes, not megabytes.
MAX_PAYLOAD_MB = 0.05
MAX_TEXTS = 50
MAX_TEXT_CHARS = 2000


def subprocess_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **extra}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class RunningServer:
    port: int
    process: subprocess.Popen[bytes]

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
        finally:
            connection.close()

    def invoke(
        self, body: bytes | str, content_type: str | None = "application/json", accept: str | None = None
    ):
        headers = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        return self.request("POST", "/invocations", body.encode() if isinstance(body, str) else body, headers)


def wait_until_pinged(server: RunningServer, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited early with {server.process.returncode}")
        try:
            if server.request("GET", "/ping").status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not answer /ping in time")


def start_server(command: list[str], port: int, env: dict[str, str]) -> RunningServer:
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = RunningServer(port, process)
    wait_until_pinged(server)
    return server


def stop_server(server: RunningServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@dataclass(frozen=True)
class Limits:
    max_payload_bytes: int = int(MAX_PAYLOAD_MB * 1024 * 1024)
    max_texts: int = MAX_TEXTS
    max_text_chars: int = MAX_TEXT_CHARS


@pytest.fixture(scope="session")
def serving_limits() -> Limits:
    """The limits the shared ``server`` runs with."""
    return Limits()


@pytest.fixture(scope="session")
def launch_server():
    """Start a server command on 127.0.0.1 and wait for /ping; the caller stops it with ``stop_server``."""
    return start_server


@pytest.fixture(scope="session")
def serving_env():
    return subprocess_env


@pytest.fixture(scope="session")
def port_finder():
    return free_port


@pytest.fixture(scope="session")
def serving_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained once per session by the real training CLI on the repository's sample data."""
    model_dir = tmp_path_factory.mktemp("serving") / "model"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "model_code.train",
            "--data-path",
            str(SAMPLE_DATA),
            "--output-path",
            str(model_dir),
        ],
        cwd=REPO,
        env=subprocess_env(),
        check=True,
        capture_output=True,
    )
    return model_dir


@pytest.fixture(scope="session")
def server(serving_model_dir: Path) -> Iterator[RunningServer]:
    """``python -m model_code.serve`` with two workers and small limits, shared by the contract tests."""
    port = free_port()
    command = [sys.executable, "-m", "model_code.serve", "--model-path", str(serving_model_dir)]
    command += ["--port", str(port), "--workers", "2", "--max-payload-mb", str(MAX_PAYLOAD_MB)]
    command += ["--max-texts", str(MAX_TEXTS), "--max-text-chars", str(MAX_TEXT_CHARS)]
    running = start_server(command, port, subprocess_env())
    yield running
    stop_server(running)
