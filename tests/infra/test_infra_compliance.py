"""cdk-nag (AwsSolutions), cfn-lint and checkov over the synthesized app."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from stacks.compliance import CHECKOV_SKIPS, NAG_ACKNOWLEDGMENTS, WILDCARD_RESOURCE_ACTIONS

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# cfn-lint warnings we accept, each with its reason. Errors are never accepted.
CFN_LINT_ACCEPTED_WARNINGS: dict[str, str] = {
    "W3005": "aws-cdk-lib's own custom-resource providers (S3 auto-delete, bucket notifications) add a "
    "DependsOn that repeats a GetAtt dependency; redundant ordering in generated code we do not own.",
}


def test_cdk_nag_finds_nothing_unacknowledged(synth):
    report = synth.outdir / "validation-report.json"
    findings = []
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            for violation in plugin["violations"]:
                paths = [c["constructPath"] for c in violation["violatingConstructs"]]
                findings.append(f"{violation['ruleName']} at {paths}")
    assert synth.validation_error is None, "\n".join(findings) or synth.validation_error
    assert findings == []


def nag_report(synth) -> list[dict]:
    return json.loads((synth.outdir / "validation-report.json").read_text())["pluginReports"]


def test_both_rule_packs_ran(synth):
    # CDK's own synth-time CloudFormation validation reports beside the two cdk-nag packs.
    assert {"AwsSolutions", "Serverless"} <= {plugin["pluginName"] for plugin in nag_report(synth)}


def test_every_acknowledgment_matches_a_finding(synth):
    """An acknowledgment whose finding is gone (fixed, renamed, moved) would silently accept a future one."""
    suppressed = {
        (violation["acknowledgedAt"], violation["acknowledgedId"])
        for plugin in nag_report(synth)
        for violation in plugin["suppressedViolations"]
    }
    assert synth.acknowledgments
    unmatched = [
        f"{applied.rule} at {applied.construct_path}"
        for applied in synth.acknowledgments
        if (applied.construct_path, applied.rule) not in suppressed
    ]
    assert unmatched == [], "acknowledgments without a finding:\n" + "\n".join(unmatched)
    unused = [e.rule for e in NAG_ACKNOWLEDGMENTS if not any(a.exemption == e for a in synth.acknowledgments)]
    assert unused == [], "acknowledgments that name no construct:\n" + "\n".join(unused)


def test_no_acknowledgment_accepts_a_wildcard_resource_on_any_policy():
    assert not [e for e in NAG_ACKNOWLEDGMENTS if "Resource::*]" in e.rule and "*" in e.path]


@pytest.mark.parametrize(
    ("stage", "stack"),
    [("dev", "Training"), ("prod", "Training"), ("staging", "Serving"), ("prod", "Serving")],
)
def test_roles_use_resource_star_only_for_the_acknowledged_actions(synth, stage, stack):
    """Each role's IAM5[Resource::*] acknowledgment lists its actions; a new wildcard action fails here."""
    found: dict[str, set[str]] = {}
    template = synth.template(stage, stack)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "*" in resources:
                found.setdefault(logical_id, set()).update(actions)
    expected = {}
    for path, actions in WILDCARD_RESOURCE_ACTIONS.items():
        if not path.startswith(f"{stack}/"):
            continue
        (logical_id,) = [lid for lid in template["Resources"] if lid.startswith(logical_id_stem(path))]
        expected[logical_id] = set(actions)
    assert found == expected


def logical_id_stem(path: str) -> str:
    """CDK's logical id without its hash: path components after the stack, minus ``Resource`` and
    components the previous one already ends with (``TrainingRole/Role`` -> ``TrainingRole``)."""
    stem = ""
    for part in path.split("/")[1:]:
        if part != "Resource" and not stem.endswith(part):
            stem += part
    return stem


def test_every_exemption_has_a_real_reason():
    for exemption in (*NAG_ACKNOWLEDGMENTS, *CHECKOV_SKIPS):
        assert len(exemption.reason.split()) >= 8, f"{exemption.rule} needs a reason that explains itself"


def test_cfn_lint_reports_no_errors_and_only_explained_warnings(synth):
    files = [str(path) for path in synth.template_files.values()]
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "cfn-lint"), "--format", "json", "--", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    # cfn-lint exits with a bit mask of levels found (2 error, 4 warning, 8 info); anything else
    # (1, 32, ...) means it did not lint at all, which must not pass as "no findings".
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr
    findings = json.loads(result.stdout)
    unexplained = [
        f"{f['Rule']['Id']} {f['Level']} {Path(f['Filename']).name}: {f['Message']}"
        for f in findings
        if f["Level"] == "Error" or f["Rule"]["Id"] not in CFN_LINT_ACCEPTED_WARNINGS
    ]
    assert unexplained == [], "\n".join(unexplained)


def test_checkov_passes_with_every_skip_justified(synth):
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: `make test` creates .venv-checkov (its pins clash with ours)")
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(synth.outdir),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} ({Path(check['file_path']).name}): {check['check_name']}"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert failed == [], "\n".join(failed)
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    assert passed > 20, "checkov scanned nothing: is it pointed at the synthesized templates?"
    skipped = [check for report in reports for check in report.get("results", {}).get("skipped_checks", [])]
    for check in skipped:
        assert check["check_result"].get("suppress_comment"), f"{check['check_id']} skipped without a reason"
