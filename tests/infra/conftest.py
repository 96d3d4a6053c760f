"""Synthesize the whole app once per test session; every infrastructure test reads from that.

jsii start-up and synthesis cost seconds, so no test synthesizes on its own. The app is built the way
``app.py`` builds it (same config loader, same cdk.json feature flags, cdk-nag attached), with a fixed
account and region so templates are deterministic.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_ACCOUNT = "111111111111"
TEST_REGION = "eu-west-1"
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class SynthResult:
    outdir: Path
    # "dev/Storage" -> parsed CloudFormation template
    templates: dict[str, dict]
    template_files: dict[str, Path]
    # None when synth (including the cdk-nag validation) passed; the error text otherwise.
    validation_error: str | None
    # Every cdk-nag acknowledgment attached, over all stages (stacks.compliance.Applied).
    acknowledgments: tuple = ()

    def template(self, stage: str, stack: str) -> dict:
        return self.templates[f"{stage}/{stack}"]


@pytest.fixture(scope="session")
def cdk_context() -> dict:
    """The feature flags from cdk.json: the CLI passes them to app.py, so tests must too."""
    return json.loads((ROOT / "cdk.json").read_text())["context"]


@pytest.fixture(scope="session")
def synth(cdk_context: dict, tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return _synthesize(cdk_context, tmp_path_factory)


@pytest.fixture(scope="session")
def synth_with_models(cdk_context: dict, tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """The app as ``make synth-with-models`` builds it: every environment as if packages were approved."""
    from stacks.serving_stack import EXAMPLE_MODELS_CONTEXT

    return _synthesize({**cdk_context, EXAMPLE_MODELS_CONTEXT: "true"}, tmp_path_factory)


def _synthesize(context: dict, tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    from aws_cdk import App

    from config import load_environments
    from stacks.application import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(outdir), context=context)
    environments = load_environments({}, default_account=TEST_ACCOUNT, default_region=TEST_REGION)
    stages = build_app(app, environments)
    validation_error = None
    try:
        app.synth()
    except RuntimeError as error:  # jsii surfaces ValidationFailed as RuntimeError
        validation_error = str(error)
    template_files = {
        f"{stage.stage_name}/{stack.node.id}": Path(stage.outdir) / stack.template_file
        for stage in stages
        for stack in stage.stacks
    }
    templates = {name: json.loads(path.read_text()) for name, path in template_files.items()}
    acknowledgments = tuple(applied for stage in stages for applied in stage.acknowledgments)
    return SynthResult(outdir, templates, template_files, validation_error, acknowledgments)


@pytest.fixture(scope="session")
def resources_of_type():
    """``resources_of_type(template, "AWS::S3::Bucket") -> {logical id: resource}``."""

    def find(template: dict, resource_type: str) -> dict[str, dict]:
        return {
            logical_id: resource
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == resource_type
        }

    return find


# tryfirst: pytest-xdist's worker turns the group marker into a node id suffix in its own
# pytest_collection_modifyitems, which would otherwise run before this one and see no marker.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist keep every infrastructure test on one worker, so the app is synthesized once."""
    for item in items:
        if "tests/infra/" in str(item.path):
            item.add_marker(pytest.mark.xdist_group("infra"))
