"""The synthesized dev environment, stood up in a moto server, runs the platform's loop end to end.

Each part is tested alone elsewhere; this test shows they agree when chained: the events a producer
emits reach the right function only through the templates' rule patterns, each handler runs with
exactly the environment its template gives it, and the files one step writes are what the next reads.
It reuses the session's synthesized app (no second synth).
"""

from __future__ import annotations

import io
import json

import pytest

from local_loop.run import LoopState, run_steps
from local_loop.standin import moto_server
from mlops_contracts import parameters, serving
from mlops_contracts.tags import HP_DATA_VERSION


@pytest.fixture(scope="module")
def loop(synth, tmp_path_factory):
    with moto_server() as url:
        state = LoopState(
            environment_name="dev",
            cdk_out=synth.outdir,
            workdir=tmp_path_factory.mktemp("local-loop"),
            endpoint_url=url,
        )
        out = io.StringIO()
        run_steps(state, out)
        sagemaker = state.env.client("sagemaker")
        package = sagemaker.describe_model_package(
            ModelPackageName=state.registrations[-1]["model_package_arn"]
        )
        champion_name = parameters.parameter_name(
            "dev", parameters.serving_variant_key(serving.CHAMPION, parameters.SERVING_MODEL_PACKAGE)
        )
        champion = state.env.client("ssm").get_parameter(Name=champion_name)["Parameter"]["Value"]
        yield state, out.getvalue(), package, champion


@pytest.mark.integration
def test_every_step_reports_one_line_and_the_loop_finishes(loop):
    _, output, _, _ = loop
    lines = output.splitlines()
    assert [line.split()[1] for line in lines[:-1]] == [
        "deploy", "upload", "retrain", "train", "register", "approve", "rollout",
    ]  # fmt: skip
    assert lines[-1].startswith("loop finished")


@pytest.mark.integration
def test_the_upload_becomes_a_data_version_the_training_job_reads(loop):
    state, _, _, _ = loop
    counts = state.data_version["counts"]
    assert counts["input_rows"] == counts["accepted"] == 400 and counts["rejected"] == 0
    describe = state.training_jobs[-1]["describe"]
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in describe["InputDataConfig"]
    }
    assert channels["train"].endswith(f"{state.data_version['prefix']}train.csv")
    assert describe["TrainingJobStatus"] == "Completed"


@pytest.mark.integration
def test_the_registered_package_carries_metrics_and_lineage_and_becomes_the_champion(loop):
    state, _, package, champion = loop
    metadata = package["CustomerMetadataProperties"]
    job = state.training_jobs[-1]
    assert metadata["training_job"] == job["job_name"]
    assert metadata["data_version"] == job["describe"]["HyperParameters"][HP_DATA_VERSION] != "unknown"
    assert 0.5 < float(metadata["metric:accuracy"]) <= 1.0
    assert package["ModelApprovalStatus"] == "Approved"
    assert champion == package["ModelPackageArn"]
    assert json.loads(json.dumps(state.approved_package))["approval"] == "Approved"
