"""Fixtures for the delivery tests: the smoke test against a real ``serve`` and a misbehaving fake.

The model and the real server come from the serving tests' helpers (one model trained by the real
``train`` CLI on the repository's sample data); the fake server is ``fake_model_server.py`` run as
its own process. Every smoke-test test shares one xdist group so the model is trained once.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


# tryfirst: pytest-xdist's worker turns the group marker into a node id suffix in its own
# pytest_collection_modifyitems, which would otherwise run before this one and see no marker.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, one worker per session fixture: train the model once, synthesize once."""
    for item in items:
        if "tests/delivery/test_smoke" in str(item.path):
            item.add_marker(pytest.mark.xdist_group("delivery-smoke"))
        elif "tests/delivery/test_delivery_stacks" in str(item.path):
            item.add_marker(pytest.mark.xdist_group("delivery-infra"))


# ---- The delivery stacks, synthesized once per session ------------------------------------------------
PIPELINE_ACCOUNT = "111111111111"
PROD_ACCOUNT = "333333333333"
REGION = "eu-west-1"
CONNECTION_ARN = (
    f"arn:aws:codeconnections:{REGION}:{PIPELINE_ACCOUNT}:connection/12345678-1234-1234-1234-123456789012"
)
# staging shares the pipeline's account, prod lives in another one: both smoke-test paths are built.
DELIVERY_CONTEXT = {
    "delivery.repository_owner": "example-org",
    "delivery.connection_arn": CONNECTION_ARN,
    "delivery.pipeline_account": PIPELINE_ACCOUNT,
    "delivery.trigger_on_model_approval": "true",
    "prod.account": PROD_ACCOUNT,
}


@dataclass(frozen=True)
class DeliverySynth:
    outdir: Path
    templates: dict[str, dict]  # stack id -> template ("Pipeline", "GithubOidc-111111111111", ...)
    template_files: dict[str, Path]
    validation_error: str | None


@pytest.fixture(scope="session")
def delivery_synth(tmp_path_factory: pytest.TempPathFactory) -> DeliverySynth:
    """The delivery stacks the way app.py builds them (context overrides, cdk-nag attached)."""
    from aws_cdk import App

    from config.delivery import delivered_environments, load_delivery
    from config.environments import ENVIRONMENTS
    from stacks.application import build_app
    from stacks.delivery import build_delivery, delivery_stacks

    context = json.loads((REPO / "cdk.json").read_text())["context"]
    outdir = tmp_path_factory.mktemp("delivery.cdk.out")
    app = App(outdir=str(outdir), context={**context, **DELIVERY_CONTEXT})
    defaults = {"default_account": PIPELINE_ACCOUNT, "default_region": REGION}
    delivery = load_delivery(DELIVERY_CONTEXT, [env.name for env in ENVIRONMENTS], **defaults)
    build_app(app, [])  # no direct-deploy stages: only the checks build_app attaches to the app
    built = build_delivery(app, delivery, delivered_environments(DELIVERY_CONTEXT, delivery, **defaults))
    validation_error = None
    try:
        app.synth()
    except RuntimeError as error:  # jsii surfaces cdk-nag's ValidationFailed as RuntimeError
        validation_error = str(error)
    files = {stack.node.id: outdir / stack.template_file for stack in delivery_stacks(built)}
    templates = {name: json.loads(path.read_text()) for name, path in files.items()}
    return DeliverySynth(outdir, templates, files, validation_error)
