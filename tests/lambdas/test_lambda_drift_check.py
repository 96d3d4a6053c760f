"""Drift check against moto: capture files in SageMaker's layout and encodings, a real model's baseline.

The model is trained once on the repository's sample reviews; captured answers are that model's
real predictions, so the scores below are the product's drift score on real features.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambda_functions.drift_check import handler as drift_handler
from lambda_functions.drift_check.check import SETTLE, Clients, run_check
from lambda_functions.drift_check.config import DriftCheckConfig
from lambda_functions.retrain.triggers import parse_trigger
from mlops_contracts import events as contract_events
from mlops_contracts import layout, metrics, naming, parameters
from mlops_contracts.serving import CHALLENGER, CHAMPION

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "model_code" / "sample_data"
ENDPOINT = naming.endpoint_name("dev")
STATE = parameters.parameter_name("dev", parameters.DRIFT_CHECK_STATE)
JOB_OUTPUT = "training-jobs/sentiment-dev--sched-0123456789abcdef/output/"

# Another domain: server operations and weather reports, nothing like product reviews.
OTHER_DOMAIN = [
    "Kernel panic on node {n} after the {w} upgrade; rebooted at {h}:00 UTC.",
    "Heavy rain expected in the {w} valley with winds of {n} km/h until {h} pm.",
    "The replication lag on shard {n} reached {h} seconds during the {w} migration.",
    "Barometric pressure fell to {n} hPa over the {w} coast by {h} o'clock.",
    "Terraform plan shows {n} resources to destroy in the {w} workspace.",
    "Snowfall totals of {n} centimetres recorded at {w} station overnight.",
]
WORDS = ["northern", "eastern", "blue", "canary", "staging", "alpine", "coastal", "delta"]


def read_texts(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "model_code.train",
            "--data-path",
            str(SAMPLE / "reviews.csv"),
            "--validation-path",
            str(SAMPLE / "reviews_validation.csv"),
            "--output-path",
            str(out),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> Any:
    from model_code.predictor import SentimentPredictor

    return SentimentPredictor.load(model_dir)


def in_domain(count: int, seed: int) -> list[str]:
    """Traffic drawn from the reference's own distribution: the held-out reviews the baseline describes."""
    texts = read_texts(SAMPLE / "reviews_validation.csv")
    return random.Random(seed).choices(texts, k=count)  # noqa: S311 - test data


def other_domain(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - test data
    return [
        rng.choice(OTHER_DOMAIN).format(n=rng.randint(2, 999), w=rng.choice(WORDS), h=rng.randint(1, 12))
        for _ in range(count)
    ]


def section(mode: str, content_type: str, body: str, encoding: str) -> dict[str, str]:
    data = base64.b64encode(body.encode("utf-8")).decode() if encoding == "BASE64" else body
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_lines(texts: list[str], predictor: Any, *, ids: list[str] | None = None) -> list[str]:
    """One capture record per request, cycling through the encodings SageMaker writes."""
    lines = []
    answers = predictor.predict(texts)
    for index, (text, predicted) in enumerate(zip(texts, answers, strict=True)):
        answer = {**predicted, "model_version": "v1"}
        style = index % 3
        if style == 0:  # JSON request and answer captured as text
            request = section("INPUT", "application/json", json.dumps({"text": text}), "JSON")
            response = section("OUTPUT", "application/json", json.dumps(answer), "JSON")
        elif style == 1:  # a content type SageMaker does not capture as text: base64
            request = section("INPUT", "application/jsonlines", json.dumps({"text": text}) + "\n", "BASE64")
            response = section("OUTPUT", "application/jsonlines", json.dumps(answer) + "\n", "BASE64")
        else:  # CSV in and out
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow([text])
            request = section("INPUT", "text/csv", buffer.getvalue(), "CSV")
            response = section("OUTPUT", "text/csv", f"{answer['label']},{answer['probability']},v1\n", "CSV")
        metadata = {"eventId": f"evt-{index}", "inferenceTime": "2026-11-29T10:00:00Z"}
        if ids is not None:
            metadata["inferenceId"] = ids[index]
        record = {
            "captureData": {"endpointInput": request, "endpointOutput": response},
            "eventMetadata": metadata,
            "eventVersion": "0",
        }
        lines.append(json.dumps(record))
    return lines


@dataclass
class Env:
    s3: Any
    sqs: Any
    ssm: Any
    alerts_queue: str
    events_queue: str
    topic_arn: str
    config: DriftCheckConfig

    def clients(self) -> Clients:
        return Clients(
            s3=self.s3,
            sagemaker=boto3.client("sagemaker"),
            ssm=self.ssm,
            events=boto3.client("events"),
            sns=boto3.client("sns"),
        )

    def drain(self, queue: str) -> list[dict[str, Any]]:
        messages = []
        while batch := self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return messages

    def put_capture(self, variant: str, lines: list[str], name: str, *, hour: datetime | None = None) -> str:
        when = hour or datetime.now(UTC)
        key = f"{layout.CAPTURE_PREFIX}{ENDPOINT}/{variant}/{when:%Y/%m/%d/%H}/{name}.jsonl"
        self.s3.put_object(Bucket=self.config.data_bucket, Key=key, Body="\n".join(lines) + "\n")
        return key

    def run(self, now: datetime | None = None) -> Any:
        return run_check(
            self.config, self.clients(), now=now or datetime.now(UTC) + SETTLE, seconds_left=lambda: 900.0
        )


def config_for(kit: Any, topic_arn: str, **overrides: Any) -> DriftCheckConfig:
    values: dict[str, Any] = {
        "environment_name": "dev",
        "endpoint_name": ENDPOINT,
        "variants": (CHAMPION, CHALLENGER),
        "data_bucket": kit.DATA_BUCKET,
        "capture_prefix": layout.CAPTURE_PREFIX,
        "ground_truth_prefix": layout.GROUND_TRUTH_PREFIX,
        "alert_topic_arn": topic_arn,
        "state_parameter": STATE,
        "event_bus_name": "default",
        "drift_threshold": 0.3,
        "min_requests": 50,
        "cooldown_hours": 24,
        "max_window_hours": 24,
        "min_live_accuracy": 0.8,
        "min_labelled_requests": 40,
        "ground_truth_lookback_hours": 72,
        "max_capture_bytes": 256 * 1024 * 1024,
        "max_sample": 20_000,
        "max_labels": 100_000,
    }
    values.update(overrides)
    return DriftCheckConfig(**values)


@pytest.fixture
def env(aws: Any, kit: Any, model_dir: Path) -> Env:
    """An endpoint with two variants serving the trained model, its archives in the models bucket,
    and queues that receive the alert topic and the retraining events (as the retrain rule matches them)."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(model_dir / layout.BASELINE_FILE, arcname=layout.BASELINE_FILE)
    aws.s3.put_object(
        Bucket=kit.MODELS_BUCKET, Key=JOB_OUTPUT + layout.OUTPUT_ARCHIVE, Body=archive.getvalue()
    )
    role = f"arn:aws:iam::{kit.ACCOUNT}:role/sagemaker"
    for variant in (CHAMPION, CHALLENGER):
        aws.sagemaker.create_model(
            ModelName=f"model-{variant}",
            PrimaryContainer={
                "Image": kit.IMAGE,
                "ModelDataUrl": f"s3://{kit.MODELS_BUCKET}/{JOB_OUTPUT}{layout.MODEL_ARCHIVE}",
            },
            ExecutionRoleArn=role,
        )
    aws.sagemaker.create_endpoint_config(
        EndpointConfigName="config-1",
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": f"model-{variant}",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": weight,
            }
            for variant, weight in ((CHAMPION, 0.9), (CHALLENGER, 0.1))
        ],
    )
    aws.sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="config-1")
    events = boto3.client("events")
    events_queue = aws.sqs.create_queue(QueueName="retrain-events")["QueueUrl"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=events_queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="retrain",
        EventPattern=json.dumps(
            {
                "source": [contract_events.EVENT_SOURCE],
                "detail-type": [contract_events.DRIFT_DETAIL_TYPE, contract_events.ACCURACY_DETAIL_TYPE],
                "detail": {"environment": ["dev"]},
            }
        ),
    )
    events.put_targets(Rule="retrain", Targets=[{"Id": "queue", "Arn": queue_arn}])
    return Env(
        s3=aws.s3,
        sqs=aws.sqs,
        ssm=boto3.client("ssm"),
        alerts_queue=aws.queue_url,
        events_queue=events_queue,
        topic_arn=aws.topic_arn,
        config=config_for(kit, aws.topic_arn),
    )


def alerts(env: Env) -> list[dict[str, Any]]:
    return [
        {"subject": m.get("Subject"), "body": json.loads(m["Message"])} for m in env.drain(env.alerts_queue)
    ]


def test_window_without_drift_is_scored_below_threshold_and_triggers_nothing(
    env: Env, predictor: Any
) -> None:
    lines = capture_lines(in_domain(240, seed=1), predictor)
    env.put_capture(CHAMPION, lines[:120], "00-01-000-aaaa")
    env.put_capture(CHAMPION, lines[120:], "00-31-000-bbbb")
    env.put_capture(CHALLENGER, capture_lines(in_domain(120, seed=2), predictor), "00-02-000-cccc")

    result = env.run()

    champion = result.variants[CHAMPION]
    assert champion["requests"] == 240
    assert champion["capture"]["files_read"] == 2 and champion["capture"]["malformed"] == 0
    assert champion["score"] < 0.3 and champion["drifted"] is False
    assert result.variants[CHALLENGER]["score"] < 0.3
    assert result.events == []
    assert env.drain(env.events_queue) == [] and alerts(env) == []
    published = {(p.name, p.dimensions[metrics.VARIANT_DIMENSION]) for p in result.metrics}
    assert (metrics.DRIFT_SCORE, CHAMPION) in published
    assert (metrics.DRIFT_SCORE, CHALLENGER) in published
    features = {
        p.dimensions[metrics.FEATURE_DIMENSION] for p in result.metrics if p.name == metrics.DRIFT_FEATURE
    }
    assert {"length", "oov_rate", "confidence", "positive_probability"} <= features


def test_other_domain_triggers_retraining_once_across_two_runs_and_alerts(env: Env, predictor: Any) -> None:
    env.put_capture(CHAMPION, capture_lines(other_domain(150, seed=3), predictor), "10-00-000-dddd")
    first = env.run()
    time.sleep(
        1.5
    )  # S3 LastModified has one-second resolution: the next file must be newer than the watermark
    env.put_capture(CHAMPION, capture_lines(other_domain(150, seed=4), predictor), "11-00-000-eeee")
    second = env.run()

    assert first.variants[CHAMPION]["score"] > 0.3
    assert second.variants[CHAMPION]["requests"] == 150  # only the new file
    assert second.variants[CHAMPION]["score"] > 0.3
    assert [e["status"] for e in first.events] == ["emitted"]
    assert [e["status"] for e in second.events] == ["cooling-down"]

    delivered = env.drain(env.events_queue)
    assert len(delivered) == 1
    trigger = parse_trigger(delivered[0], environment="dev", request_id="unused")
    assert trigger.kind == "drift" and ENDPOINT in trigger.reason
    assert trigger.details["drift_score"] > 0.3 and trigger.details["threshold"] == 0.3

    sent = alerts(env)
    assert len(sent) == 1
    assert sent[0]["subject"].startswith("[dev] drift ") and "retraining requested" in sent[0]["subject"]
    assert sent[0]["body"]["variant"] == CHAMPION


def test_too_small_window_is_reported_not_scored(env: Env, predictor: Any) -> None:
    env.put_capture(CHAMPION, capture_lines(other_domain(12, seed=5), predictor), "20-00-000-ffff")

    result = env.run()

    report = result.variants[CHAMPION]
    assert report["score"] is None and report["drifted"] is False and report["requests"] == 12
    assert "too few requests" in report["reason"]
    names = {p.name for p in result.metrics if p.dimensions[metrics.VARIANT_DIMENSION] == CHAMPION}
    assert metrics.DRIFT_SCORE not in names and metrics.DRIFT_REQUESTS in names
    assert result.events == [] and env.drain(env.events_queue) == []


def test_malformed_lines_are_counted_and_skipped(env: Env, predictor: Any) -> None:
    good = capture_lines(in_domain(60, seed=6), predictor)
    broken = [
        "{not json",
        json.dumps({"captureData": {"endpointInput": section("INPUT", "application/json", "!!", "BASE64")}}),
        json.dumps({"eventVersion": "0"}),
    ]
    env.put_capture(CHAMPION, good[:30] + broken + good[30:], "30-00-000-gggg")

    report = env.run().variants[CHAMPION]

    assert report["requests"] == 60
    assert report["capture"]["lines"] == 63 and report["capture"]["malformed"] == 3
    assert sum(report["capture"]["malformed_reasons"].values()) == 3


def test_lines_nested_too_deeply_are_malformed_not_a_crash(env: Env, predictor: Any) -> None:
    deep = "[" * 100_000
    env.put_capture(CHAMPION, [*capture_lines(in_domain(60, seed=6), predictor), deep], "31-00-000-hhhh")
    env.s3.put_object(Bucket=env.config.data_bucket, Key=f"{layout.GROUND_TRUTH_PREFIX}deep.jsonl", Body=deep)

    result = env.run()

    report = result.variants[CHAMPION]
    assert report["requests"] == 60 and report["capture"]["malformed"] == 1
    assert report["capture"]["malformed_reasons"] == {"JSON nested too deeply": 1}
    assert result.accuracy["labels"]["malformed"] == 1


def test_a_baseline_without_a_drift_reference_is_reported_and_the_other_variant_still_scored(
    env: Env, kit: Any, predictor: Any, model_dir: Path
) -> None:
    # The champion's model came from an older train: its baseline has a vocabulary but no drift reference.
    baseline = json.loads((model_dir / layout.BASELINE_FILE).read_text())
    baseline.pop("drift_reference")
    old_output = "training-jobs/sentiment-dev--sched-old/output/"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        data = json.dumps(baseline).encode()
        member = tarfile.TarInfo(layout.BASELINE_FILE)
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    env.s3.put_object(
        Bucket=kit.MODELS_BUCKET, Key=old_output + layout.OUTPUT_ARCHIVE, Body=archive.getvalue()
    )
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model(
        ModelName="model-old",
        PrimaryContainer={
            "Image": kit.IMAGE,
            "ModelDataUrl": f"s3://{kit.MODELS_BUCKET}/{old_output}model.tar.gz",
        },
        ExecutionRoleArn=f"arn:aws:iam::{kit.ACCOUNT}:role/sagemaker",
    )
    variants = [
        {"VariantName": variant, "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
        for variant, model in ((CHAMPION, "model-old"), (CHALLENGER, f"model-{CHALLENGER}"))
    ]
    sagemaker.create_endpoint_config(EndpointConfigName="config-old", ProductionVariants=variants)
    sagemaker.delete_endpoint(EndpointName=ENDPOINT)  # moto has no UpdateEndpoint
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="config-old")
    env.put_capture(CHAMPION, capture_lines(in_domain(80, seed=8), predictor), "32-00-000-iiii")
    env.put_capture(CHALLENGER, capture_lines(in_domain(80, seed=9), predictor), "32-00-000-jjjj")

    result = env.run()

    assert result.status == "checked"
    assert result.variants[CHAMPION]["reason"].startswith("no usable baseline")
    assert result.variants[CHALLENGER]["score"] is not None
    assert any("cannot score" in alert["subject"] for alert in alerts(env))


def test_files_outside_the_window_are_not_read(env: Env, predictor: Any) -> None:
    """Files written before the last run (its watermark) are left alone, wherever their hour folder is."""
    env.put_capture(CHAMPION, capture_lines(in_domain(60, seed=7), predictor), "40-00-000-hhhh")
    first = env.run()
    time.sleep(1.5)
    late_hour = datetime.now(UTC) - timedelta(hours=1)  # written now into the previous hour's folder
    env.put_capture(
        CHAMPION, capture_lines(in_domain(55, seed=8), predictor), "59-59-000-iiii", hour=late_hour
    )

    second = env.run()

    assert first.variants[CHAMPION]["requests"] == 60
    assert second.variants[CHAMPION]["requests"] == 55


def test_ground_truth_is_joined_per_variant_and_low_accuracy_triggers_retraining(
    env: Env, predictor: Any
) -> None:
    texts = in_domain(60, seed=9)
    ids = [f"req-{i:04d}" for i in range(60)]
    env.put_capture(CHAMPION, capture_lines(texts, predictor, ids=ids), "50-00-000-jjjj")
    answers = predictor.predict(texts)
    # People label 50 of them: 25 agree with the model, 25 contradict it -> accuracy 0.5.
    labels = []
    for index in range(50):
        predicted = answers[index]["label"]
        truth = predicted if index % 2 == 0 else ("negative" if predicted == "positive" else "positive")
        labels.append(json.dumps({"inference_id": ids[index], "label": 1 if truth == "positive" else 0}))
    labels.append("not json")
    labels.append(json.dumps({"inference_id": "unknown-id", "label": "positive"}))
    env.s3.put_object(
        Bucket=env.config.data_bucket,
        Key=f"{layout.GROUND_TRUTH_PREFIX}2026/11/29/labels.jsonl",
        Body="\n".join(labels),
    )

    result = env.run()

    champion = result.accuracy[CHAMPION]
    assert champion["joined_this_run"] == 50 and champion["accuracy"] == 0.5
    assert result.accuracy["labels"]["malformed"] == 1
    assert result.accuracy[CHALLENGER]["joined_this_run"] == 0
    points = {(p.name, p.dimensions[metrics.VARIANT_DIMENSION]): p.value for p in result.metrics}
    assert points[(metrics.LIVE_ACCURACY, CHAMPION)] == 0.5
    assert points[(metrics.LABELLED_REQUESTS, CHAMPION)] == 50
    assert (metrics.LIVE_ACCURACY, CHALLENGER) not in points  # no labels: nothing to judge

    delivered = env.drain(env.events_queue)
    assert [event["detail-type"] for event in delivered] == [contract_events.ACCURACY_DETAIL_TYPE]
    trigger = parse_trigger(delivered[0], environment="dev", request_id="unused")
    assert trigger.kind == "accuracy" and trigger.details["labelled_requests"] == 50
    assert any("live accuracy 0.500" in alert["subject"] for alert in alerts(env))


def test_labels_accumulate_until_enough_to_judge(env: Env, predictor: Any) -> None:
    env.config = replace(env.config, min_labelled_requests=25)
    texts = in_domain(30, seed=10)
    ids = [f"acc-{i}" for i in range(30)]
    env.put_capture(CHAMPION, capture_lines(texts, predictor, ids=ids), "55-00-000-kkkk")
    answers = predictor.predict(texts)
    truth = [json.dumps({"inference_id": i, "label": a["label"]}) for i, a in zip(ids, answers, strict=True)]
    env.s3.put_object(
        Bucket=env.config.data_bucket, Key=f"{layout.GROUND_TRUTH_PREFIX}a.jsonl", Body="\n".join(truth[:20])
    )
    first = env.run()
    time.sleep(1.5)
    env.s3.put_object(
        Bucket=env.config.data_bucket, Key=f"{layout.GROUND_TRUTH_PREFIX}b.jsonl", Body="\n".join(truth[20:])
    )
    second = env.run()

    assert "too few labelled requests" in first.accuracy[CHAMPION]["reason"]
    assert second.accuracy[CHAMPION]["joined_this_run"] == 10
    assert second.accuracy[CHAMPION]["labelled_total"] == 30
    assert second.accuracy[CHAMPION]["accuracy"] == 1.0  # judged on all 30, above the threshold
    assert second.events == []


def test_no_endpoint_yet_is_reported(aws: Any, kit: Any) -> None:
    config = config_for(kit, aws.topic_arn)
    clients = Clients(aws.s3, aws.sagemaker, boto3.client("ssm"), boto3.client("events"), aws.sns)

    result = run_check(config, clients, now=datetime.now(UTC), seconds_left=lambda: 900.0)

    assert result.status == "no-endpoint" and result.metrics == []


class Context(dict):
    aws_request_id = "req-1"
    function_name = "drift-check"
    memory_limit_in_mb = 2048
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:drift-check"
    log_group_name = "/aws/lambda/drift-check"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def test_handler_publishes_metrics_with_the_alarm_dimensions(
    env: Env, predictor: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.put_capture(CHAMPION, capture_lines(in_domain(60, seed=11), predictor), "58-00-000-llll")
    for name, value in {
        "ENVIRONMENT_NAME": "dev",
        "ENDPOINT_NAME": ENDPOINT,
        "VARIANTS": f"{CHAMPION},{CHALLENGER}",
        "DATA_BUCKET": env.config.data_bucket,
        "CAPTURE_PREFIX": layout.CAPTURE_PREFIX,
        "GROUND_TRUTH_PREFIX": layout.GROUND_TRUTH_PREFIX,
        "ALERT_TOPIC_ARN": env.topic_arn,
        "STATE_PARAMETER": STATE,
        "DRIFT_THRESHOLD": "0.3",
        "MIN_REQUESTS": "50",
        "COOLDOWN_HOURS": "24",
        "MAX_WINDOW_HOURS": "24",
        "MIN_LIVE_ACCURACY": "0.8",
        "MIN_LABELLED_REQUESTS": "200",
        "GROUND_TRUTH_LOOKBACK_HOURS": "72",
        "MAX_CAPTURE_BYTES": str(64 * 1024 * 1024),
        "MAX_SAMPLE": "20000",
        "MAX_LABELS": "100000",
        "POWERTOOLS_SERVICE_NAME": metrics.DRIFT_CHECK_SERVICE,
    }.items():
        monkeypatch.setenv(name, value)
    # The file was written just now: without the settling minute the handler's own clock reads it.
    monkeypatch.setattr("lambda_functions.drift_check.check.SETTLE", timedelta(seconds=0))

    summary = drift_handler.lambda_handler(
        {"source": "aws.events", "detail-type": "Scheduled Event"}, Context()
    )

    assert summary["variants"][CHAMPION]["requests"] == 60
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    score = next(record for record in emf if "DriftScore" in record)
    expected = metrics.variant_dimensions(ENDPOINT, CHAMPION)
    assert score["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [list(expected)]
    assert {key: score[key] for key in expected} == expected
    assert score["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "MLOpsSentimentTest"
