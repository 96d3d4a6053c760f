"""cdk-nag (AwsSolutions), cfn-lint and checkov over the synthesized app."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from stacks.compliance import CHECKOV_SKIPS, NAG_ACKNOWLEDGMENTS

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
