"""Fixtures for the delivery tests: the smoke test against a real ``serve`` and a misbehaving fake.

The model and the real server come from the serving tests' helpers (one model trained by the real
``train`` CLI on the repository's sample data); the fake server is ``fake_model_server.py`` run as
its own process. Every smoke-test test shares one xdist group so the model is trained once.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.serving.conftest import RunningServer, free_port, start_server, stop_server, subprocess_env

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO / "model_code" / "sample_data" / "reviews.csv"
CASES = REPO / "ops_cli" / "smoke_cases.json"
FAKE_SERVER = Path(__file__).with_name("fake_model_server.py")
TRAIN = (sys.executable, "-m", "model_code.train")


def run_smoke_test(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m ops_cli.smoke_test ARGS`` as the workflow runs it."""
    return subprocess.run(
        [sys.executable, "-m", "ops_cli.smoke_test", *args],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


@pytest.fixture(scope="session")
def smoke_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("smoke") / "model"
    subprocess.run(
        [*TRAIN, "--data-path", str(SAMPLE_DATA), "--output-path", str(model_dir)],
        cwd=REPO,
        env=subprocess_env(),
        check=True,
        capture_output=True,
    )
    return model_dir


@pytest.fixture(scope="session")
def real_server(smoke_model_dir: Path) -> Iterator[RunningServer]:
    port = free_port()
    command = [sys.executable, "-m", "model_code.serve", "--model-path", str(smoke_model_dir)]
    running = start_server([*command, "--port", str(port), "--workers", "1"], port, subprocess_env())
    yield running
    stop_server(running)


def _wait_for_port(process: subprocess.Popen[bytes], port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"fake server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("fake server did not listen in time")


@pytest.fixture
def fake_server() -> Iterator[Callable[..., str]]:
    """``fake_server(mode, delay=0.0) -> url`` of a running fake; stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(mode: str, delay: float = 0.0) -> str:
        port = free_port()
        command = [sys.executable, str(FAKE_SERVER), "--port", str(port), "--mode", mode]
        process = subprocess.Popen(
            [*command, "--cases", str(CASES), "--delay", str(delay)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        _wait_for_port(process, port)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/delivery/test_smoke" in str(item.path):
            item.add_marker(pytest.mark.xdist_group("delivery-smoke"))
