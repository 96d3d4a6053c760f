"""``ab-report`` and ``batch-score`` against moto.

moto's CloudWatch does not compute percentiles (ModelLatency p50/p90/p99), so GetMetricData is the one
call answered by a botocore Stubber here; captured requests, labels and the registry are in moto.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ops_cli.ab_stats import compare
from ops_cli.cli import main


@pytest.fixture
def cli(fleet, kit, tmp_path, capsys):
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    stubber = Stubber(cloudwatch)
    stubber.activate()

    def factory(service: str, **kwargs):
        if service == "cloudwatch":
            return cloudwatch
        return fleet.sagemaker if service == "sagemaker" else boto3.client(service, region_name="us-east-1")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--env", "dev"], client=factory)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    run.stubber = stubber  # type: ignore[attr-defined]
    return run


def test_ab_report_joins_captured_requests_with_labels_and_converts_latency_to_ms(fleet, kit, cli, tmp_path):
    labels = {**kit.capture(fleet, "champion", 40, 30), **kit.capture(fleet, "challenger", 40, 36)}
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(json.dumps({"inference_id": k, "label": v}) for k, v in labels.items()))
    cli.stubber.add_response(
        "get_metric_data",
        kit.metric_response(),
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY},
    )
    code, out, err = cli("ab-report", "--labels", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    champion, challenger = report["variants"]["champion"], report["variants"]["challenger"]
    assert (champion["labelled"], champion["correct"]) == (40, 30)
    assert (challenger["labelled"], challenger["correct"]) == (40, 36)
    assert (champion["latency_p50_ms"], champion["latency_p90_ms"], champion["latency_p99_ms"]) == (
        12.0,
        25.0,
        61.0,
    )
    assert challenger["latency_p99_ms"] == 48.0
    assert champion["invocations"] == 900 and champion["error_rate"] == pytest.approx(9 / 900)
    expected = compare(30, 40, 36, 40).as_dict()
    assert report["comparison"] == pytest.approx(expected)
    assert report["comparison"]["recommendation"].startswith("not enough data yet")


def test_ab_report_reads_labels_from_the_ground_truth_prefix(fleet, kit, cli):
    labels = {**kit.capture(fleet, "champion", 10, 5), **kit.capture(fleet, "challenger", 10, 10)}
    body = "\n".join(
        json.dumps({"inference_id": k, "label": ["negative", "positive"][v]}) for k, v in labels.items()
    )
    fleet.s3.put_object(Bucket="data-dev", Key="ground-truth/2025-06-02.jsonl", Body=body.encode())
    cli.stubber.add_response(
        "get_metric_data", kit.metric_response(), {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY}
    )
    code, out, _ = cli("ab-report")
    assert code == 0
    assert "champion" in out and "accuracy: champion 50.00%, challenger 100.00%" in out
    assert "Fisher's exact test" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "line 1 is not JSON"),
        ('{"inference_id": "a", "label": "maybe"}', "needs inference_id and a label"),
    ],
)
def test_ab_report_refuses_unreadable_labels(fleet, cli, tmp_path, content, message):
    path = tmp_path / "labels.jsonl"
    path.write_text(content)
    code, _, err = cli("ab-report", "--labels", str(path))
    assert code == 1 and message in err


def test_ab_report_refuses_a_bad_window(cli, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text("")
    code, _, err = cli("ab-report", "--labels", str(path), "--hours", "0")
    assert code == 1 and "--hours must be between 1" in err


def test_batch_score_runs_a_transform_job_with_an_approved_model(fleet, kit, cli):
    fleet.s3.put_object(
        Bucket="data-dev", Key="batch-input/2025-06/reviews.jsonl", Body=b'{"text": "great"}\n'
    )
    code, out, err = cli("batch-score", "--model", "2", "--input", "s3://data-dev/batch-input/2025-06/")
    assert code == 0, err
    started = json.loads(out)
    job = fleet.sagemaker.describe_transform_job(TransformJobName=started["transform_job"])
    assert (
        job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == "s3://data-dev/batch-input/2025-06/"
    )
    assert job["TransformInput"]["ContentType"] == "application/jsonlines"
    assert (
        job["TransformOutput"]["S3OutputPath"]
        == f"s3://models-dev/batch-transform/{started['transform_job']}/"
    )
    assert job["TransformOutput"]["KmsKeyId"] == kit.SPEC.kms_key_arn
    assert job["TransformResources"]["VolumeKmsKeyId"] == kit.SPEC.kms_key_arn
    model = fleet.sagemaker.describe_model(ModelName=job["ModelName"])
    assert model["Containers"][0]["ModelPackageName"] == fleet.packages[2]
    tags = fleet.sagemaker.list_tags(ResourceArn=job["TransformJobArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == kit.SPEC.tags


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "3"], "is Rejected; only approved models score batches"),
        (["--model", "9"], "has no version 9"),
        (["--model", "two"], "expected a model package ARN or a version number"),
        (
            ["--model", "2", "--input", "s3://data-dev/raw/"],
            "--input must be under s3://data-dev/batch-input/",
        ),
        (["--model", "2", "--input", "s3://data-dev/batch-input/empty/"], "nothing to score"),
        (["--model", "2", "--instance-count", "0"], "--instance-count must be >= 1"),
        (
            ["--model", "arn:aws:sagemaker:us-east-1:123456789012:model-package/other-group/1"],
            "is not in this environment's model package group",
        ),
    ],
)
def test_batch_score_bad_input_is_one_line_and_starts_nothing(fleet, cli, argv, message):
    fleet.s3.put_object(
        Bucket="data-dev", Key="batch-input/2025-06/reviews.jsonl", Body=b'{"text": "great"}\n'
    )
    models = fleet.model_count()
    code, out, err = cli("batch-score", *argv)
    assert code == 1 and out == "" and message in err and err.count("\n") == 1
    assert fleet.sagemaker.list_transform_jobs()["TransformJobSummaries"] == []
    assert fleet.model_count() == models


def test_captured_answers_are_read_like_the_drift_check_reads_them_and_other_lines_are_skipped():
    from ops_cli.ab_report import predicted_label

    def line(output: dict) -> str:
        request = {"observedContentType": "text/csv", "data": "a text", "encoding": "CSV", "mode": "INPUT"}
        return json.dumps(
            {
                "captureData": {"endpointInput": request, "endpointOutput": {"mode": "OUTPUT", **output}},
                "eventMetadata": {"eventId": "e", "inferenceId": "id-1"},
            }
        )

    csv_answer = {"observedContentType": "text/csv", "data": "negative,0.8,v1", "encoding": "CSV"}
    assert predicted_label(line(csv_answer)) == ("id-1", 0)  # was dropped: only JSON answers were read
    for not_a_record in ("[1, 2]", "7", "{not json", "[" * 100_000, json.dumps({"eventMetadata": None})):
        assert predicted_label(not_a_record) is None
