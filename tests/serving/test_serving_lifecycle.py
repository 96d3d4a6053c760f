"""Process lifecycle: the image's entry points, SIGTERM draining, and refusing to start without a model."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts real server processes

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "model_code" / "bin"


def entry_point_env(serving_env, opt_ml_root: Path, **extra: str) -> dict[str, str]:
    """The image puts ``python`` (with our dependencies) first on PATH; here that is this venv's."""
    env = serving_env(OPT_ML_ROOT=str(opt_ml_root), **extra)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


def serve_command(model_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "model_code.serve", "--model-path", str(model_dir), *extra]


def send_half_a_request(port: int, body: bytes) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}"
    connection.sendall(head.encode() + b"\r\n\r\n" + body[:10])
    return connection


def finish_request(connection: socket.socket, body: bytes) -> tuple[int, dict[str, object]]:
    connection.sendall(body[10:])
    reader = connection.makefile("rb")
    status = int(reader.readline().split()[1])
    length = 0
    while (line := reader.readline().strip()) != b"":
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return status, json.loads(reader.read(length))


def assert_sigterm_drains_the_request_in_flight(server) -> None:
    body = json.dumps({"text": "Sturdy, quiet and easy to clean. Love it."}).encode()
    connection = send_half_a_request(server.port, body)
    try:
        time.sleep(0.5)  # the worker has parsed the headers and is waiting for the rest of the body
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.5)  # long enough for the supervisor to pass SIGTERM on and the worker to start draining
        assert server.process.poll() is None, "exited with a request still in flight"
        status, answer = finish_request(connection, body)
    finally:
        connection.close()
    assert status == 200
    assert answer["label"] in {"positive", "negative"}
    assert server.process.wait(timeout=20) == 0


def child_pids(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(child) for child in (task / "children").read_text().split())
    return children


def assert_a_killed_worker_is_replaced(server) -> None:
    workers = child_pids(server.process.pid)
    assert len(workers) == 2
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        current = child_pids(server.process.pid)
        if victim not in current and len(current) == 2:
            break
        time.sleep(0.1)
    assert victim not in current and len(current) == 2, current
    for _ in range(6):  # both sockets' workers answer again
        assert server.request("GET", "/ping").status == 200
        assert server.invoke('"still serving"').status == 200


def test_bin_serve_reads_opt_ml_root_replaces_dead_workers_and_drains_on_sigterm(
    serving_model_dir: Path, tmp_path: Path, launch_server, serving_env, port_finder
) -> None:
    shutil.copytree(serving_model_dir, tmp_path / "model")
    port = port_finder()
    env = entry_point_env(
        serving_env, tmp_path, SAGEMAKER_BIND_TO_PORT=str(port), SAGEMAKER_MODEL_SERVER_WORKERS="2"
    )
    server = launch_server([str(BIN / "serve"), "--host", "127.0.0.1"], port, env)
    try:
        assert server.request("GET", "/ping").status == 200
        assert server.invoke('"works in the container layout"').status == 200
        assert_a_killed_worker_is_replaced(server)
        assert_sigterm_drains_the_request_in_flight(server)
    finally:
        if server.process.poll() is None:
            server.process.kill()


def test_single_worker_server_drains_on_sigterm(
    serving_model_dir: Path, launch_server, serving_env, port_finder
):
    port = port_finder()
    command = serve_command(serving_model_dir, "--port", str(port))
    server = launch_server([*command, "--workers", "1"], port, serving_env())
    try:
        assert_sigterm_drains_the_request_in_flight(server)
    finally:
        if server.process.poll() is None:
            server.process.kill()


def test_workers_exit_when_their_supervisor_is_killed(
    serving_model_dir: Path, launch_server, serving_env, port_finder
) -> None:
    port = port_finder()
    command = serve_command(serving_model_dir, "--port", str(port))
    server = launch_server([*command, "--workers", "2"], port, serving_env())
    workers = child_pids(server.process.pid)
    assert len(workers) == 2
    server.process.kill()  # SIGKILL: the supervisor cannot pass anything on
    server.process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    # Reaped by init once they exit; a zombie entry is gone within the same loop.
    alive = [pid for pid in workers if Path(f"/proc/{pid}/status").exists() and "Z" not in _state(pid)]
    assert not alive, f"workers {alive} kept running after their supervisor died"
    with pytest.raises(OSError):  # and nobody answers on the port any more
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _state(pid: int) -> str:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "gone"
    return next((line.split()[1] for line in lines if line.startswith("State:")), "gone")


@pytest.mark.parametrize(
    ("extra_args", "message"),
    [
        (["--model-path", "/nonexistent/model"], "model directory not found"),
        (["--workers", "0"], "below the minimum"),
    ],
)
def test_serve_refuses_to_start_with_a_one_line_error(
    serving_model_dir: Path, serving_env, port_finder, extra_args: list[str], message: str
) -> None:
    port = port_finder()
    command = serve_command(serving_model_dir, "--port", str(port))
    result = subprocess.run(
        [*command, *extra_args],
        cwd=REPO,
        env=serving_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass  # the port was never opened


def test_bad_environment_setting_is_a_one_line_error(serving_model_dir: Path, serving_env) -> None:
    env = serving_env(SAGEMAKER_MAX_PAYLOAD_IN_MB="six")
    command = serve_command(serving_model_dir)
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert result.stderr.strip() == "serve: error: SAGEMAKER_MAX_PAYLOAD_IN_MB='six' is not a number"


def test_bin_train_runs_the_training_cli_in_container_mode(tmp_path: Path, serving_env) -> None:
    """With no channels under OPT_ML_ROOT, ``train`` must fail cleanly and record why for SageMaker."""
    result = subprocess.run(
        [str(BIN / "train")],
        cwd=tmp_path,
        env=entry_point_env(serving_env, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "train" in (tmp_path / "output" / "failure").read_text()
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_a_one_line_error_not_a_shared_port(serving_model_dir: Path, serving_env) -> None:
    """SO_REUSEPORT must not let a second server quietly share a port that is already taken."""
    with socket.socket() as taken:
        # Held the way another instance of this server holds it, so only the plain-bind probe catches it.
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = serve_command(serving_model_dir)
        result = subprocess.run(
            [*command, "--port", str(port)],
            cwd=REPO,
            env=serving_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert "Address already in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
