"""``inference``: predict with a local model directory.

    python -m model_code.inference --model-path DIR --text "This product is amazing!"
    python -m model_code.inference --model-path DIR --input FILE     (one text per line; - for stdin)

A deployed endpoint is asked the same way with ``python -m ops_cli predict --endpoint NAME``, which
reuses ``write_predictions`` below (the boto3 client code stays out of the model image).

Writes one JSON object per input line: {"label": "positive"|"negative", "probability": P(label)}.
Lines are split on "\\n" only (review text may contain U+0085 or U+2028). A blank line gets
{"label": null, "probability": null, "error": "empty text"} so output stays aligned with input.
Bad input (missing model, unreadable file): exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from model_code.artifacts import ModelLoadError

BATCH_LINES = 2000  # texts per predict call: big enough to amortize, small enough to stream
_EMPTY = {"label": None, "probability": None, "error": "empty text"}

Predict = Callable[[Sequence[str]], list[dict[str, Any]]]


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model_code.inference", description="Predict sentiment.")
    parser.add_argument("--model-path", required=True, help="local model directory written by train")
    texts = parser.add_mutually_exclusive_group(required=True)
    texts.add_argument("--text", help="one text to classify")
    texts.add_argument("--input", help="file with one text per line, or - for stdin")
    return parser.parse_args(argv)


def _batches(stream: IO[bytes], counter: list[int]) -> Iterator[list[str]]:
    """Lines of ``stream`` in batches; iterating a binary stream splits on b"\\n" only."""
    batch: list[str] = []
    for raw in stream:
        line = raw.removesuffix(b"\n").removesuffix(b"\r")
        try:
            batch.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            counter[0] += 1  # kept (with replacement characters) so every line still gets an answer
            batch.append(line.decode("utf-8", "replace"))
        if len(batch) >= BATCH_LINES:
            yield batch
            batch = []
    if batch:
        yield batch


def _predict_aligned(predict: Predict, texts: list[str]) -> list[dict[str, Any]]:
    """Predict the non-blank texts; blank ones get the empty-text answer in their place."""
    present = [index for index, text in enumerate(texts) if text.strip()]
    answers = predict([texts[index] for index in present]) if present else []
    out: list[dict[str, Any]] = [_EMPTY] * len(texts)
    for index, answer in zip(present, answers, strict=True):
        out[index] = answer
    return out


def _write(out: IO[str], predictions: list[dict[str, Any]]) -> None:
    out.write("".join(json.dumps(prediction) + "\n" for prediction in predictions))


def write_predictions(
    predict: Predict, predict_one: Callable[[str], dict[str, Any]], text: str | None, input_path: str | None
) -> None:
    """One JSON line per text (``text``) or per input line (``input_path``, ``-`` for stdin)."""
    if text is not None:
        _write(sys.stdout, [predict_one(text) if text.strip() else _EMPTY])
        return
    bad_utf8 = [0]
    stream = sys.stdin.buffer if input_path == "-" else open(str(input_path), "rb")  # noqa: SIM115 - closed below
    try:
        for batch in _batches(stream, bad_utf8):
            _write(sys.stdout, _predict_aligned(predict, batch))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if bad_utf8[0]:
        print(f"inference: warning: {bad_utf8[0]} line(s) were not valid UTF-8", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from model_code.predictor import SentimentPredictor  # noqa: PLC0415 - keeps --help fast

    predictor = SentimentPredictor.load(args.model_path)
    write_predictions(predictor.predict, predictor.predict_one, args.text, args.input)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args)
    except ModelLoadError as error:
        print(f"inference: error: {error}", file=sys.stderr)
    except OSError as error:
        if isinstance(error, BrokenPipeError):  # e.g. `| head`: the reader left, nothing more to say
            sys.stderr.close()
            return 0
        print(
            f"inference: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
    return 2


if __name__ == "__main__":
    sys.exit(main())
