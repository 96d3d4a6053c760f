"""A synthesized environment, stood up in a moto server, runs the platform's loop end to end: upload,
preprocessing, training, registration, approval, the A/B endpoint with data capture, drift and the
retraining it triggers (the first environment whose endpoint captures traffic: staging as shipped).

Each part is tested alone elsewhere; this test shows they agree when chained: the events a producer
emits reach the right function only through the templates' rule patterns, each handler runs with
exactly the environment its template gives it, and the files one step writes are what the next reads.
It reuses the session's synthesized app (no second synth).
"""

from __future__ import annotations

import io

import pytest

from local_loop.__main__ import default_environment
from local_loop.run import LoopState, run_steps
from local_loop.standin import moto_server
from mlops_contracts import events, layout, naming, serving
from mlops_contracts.tags import HP_DATA_VERSION, TAG_TRIGGER_REASON
from pipeline_core.serving_state import read_state


# Session scope: xdist may interleave this module's tests with other infra modules on the worker,
# and a module-scoped fixture would then run the whole loop again.
@pytest.fixture(scope="session")
def loop(synth, tmp_path_factory):
    environment = default_environment(synth.outdir)
    with moto_server() as url:
        state = LoopState(
            environment_name=environment,
            cdk_out=synth.outdir,
            workdir=tmp_path_factory.mktemp("local-loop"),
            endpoint_url=url,
        )
        out = io.StringIO()
        try:
            run_steps(state, out)
            left_running = state.endpoint  # the report step stops the servers itself
        finally:
            state.close()
        sagemaker = state.env.client("sagemaker")
        package = sagemaker.describe_model_package(
            ModelPackageName=state.registrations[-1]["model_package_arn"]
        )
        champion = read_state(state.env.client("ssm"), environment).champion
        jobs = sagemaker.list_training_jobs(NameContains=naming.job_name_prefix(environment))[
            "TrainingJobSummaries"
        ]
        reasons = {
            job["TrainingJobName"]: {
                tag["Key"]: tag["Value"]
                for tag in sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
            }.get(TAG_TRIGGER_REASON, "")
            for job in jobs
        }
        yield state, out.getvalue(), package, champion, reasons, left_running


@pytest.mark.integration
def test_every_step_reports_one_line_and_the_loop_finishes(loop):
    _, output, *_, left_running = loop
    lines = [line for line in output.splitlines() if line.startswith("[")]
    assert [line.split("]")[1].split()[0] for line in lines] == [
        "deploy", "upload", "retrain", "train", "register", "approve", "rollout",
        "endpoint", "serve", "traffic", "drift-check", "shift", "drift-check", "retrain", "report",
    ]  # fmt: skip
    assert output.splitlines()[-1].startswith("loop finished")
    assert left_running is None  # the variants' servers were stopped by the run itself


@pytest.mark.integration
def test_the_upload_becomes_a_data_version_the_training_job_reads(loop):
    state, *_ = loop
    counts = state.data_version["counts"]
    assert counts["input_rows"] == counts["accepted"] == 400 and counts["rejected"] == 0
    describe = state.training_jobs[0]["describe"]
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in describe["InputDataConfig"]
    }
    assert channels["train"].endswith(f"{state.data_version['prefix']}train.csv")
    assert describe["TrainingJobStatus"] == "Completed"


@pytest.mark.integration
def test_the_registered_package_carries_metrics_and_lineage_and_becomes_the_champion(loop):
    state, _, package, champion, *_ = loop
    metadata = package["CustomerMetadataProperties"]
    job = state.training_jobs[0]
    assert metadata["training_job"] == job["job_name"]
    assert metadata["data_version"] == job["describe"]["HyperParameters"][HP_DATA_VERSION] != "unknown"
    assert 0.5 < float(metadata["metric:accuracy"]) <= 1.0
    assert package["ModelApprovalStatus"] == "Approved"
    assert champion == package["ModelPackageArn"]
    assert state.approved_package["approval"] == "Approved"


@pytest.mark.integration
def test_capture_files_land_where_the_drift_check_reads_them_and_every_line_is_readable(loop):
    state, *_ = loop
    endpoint = naming.endpoint_name(state.environment_name)
    assert state.capture_keys
    for key in state.capture_keys:
        variant = key.removeprefix(f"{layout.CAPTURE_PREFIX}{endpoint}/").split("/")[0]
        assert variant in serving.VARIANTS, key
    for check in state.drift_checks:
        for variant, report in check["variants"].items():
            capture = report["capture"]
            assert capture["files_read"] == capture["files_written"] >= 1, variant
            assert capture["malformed"] == 0 and capture["lines"] == report["requests"], variant


@pytest.mark.integration
def test_in_domain_traffic_scores_below_the_threshold_and_other_domain_traffic_above_it(loop):
    state, *_ = loop
    before, after = (check["variants"][serving.CHAMPION] for check in state.drift_checks)
    assert before["score"] < before["threshold"] < after["score"], (before, after)
    assert before["requests"] >= 50 and after["requests"] >= 50
    assert not before["drifted"] and after["drifted"]
    # The challenger's tenth of the traffic is too little to judge, and says so.
    challenger = state.drift_checks[0]["variants"][serving.CHALLENGER]
    assert challenger["score"] is None and "too few" in challenger["reason"]


@pytest.mark.integration
def test_drift_starts_exactly_one_training_job_with_reason_drift(loop):
    state, _, _, _, reasons, _ = loop
    drift_jobs = [name for name, reason in reasons.items() if reason.startswith(f"{events.REASON_DRIFT}:")]
    assert len(drift_jobs) == 1 and len(reasons) == 2, reasons
    assert state.training_jobs[-1]["job_name"] == drift_jobs[0]
    emitted = [e for check in state.drift_checks for e in check["events"] if e["status"] == "emitted"]
    assert len(emitted) == 1 and emitted[0]["kind"] == events.REASON_DRIFT


@pytest.mark.integration
def test_the_ab_report_joins_the_labels_with_each_variants_answers_and_the_cost_is_printed(loop):
    state, output, *_ = loop
    rows = {line.split()[0]: line.split() for line in state.reports["ab-report"].splitlines()[2:4]}
    labelled = sum(int(rows[variant][-2]) for variant in serving.VARIANTS)
    assert labelled == 90  # every in-domain request carried an id and a label
    cost_lines = [line.split() for line in state.reports["cost"].splitlines() if line.strip()]
    assert [state.environment_name, "USD/month"] in cost_lines
    assert any(words[0] == "total" and float(words[-1]) > 0 for words in cost_lines)
    assert "A/B report for" in output and "Monthly estimate" in output
