"""Each function's staged asset imports with only what Lambda gives it: the standard library, the
runtime's boto3/botocore and the Powertools layer. numpy, scikit-learn, the CLI and the other
functions are absent, so a handler that needs them fails here instead of at its first event.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

# What the python3.12 runtime ships (boto3 and its dependencies) plus the Powertools layer.
LAMBDA_PROVIDED = ("boto3", "aws-lambda-powertools")
CHECK = """
import importlib, importlib.util, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
module, attribute = sys.argv[3].rsplit(".", 1)
assert callable(getattr(importlib.import_module(module), attribute))
for absent in ("numpy", "sklearn", "moto", "aws_cdk", "ops_cli", "stacks", "config"):
    assert importlib.util.find_spec(absent) is None, absent + " is importable: the isolation leaks"
"""


def distribution_closure(names: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


@pytest.fixture(scope="module")
def lambda_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only the Lambda-provided distributions (symlinks into our venv)."""
    site = tmp_path_factory.mktemp("lambda-site")
    for name in distribution_closure(LAMBDA_PROVIDED):
        distribution = metadata.distribution(name)
        for file in distribution.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", ".pth")) or top in ("..", "__pycache__") or (site / top).exists():
                continue
            source = Path(str(distribution.locate_file(top)))
            if source.exists():
                (site / top).symlink_to(source)
    return site


def staged_functions(synth) -> dict[str, Path]:
    """handler -> its staged asset directory in cdk.out."""
    template = synth.template("dev", "Training")
    template_file = synth.template_files["dev/Training"]
    # The staged directory as the stack's asset manifest records it: its name is not always
    # asset.<hash> (CDK appends the source's "extension": a checkout in /tmp/tmp.Ab3 gives .Ab3).
    manifest = json.loads(
        template_file.with_name(template_file.name.replace(".template.json", ".assets.json")).read_text()
    )
    found = {}
    for resource in template["Resources"].values():
        properties = resource["Properties"]
        if resource["Type"] == "AWS::Lambda::Function" and properties["Handler"].startswith("lambda_"):
            source = manifest["files"][properties["Code"]["S3Key"].removesuffix(".zip")]["source"]
            found[properties["Handler"]] = template_file.parent / source["path"]
    return found


def test_each_function_has_its_own_asset(synth):
    assets = staged_functions(synth)
    assert len(assets) == 3 and len(set(assets.values())) == 3
    for handler, asset in assets.items():
        package = handler.split(".")[1]
        files = {str(path.relative_to(asset)) for path in asset.rglob("*.py")}
        functions = {path.split("/")[1] for path in files if path.startswith("lambda_functions/")}
        assert functions == {"__init__.py", "common", package}, handler
        assert not any(
            f.startswith(("ops_cli/", "stacks/", "tests/", "constructs_lib/", "config/")) for f in files
        )
        model_files = {f for f in files if f.startswith("model_code/")}
        assert model_files <= {"model_code/__init__.py", "model_code/data.py"}, handler


def test_every_handler_imports_from_its_asset_with_only_the_lambda_runtime(synth, lambda_site):
    for handler, asset in staged_functions(synth).items():
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", CHECK, str(asset), str(lambda_site), handler],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=lambda_site,
        )
        assert result.returncode == 0, f"{handler}:\n{result.stderr}"


def test_the_isolated_import_fails_for_a_handler_that_needs_numpy(lambda_site, tmp_path):
    """The check can fail: a module importing numpy does not import there."""
    (tmp_path / "needs_numpy.py").write_text("import numpy\n\ndef handler(event, context):\n    return 1\n")
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CHECK, str(tmp_path), str(lambda_site), "needs_numpy.handler"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0 and "No module named 'numpy'" in result.stderr
