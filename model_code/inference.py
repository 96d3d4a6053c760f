"""``inference``: predict with a local model directory or a deployed endpoint.

    python -m model_code.inference --model-path DIR --text "This product is amazing!"
    python -m model_code.inference --model-path DIR --input FILE     (one text per line; - for stdin)
    python -m model_code.inference --endpoint NAME [--region R] --text "..." | --input FILE

Writes one JSON object per input line: {"label": "positive"|"negative", "probability": P(label)}.
Lines are split on "\\n" only (review text may contain U+0085 or U+2028). A blank line gets
{"label": null, "probability": null, "error": "empty text"} so output stays aligned with input.
Bad input (missing model, unreadable file, endpoint error): exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from model_code.artifacts import ModelLoadError
from model_code.endpoint_client import EndpointError, invoke, make_client

BATCH_LINES = 2000  # texts per predict call: big enough to amortize, small enough to stream
_EMPTY = {"label": None, "probability": None, "error": "empty text"}

Predict = Callable[[Sequence[str]], list[dict[str, Any]]]


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model_code.inference", description="Predict sentiment.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model-path", help="local model directory written by train")
    source.add_argument("--endpoint", help="name of a deployed SageMaker endpoint")
    parser.add_argument("--region", help="AWS region of the endpoint (default: your AWS configuration)")
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


def _run(args: argparse.Namespace) -> int:
    if args.endpoint:
        client = make_client(args.region)

        def predict(texts: Sequence[str]) -> list[dict[str, Any]]:
            return invoke(client, args.endpoint, texts)

        predict_one: Callable[[str], dict[str, Any]] = lambda text: predict([text])[0]  # noqa: E731
    else:
        from model_code.predictor import SentimentPredictor  # noqa: PLC0415 - not needed for --endpoint

        predictor = SentimentPredictor.load(args.model_path)
        predict, predict_one = predictor.predict, predictor.predict_one

    if args.text is not None:
        _write(sys.stdout, [predict_one(args.text) if args.text.strip() else _EMPTY])
        return 0
    bad_utf8 = [0]
    stream = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115 - closed below
    try:
        for batch in _batches(stream, bad_utf8):
            _write(sys.stdout, _predict_aligned(predict, batch))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if bad_utf8[0]:
        print(f"inference: warning: {bad_utf8[0]} line(s) were not valid UTF-8", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args)
    except (ModelLoadError, EndpointError) as error:
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
