"""Local hyperparameter search by stratified k-fold cross-validation; prints a table, best first.

    python -m model_code.tune --data-path FILE [--text-column C --label-column L] [--folds 3]
        [--grid "c=1,4;negation_scope=0,3"] [--max-rows N] [--validation-path FILE]

The grid is a product over ``name=v1,v2`` groups (names as in hyperparameters.json). --validation-path
adds a held-out column (e.g. full sentences when the training data are phrases); choose by CV and use
the held-out column as a check, not as the target. Bad input: exit 2 with a one-line message.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Sequence

import numpy as np

from model_code.data import DataError, LabeledText, read_dataset
from model_code.hyperparameters import HyperparameterError, Hyperparameters, from_mapping
from model_code.model import fit_model, positive_probabilities

DEFAULT_GRID = "negation_scope=0,3;c=2,4;char_ngram_max=0,5"


def parse_grid(grid: str, base: dict[str, str]) -> list[Hyperparameters]:
    """``"a=1,2;b=x"`` -> every combination, each validated like a hyperparameters.json."""
    groups: list[tuple[str, list[str]]] = []
    for part in filter(None, (piece.strip() for piece in grid.split(";"))):
        name, _, values = part.partition("=")
        if not values:
            raise HyperparameterError(f"grid part {part!r} is not name=v1,v2")
        groups.append((name.strip(), [value.strip() for value in values.split(",")]))
    names = [name for name, _ in groups]
    return [
        from_mapping({**base, **dict(zip(names, combination, strict=True))})
        for combination in itertools.product(*(values for _, values in groups))
    ]


def _folds(rows: Sequence[LabeledText], folds: int, seed: int) -> list[list[int]]:
    """Stratified fold assignment: each fold gets every class in proportion."""
    generator = random.Random(seed)  # noqa: S311 - reproducible folds, not security
    assignment: list[list[int]] = [[] for _ in range(folds)]
    for label in (0, 1):
        members = [index for index, row in enumerate(rows) if row.label == label]
        generator.shuffle(members)
        for position, index in enumerate(members):
            assignment[position % folds].append(index)
    return assignment


def cross_validate(
    rows: Sequence[LabeledText], hp: Hyperparameters, folds: int
) -> tuple[float, float, float]:
    """(mean accuracy, std, seconds per fit)."""
    scores, seconds = [], []
    for held_out in _folds(rows, folds, hp.seed):
        held = set(held_out)
        fit_rows = [row for index, row in enumerate(rows) if index not in held]
        started = time.perf_counter()
        pipeline = fit_model([r.text for r in fit_rows], [r.label for r in fit_rows], hp)
        seconds.append(time.perf_counter() - started)
        scored = positive_probabilities(pipeline, [rows[index].text for index in held_out])
        truth = np.asarray([rows[index].label for index in held_out])
        scores.append(float(np.mean((scored >= 0.5).astype(int) == truth)))
    return float(np.mean(scores)), float(np.std(scores)), float(np.mean(seconds))


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model_code.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--data-path", required=True)
    parser.add_argument("--validation-path", help="optional held-out file scored by a model fit on all rows")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--grid", default=DEFAULT_GRID)
    parser.add_argument(
        "--max-rows", type=int, default=0, help="random subsample for a quick search (0 = all)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.folds < 2:
            raise HyperparameterError("--folds must be >= 2")
        columns = {"text_column": args.text_column, "label_column": args.label_column}
        candidates = parse_grid(args.grid, columns)
        rows = read_dataset(args.data_path, **columns).rows
        if args.max_rows and len(rows) > args.max_rows:
            rows = random.Random(0).sample(rows, args.max_rows)  # noqa: S311 - reproducible subsample
        if len({row.label for row in rows}) < 2 or len(rows) < 2 * args.folds:
            raise DataError(f"need both classes and at least {2 * args.folds} usable rows, got {len(rows)}")
        held_out = read_dataset(args.validation_path, **columns).rows if args.validation_path else None
    except (DataError, HyperparameterError) as error:
        print(f"tune: error: {error}", file=sys.stderr)
        return 2

    defaults = Hyperparameters().to_dict()
    results = []
    for hp in candidates:
        mean, std, seconds = cross_validate(rows, hp, args.folds)
        held = None
        if held_out:
            pipeline = fit_model([r.text for r in rows], [r.label for r in rows], hp)
            scored = positive_probabilities(pipeline, [r.text for r in held_out])
            held = float(np.mean((scored >= 0.5).astype(int) == np.asarray([r.label for r in held_out])))
        changed = {k: v for k, v in hp.to_dict().items() if v != defaults[k] and k not in columns}
        results.append((mean, std, seconds, held, changed))
        print(f"  tried {changed or 'defaults'}: cv {mean:.4f}", file=sys.stderr, flush=True)

    print(f"{'cv_accuracy':>11} {'std':>6} {'fit_s':>6} {'held_out':>8}  changes from defaults")
    for mean, std, seconds, held, changed in sorted(results, key=lambda item: -item[0]):
        held_text = f"{held:.4f}" if held is not None else "-"
        print(f"{mean:>11.4f} {std:>6.4f} {seconds:>6.1f} {held_text:>8}  {changed or 'defaults'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
