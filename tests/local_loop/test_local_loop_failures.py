"""``python -m local_loop`` stops at the first failing step, names it, exits 1 and leaves nothing running."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import local_loop.run
from local_loop.__main__ import main
from local_loop.loop_state import LoopState
from local_loop.serving import Endpoint, Variant


def test_a_missing_cloud_assembly_is_one_line_and_exit_1(tmp_path: Path, capsys) -> None:
    assert main(["--cdk-out", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run `make synth` first" in err


STACK = {"type": "aws:cloudformation:stack"}


@pytest.mark.parametrize(
    "manifest",
    [
        "{bad json",
        json.dumps({"artifacts": {"s": STACK}}),  # no templateFile
        json.dumps({"artifacts": {"s": {**STACK, "properties": {"templateFile": "missing.json"}}}}),
    ],
    ids=["not-json", "no-template-file", "template-missing"],
)
def test_an_unreadable_cloud_assembly_is_one_line_and_exit_1(tmp_path: Path, capsys, manifest: str) -> None:
    (tmp_path / "assembly-dev").mkdir()
    (tmp_path / "assembly-dev" / "manifest.json").write_text(manifest)
    assert main(["--env", "dev", "--cdk-out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unreadable cloud assembly" in err and "make synth" in err


def test_a_failing_step_stops_the_run_names_the_step_and_stops_the_servers(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[subprocess.Popen[bytes]] = []
    reached: list[str] = []

    def serve(state: LoopState) -> str:
        variant = Variant(name="champion", weight=1.0, model_dir=tmp_path)
        variant.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        started.append(variant.process)
        state.endpoint = Endpoint(name="endpoint", variants=[variant])
        return "one variant"

    def broken(state: LoopState) -> str:
        raise KeyError("DATA_BUCKET")

    def never(state: LoopState) -> str:
        reached.append("never")
        return ""

    monkeypatch.setattr(local_loop.run, "STEPS", [("serve", serve), ("traffic", broken), ("report", never)])
    assert main(["--env", "dev", "--cdk-out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "[ 1/3] serve" in out and "traffic" not in out
    assert err.strip() == "local loop: error: step 'traffic' failed: KeyError: 'DATA_BUCKET'"
    assert not reached
    assert started[0].wait(timeout=20) is not None  # the variant's server was stopped
