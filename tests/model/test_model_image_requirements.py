"""The model image installs exactly what the tests ran with, verified by hash, and nothing for AWS.

model_code/requirements.lock is written by ``make image-lock`` (pip-compile against constraints.txt);
the Dockerfile installs it with ``--require-hashes``.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL_CODE = ROOT / "model_code"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonical(match[1])] = match[2]
    return found


def lock_entries() -> dict[str, list[str]]:
    """``name -> [sha256 hashes]`` of requirements.lock (pip-compile's continuation-line format)."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in (MODEL_CODE / "requirements.lock").read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonical(match[1])
            entries[current] = []
        elif current and line.strip().startswith("--hash=sha256:"):
            entries[current].append(line.strip().split(":", 1)[1].rstrip(" \\"))
    return entries


def test_every_locked_version_is_the_tested_one():
    locked, tested = pins(MODEL_CODE / "requirements.lock"), pins(ROOT / "constraints.txt")
    assert locked, "requirements.lock holds no pins"
    assert {name: version for name, version in locked.items() if tested.get(name) != version} == {}


def test_every_requirement_of_the_image_is_locked_with_hashes():
    required = {
        canonical(re.split(r"[<>=!~\[;\s]", line, maxsplit=1)[0])
        for line in (MODEL_CODE / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    entries = lock_entries()
    assert required <= set(entries)
    assert {
        name for name, hashes in entries.items() if not hashes or any(len(h) != 64 for h in hashes)
    } == set()


def test_the_dockerfile_installs_the_lock_by_hash():
    dockerfile = (MODEL_CODE / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile


def test_nothing_in_model_code_imports_aws_clients():
    """The image trains with network isolation; AWS client code belongs in ops_cli/ and lambda_functions/."""
    importers = []
    for path in MODEL_CODE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(name.split(".")[0] in {"boto3", "botocore", "aws_lambda_powertools"} for name in names):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == []
    assert "boto3" not in pins(MODEL_CODE / "requirements.lock")


def test_model_code_imports_only_the_stdlib_its_lock_and_itself():
    import_names = {"scikit-learn": "sklearn"}
    allowed = {import_names.get(name, name.replace("-", "_")) for name in lock_entries()}
    allowed |= set(sys.stdlib_module_names) | {"model_code"}
    foreign = set()
    for path in MODEL_CODE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                foreign |= {alias.name.split(".")[0] for alias in node.names} - allowed
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                foreign |= {node.module.split(".")[0]} - allowed
    assert foreign == set()
