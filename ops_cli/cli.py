"""``python -m ops_cli``: the people's CLI for the training pipeline and the model registry.

Every command prints JSON (or a table for ``versions``) on stdout and returns 0; a problem is one line
on stderr and exit code 1 (2 for bad usage, from argparse). Settings come from SSM for ``--env``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from model_code.hyperparameters import HyperparameterError
from model_code.inference import write_predictions
from ops_cli import cost, jobs, people, serving_commands
from ops_cli.endpoint_client import EndpointError, invoke
from ops_cli.settings import OpsError, load_settings
from pipeline_core.registry import RegistryError
from pipeline_core.serving_state import ServingError
from pipeline_core.training_job import JobConfigError

ClientFactory = Callable[..., Any]


def _add_job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--s3-input", help="s3:// file or folder (default: newest processed data version)")
    parser.add_argument("--s3-output", help="s3:// output path (default: models bucket training-jobs/)")
    # Unset options take the environment's training settings (config/, published in SSM by the stack).
    parser.add_argument("--instance-type", help="default: the environment's")
    parser.add_argument("--volume-size", type=int, help="GB (default: the environment's)")
    parser.add_argument("--max-runtime", type=int, help="seconds (default: the environment's)")
    parser.add_argument("--max-wait", type=int, help="seconds, spot only (default: the environment's)")
    parser.add_argument(
        "--spot",
        action=argparse.BooleanOptionalAction,
        help="managed spot training (default: the environment's)",
    )
    parser.add_argument(
        "--hyperparameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="over the environment's hyperparameters",
    )
    parser.add_argument("--reason", default="started from the CLI", help="recorded on the job")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops_cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="start a SageMaker training job")
    train.add_argument(
        "--cloud", action="store_true", help=argparse.SUPPRESS
    )  # from `model_code.train --cloud`
    train.add_argument("--job-name")
    _add_job_options(train)

    tune = commands.add_parser(
        "tune", help="start a hyperparameter tuning job (Bayesian, early stopping, spot)"
    )
    tune.add_argument("--max-jobs", type=int, default=10)
    tune.add_argument("--max-parallel", type=int, default=2)
    _add_job_options(tune)

    retrain = commands.add_parser(
        "retrain", help="invoke the retrain Lambda (same path as schedule and drift)"
    )
    retrain.add_argument("--reason", required=True)
    retrain.add_argument("--requested-by")

    versions = commands.add_parser("versions", help="list model versions with metrics and approval status")
    versions.add_argument("--json", action="store_true")

    for name in ("approve", "reject"):
        command = commands.add_parser(name, help=f"{name} a model version")
        command.add_argument("target", metavar="ARN_OR_VERSION")
        command.add_argument("--comment", required=True)
        if name == "approve":
            command.add_argument(
                "--force", action="store_true", help="approve even if the quality gate rejected it"
            )

    predict = commands.add_parser("predict", help="classify texts with a deployed endpoint")
    predict.add_argument("--endpoint", required=True, help="name of a deployed SageMaker endpoint")
    predict.add_argument("--region", help="AWS region of the endpoint (default: your AWS configuration)")
    texts = predict.add_mutually_exclusive_group(required=True)
    texts.add_argument("--text", help="one text to classify")
    texts.add_argument("--input", help="file with one text per line, or - for stdin")

    serving_commands.add_parsers(commands)
    for command in commands.choices.values():
        command.add_argument("--env", default="dev", help="environment name (default dev)")

    cost = commands.add_parser("cost", help="monthly cost estimate per environment, from the configuration")
    cost.add_argument("--env", help="one environment (default: every configured environment)")
    cost.add_argument("--json", action="store_true")
    return parser


def run(options: argparse.Namespace, client: ClientFactory) -> Any:
    if options.command == "predict":
        region = {"region_name": options.region} if options.region else {}
        endpoint = client("sagemaker-runtime", **region)

        def predict(texts: Sequence[str]) -> list[dict[str, Any]]:
            return invoke(endpoint, options.endpoint, texts)

        write_predictions(predict, lambda text: predict([text])[0], options.text, options.input)
        return None
    if options.command == "cost":  # offline: configuration and the price table, no AWS call
        results = cost.estimates(options.env)
        return [result.to_dict() for result in results] if options.json else cost.format_table(results)
    if options.command in serving_commands.COMMANDS:
        return serving_commands.run(options, client)
    settings = load_settings(client("ssm"), options.env)
    if options.command == "train":
        return jobs.start_training(
            s3=client("s3"), sagemaker=client("sagemaker"), settings=settings, options=options
        )
    if options.command == "tune":
        return jobs.start_tuning(
            s3=client("s3"), sagemaker=client("sagemaker"), settings=settings, options=options
        )
    if options.command == "retrain":
        return people.invoke_retrain(client("lambda"), settings, options.reason, options.requested_by)
    if options.command == "versions":
        rows = people.list_versions(client("sagemaker"), settings)
        return rows if options.json else people.format_table(rows)
    status = "Approved" if options.command == "approve" else "Rejected"
    force = getattr(options, "force", False)
    return people.change_approval(
        client("sagemaker"), settings, options.target, status, options.comment, force=force
    )


def main(argv: list[str] | None = None, client: ClientFactory | None = None) -> int:
    options = build_parser().parse_args(argv)
    factory = client or boto3.session.Session().client
    try:
        output = run(options, factory)
    except (
        OpsError,
        JobConfigError,
        RegistryError,
        HyperparameterError,
        EndpointError,
        ServingError,
        ValueError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as error:
        print(f"error: AWS call failed: {error}", file=sys.stderr)
        return 1
    if output is not None:
        print(output if isinstance(output, str) else json.dumps(output, indent=2, default=str))
    return 0
