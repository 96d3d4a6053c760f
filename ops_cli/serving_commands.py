"""The serving commands of ``python -m ops_cli`` (parsers and dispatch), kept apart from cli.py."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from ops_cli import ab_report, batch, serving
from ops_cli.ab_stats import DEFAULT_MIN_EFFECT
from ops_cli.settings import load_settings

COMMANDS = ("endpoint", "shift-traffic", "promote", "rollback", "ab-report", "batch-score")


def add_parsers(commands: Any) -> None:
    show = commands.add_parser("endpoint", help="show the endpoint's variants, models, weights and instances")
    show.add_argument("--json", action="store_true")
    shift = commands.add_parser("shift-traffic", help="change variant weights without a redeploy")
    shift.add_argument(
        "weights", nargs="+", metavar="VARIANT=WEIGHT", help="e.g. champion=0.5 challenger=0.5"
    )
    commands.add_parser("promote", help="the challenger becomes champion (roles swap), guarded rollout")
    commands.add_parser("rollback", help="serve the previous approved version on every variant")
    report = commands.add_parser("ab-report", help="per-variant traffic, latency, errors and accuracy")
    report.add_argument(
        "--labels", help="JSON Lines {inference_id, label} (default: the bucket's ground-truth/)"
    )
    report.add_argument("--hours", type=int, default=24, help="CloudWatch window (default 24)")
    report.add_argument(
        "--min-effect", type=float, default=DEFAULT_MIN_EFFECT, help="smallest accuracy gap that matters"
    )
    report.add_argument("--json", action="store_true")
    score = commands.add_parser("batch-score", help="batch transform with an approved model")
    score.add_argument("--model", required=True, metavar="VERSION_OR_ARN")
    score.add_argument(
        "--input", help="s3:// prefix under the data bucket's batch-input/ (default: all of it)"
    )
    score.add_argument("--format", default="jsonl", choices=sorted(batch.FORMATS))
    score.add_argument("--instance-type", default="ml.m5.large")
    score.add_argument("--instance-count", type=int, default=1)


def run(options: argparse.Namespace, client: Any) -> Any:
    ssm, sagemaker = client("ssm"), client("sagemaker")
    env = options.env
    if options.command == "endpoint":
        report = serving.show(sagemaker=sagemaker, ssm=ssm, environment=env)
        return report if options.json else serving.format_show(report)
    if options.command == "shift-traffic":
        return serving.shift_traffic(sagemaker=sagemaker, ssm=ssm, environment=env, pairs=options.weights)
    if options.command == "promote":
        return serving.promote(sagemaker=sagemaker, ssm=ssm, environment=env)
    if options.command == "rollback":
        return serving.rollback(sagemaker=sagemaker, ssm=ssm, environment=env)
    settings = load_settings(ssm, env)
    spec = serving.load_spec(ssm, env)
    s3 = client("s3")
    if options.command == "ab-report":
        labels = (
            ab_report.labels_from_file(options.labels)
            if options.labels
            else ab_report.labels_from_bucket(s3, settings["data-bucket"])
        )
        result = ab_report.ab_report(
            spec=spec,
            cloudwatch=client("cloudwatch"),
            s3=s3,
            data_bucket=settings["data-bucket"],
            labels=labels,
            hours=options.hours,
            now=datetime.now(UTC),
            min_effect=options.min_effect,
        )
        return result if options.json else ab_report.format_report(result)
    return batch.batch_score(
        sagemaker=sagemaker,
        s3=s3,
        spec=spec,
        data_bucket=settings["data-bucket"],
        models_bucket=settings["models-bucket"],
        model=options.model,
        input_uri=options.input,
        data_format=options.format,
        instance_type=options.instance_type,
        instance_count=options.instance_count,
    )
