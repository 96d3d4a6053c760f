"""``drift``: score a window of traffic against the model's training baseline.

    python -m model_code.drift --model-path DIR --input FILE      (FILE may be - for stdin)

``--input`` is either plain texts, one per line (the model in DIR scores them), or SageMaker
data-capture JSON Lines (the captured answers are used; the model is not loaded). The format is
recognised from the first non-blank line. Prints one JSON object: ``score`` (0.3 = drift worth
acting on, at any window size; see docs/drift.md), ``drifted``, ``requests``, each feature's
statistics, ``reason`` when the window is too small to judge, and what was read (``input``).
Malformed lines are counted and skipped. Bad input (missing model or baseline, unreadable file,
JSON that is not capture records): exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from model_code.artifacts import BASELINE_FILE, ModelLoadError
from model_code.capture_records import CaptureStats, iter_predictions, looks_like_capture
from model_code.drift_features import DEFAULT_MAX_SAMPLE, FeatureWindow, Vocabulary, request_features
from model_code.drift_score import DriftReference, drift_report

BATCH_LINES = 2000  # plain texts per predict call


class DriftInputError(ValueError):
    """Input the drift check cannot use; the message is the one line the user sees."""


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m model_code.drift", description="Drift score of a traffic window."
    )
    parser.add_argument("--model-path", required=True, help="model directory written by train")
    parser.add_argument(
        "--input",
        required=True,
        help="plain texts (one per line) or SageMaker capture JSON Lines; - for stdin",
    )
    parser.add_argument(
        "--max-sample",
        type=int,
        default=DEFAULT_MAX_SAMPLE,
        help=f"requests kept for the tests (uniform sample; default {DEFAULT_MAX_SAMPLE})",
    )
    return parser.parse_args(argv)


def load_baseline(model_dir: Path) -> dict[str, Any]:
    path = model_dir / BASELINE_FILE
    if not model_dir.is_dir():
        raise DriftInputError(f"model directory not found: {model_dir}")
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DriftInputError(f"no {BASELINE_FILE} in model directory {model_dir}") from None
    except (OSError, ValueError) as error:
        raise DriftInputError(f"unreadable {path}: {error}") from None
    if not isinstance(baseline, dict):
        raise DriftInputError(f"{path} is not a JSON object")
    return baseline


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Lines split on b"\\n" only (texts may hold U+0085 or U+2028), without the line end."""
    for raw in stream:
        yield raw.removesuffix(b"\n").removesuffix(b"\r")


def _first_and_rest(lines: Iterator[bytes]) -> tuple[bytes | None, Iterator[bytes]]:
    """The first non-blank line, and all lines from it on (blank lines before it are dropped)."""
    for line in lines:
        if line.strip():
            return line, itertools.chain([line], lines)
    return None, iter(())


def _score_capture(lines: Iterator[bytes], vocabulary: Vocabulary, window: FeatureWindow) -> dict[str, Any]:
    stats = CaptureStats()
    for prediction in iter_predictions(lines, stats):
        window.add(request_features(vocabulary, prediction.text, prediction.positive_probability))
    return {"format": "sagemaker-capture", **stats.to_dict()}


def _score_texts(
    lines: Iterator[bytes], model_dir: Path, vocabulary: Vocabulary, window: FeatureWindow
) -> dict[str, Any]:
    from model_code.predictor import SentimentPredictor  # noqa: PLC0415 - only plain texts need the model

    try:
        predictor = SentimentPredictor.load(model_dir)
    except ModelLoadError as error:
        raise DriftInputError(str(error)) from None
    malformed = 0
    batch: list[str] = []

    def flush() -> None:
        for text, answer in zip(batch, predictor.predict(batch), strict=True):
            probability = float(answer["probability"])
            positive = probability if answer["label"] == "positive" else 1.0 - probability
            window.add(request_features(vocabulary, text, positive))
        batch.clear()

    for line in lines:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            malformed += 1
            continue
        if not text.strip():
            continue
        batch.append(text)
        if len(batch) >= BATCH_LINES:
            flush()
    if batch:
        flush()
    return {"format": "texts", "texts": window.requests, "malformed": malformed}


def run(model_dir: Path, stream: IO[bytes], max_sample: int = DEFAULT_MAX_SAMPLE) -> dict[str, Any]:
    """The drift report for everything in ``stream``."""
    path = model_dir / BASELINE_FILE
    try:
        reference = DriftReference.from_baseline(load_baseline(model_dir))
    except ValueError as error:
        raise DriftInputError(f"{path}: {error}") from None
    vocabulary = reference.vocabulary
    window = FeatureWindow(max_sample=max_sample)
    first, lines = _first_and_rest(_lines(stream))
    if first is not None and looks_like_capture(first):
        read = _score_capture(lines, vocabulary, window)
    elif first is not None and first.lstrip().startswith(b"{") and first.rstrip().endswith(b"}"):
        raise DriftInputError(
            "input starts with a JSON object that is not a SageMaker capture record "
            '(no "captureData"); give capture JSON Lines or plain texts, one per line'
        )
    else:
        read = _score_texts(lines, model_dir, vocabulary, window)
    report = drift_report(reference, window)
    report["input"] = read
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.max_sample < 1:
        print("error: --max-sample must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.input == "-":
            report = run(Path(args.model_path), sys.stdin.buffer, args.max_sample)
        else:
            path = Path(args.input)
            if not path.is_file():
                raise DriftInputError(f"input file not found: {path}")
            with path.open("rb") as stream:
                report = run(Path(args.model_path), stream, args.max_sample)
    except DriftInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot read input: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
