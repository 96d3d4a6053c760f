"""``train``: fit the model locally or as a SageMaker training job (container mode).

Local:      python -m model_code.train --data-path FILE_OR_DIR --output-path DIR [--validation-path FILE]
                [--text-column C --label-column L] [--champion-model-path DIR] [--<hyperparameter> VALUE ...]
Container:  python -m model_code.train            (no arguments, as SageMaker runs ``train``)
            python -m model_code.train --sagemaker
Cloud:      python -m ops_cli train --env ENV ... (the operator CLI, kept out of the image)

Every failure exits non-zero with a one-line message on stderr; in container mode the reason is
also written to /opt/ml/output/failure, where SageMaker shows it as the job's FailureReason.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model_code import container_paths
from model_code.artifacts import BASELINE_FILE, EVALUATION_FILE, ModelLoadError
from model_code.data import DataError, read_dataset
from model_code.evaluate import metric_log_lines
from model_code.hyperparameters import (
    HyperparameterError,
    Hyperparameters,
    add_cli_flags,
    from_cli,
    from_json_file,
)
from model_code.training import TrainingInputs, run_training

# What a user or a job can get wrong; anything else is a bug and keeps its traceback in the logs.
INPUT_ERRORS = (DataError, HyperparameterError, ModelLoadError)
_FAILURE_REASON_LIMIT = 1000  # SageMaker truncates FailureReason; keep the start, which says what


def _print_summary(result: dict[str, Any], model_dir: Path) -> None:
    metadata = result["metadata"]
    metrics = result["evaluation"]["binary_classification_metrics"]
    training = metadata["training_data"]
    print(f"model_version: {metadata['model_version']}")
    print(f"model written to: {model_dir}")
    print(
        f"training rows: {training['rows']} used, {training['rejected']} rejected "
        f"{json.dumps(training['rejected_by_reason'])}, {training['blank_lines']} blank lines"
    )
    validation = metadata["validation_data"]
    print(
        f"validation rows: {validation['rows']} ({validation['source']}), fit {metadata['fit_seconds']:.1f} s"
    )
    champion = result["evaluation"]["champion"]
    for line in metric_log_lines(metrics):
        print(line)
    if champion is not None:
        for line in metric_log_lines(champion, prefix="champion"):
            print(line)
    sys.stdout.flush()


def _load_champion(path: Path | None) -> Any:
    if path is None:
        return None
    from model_code.champion import load_champion  # noqa: PLC0415 - only when a champion is given

    return load_champion(path)


def _local(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model_code.train", description="Train the sentiment model."
    )
    parser.add_argument("--data-path", required=True, help="training CSV/TSV/JSONL file or folder")
    parser.add_argument("--output-path", required=True, help="model directory to write")
    parser.add_argument("--validation-path", help="validation file (default: a stratified split of the data)")
    parser.add_argument(
        "--champion-model-path", help="current model dir (or model.tar.gz) to compare against"
    )
    add_cli_flags(parser)
    args = parser.parse_args(argv)
    try:
        hp = from_cli(args)
        columns = {"text_column": hp.text_column, "label_column": hp.label_column}
        train = read_dataset(args.data_path, **columns)
        validation = read_dataset(args.validation_path, **columns) if args.validation_path else None
        champion = _load_champion(Path(args.champion_model_path) if args.champion_model_path else None)
        model_dir = Path(args.output_path)
        result = run_training(TrainingInputs(train, validation, hp, champion), model_dir)
    except INPUT_ERRORS as error:
        print(f"train: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"train: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr
        )
        return 2
    _print_summary(result, model_dir)
    return 0


def _container_champion() -> Path | None:
    channel = container_paths.channel_dir("champion")
    return channel if channel.is_dir() and any(channel.iterdir()) else None


def _container() -> int:
    """The SageMaker contract: inputs under /opt/ml/input, model to /opt/ml/model, failure file on error."""
    try:
        hp: Hyperparameters = from_json_file(container_paths.hyperparameters_file())
        columns = {"text_column": hp.text_column, "label_column": hp.label_column}
        train_channel = container_paths.channel_dir("train")
        if not train_channel.is_dir():
            raise DataError(f"missing required input channel 'train' ({train_channel})")
        train = read_dataset(train_channel, **columns)
        validation_channel = container_paths.channel_dir("validation")
        validation = read_dataset(validation_channel, **columns) if validation_channel.is_dir() else None
        champion = _load_champion(_container_champion())
        container_paths.checkpoint_dir().mkdir(parents=True, exist_ok=True)
        model_dir = container_paths.model_dir()
        result = run_training(TrainingInputs(train, validation, hp, champion), model_dir)
        output = container_paths.output_data_dir()
        output.mkdir(parents=True, exist_ok=True)
        for name in (EVALUATION_FILE, BASELINE_FILE):
            shutil.copyfile(model_dir / name, output / name)
        # Training takes seconds, so a spot restart simply retrains; the marker records what finished.
        (container_paths.checkpoint_dir() / "completed.json").write_text(
            json.dumps({"model_version": result["metadata"]["model_version"]}) + "\n", encoding="utf-8"
        )
    except INPUT_ERRORS as error:
        return _fail(f"{type(error).__name__}: {error}")
    except Exception as error:
        traceback.print_exc()
        return _fail(f"internal error: {type(error).__name__}: {error}")
    _print_summary(result, model_dir)
    return 0


def _fail(reason: str) -> int:
    print(f"train: error: {reason}", file=sys.stderr)
    try:
        container_paths.failure_file().parent.mkdir(parents=True, exist_ok=True)
        container_paths.failure_file().write_text(reason[:_FAILURE_REASON_LIMIT] + "\n", encoding="utf-8")
    except OSError as error:
        print(f"train: error: cannot write failure file: {error}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--cloud" in args:
        print("train: error: start cloud training with `python -m ops_cli train --env ENV`", file=sys.stderr)
        return 2
    # SageMaker starts the image as `train` (sometimes passing "train" as the only argument).
    if not args or args in (["train"], ["--sagemaker"]):
        return _container()
    return _local(args)


if __name__ == "__main__":
    sys.exit(main())
