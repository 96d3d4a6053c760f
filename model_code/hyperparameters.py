"""The model's hyperparameters: one typed dataclass, filled from CLI flags or hyperparameters.json.

SageMaker passes every hyperparameter as a string, so parsing from strings is the main path. Unknown
keys are an error (a typo must not silently train the default model), except keys starting with
``sagemaker_`` or ``mlops_``, which carry platform metadata rather than model settings.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PLATFORM_PREFIXES = ("sagemaker_", "mlops_")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class HyperparameterError(ValueError):
    """A hyperparameter is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Hyperparameters:
    # Which columns hold the text and the label (part of the job definition, so set like the rest).
    text_column: str = "text"
    label_column: str = "label"
    # "hashed": hashed n-grams folded into one weight look-up per n-gram (model format 2, see
    # model_code/hashed_model.py); "pipeline": the scikit-learn Pipeline with TF-IDF vocabularies
    # that was the default until format 2 (model_code/model.py), kept to compare and to reproduce.
    model_kind: str = "hashed"
    # Features: word n-grams and character n-grams, TF-IDF weighted.
    word_ngram_max: int = 3
    char_ngram_min: int = 2
    char_ngram_max: int = 5  # 0 turns character n-grams off
    # "char" n-grams also span word boundaries ("t go", "s bad"); "char_wb" stays inside words.
    char_analyzer: str = "char"  # "char_wb" only with model_kind "pipeline"
    min_df: int = 2
    max_features: int = 0  # per vectorizer; 0 keeps every n-gram seen min_df times ("pipeline" only)
    sublinear_tf: bool = True  # "pipeline" only; "hashed" uses raw counts (its norm needs no counting)
    # "hashed": table sizes (2**bits buckets) for word and character n-grams.
    word_hash_bits: int = 22
    char_hash_bits: int = 22
    negation_scope: int = 3  # tokens marked not_ after a negator; 0 turns it off
    # NB-SVM style: scale each feature by its naive-Bayes log-count ratio before the classifier.
    nb_scaling: bool = True
    nb_alpha: float = 1.0
    # Classifier: L2 logistic regression (probabilities come from the same model that decides).
    c: float = 4.0
    max_iter: int = 1000
    # SST-2 train is mostly short sub-phrases while traffic is sentences: weight row i by len_i ** power.
    length_weight_power: float = 0.0
    dedupe: bool = True  # identical normalized texts with one label count once
    # Validation split taken from train when no validation set is given; after evaluating on it,
    # refit_full trains the shipped model on all rows (the metrics then come from the split fit).
    validation_fraction: float = 0.1
    # Cap on that split (0 = no cap): 2,000 rows measure accuracy to about +-1 point, and on SST-2
    # the rows a 10 % split would hold back are worth more as training data (83.6 % -> see README).
    validation_max_rows: int = 2000
    refit_full: bool = False  # True doubles training time (86.9 s on SST-2 here, too near the 90 s bar)
    seed: int = 13

    def __post_init__(self) -> None:
        problems = []
        if not self.text_column or not self.label_column:
            problems.append("text_column and label_column must not be empty")
        if self.word_ngram_max < 1:
            problems.append("word_ngram_max must be >= 1")
        if self.char_ngram_max and not 1 <= self.char_ngram_min <= self.char_ngram_max:
            problems.append("need 1 <= char_ngram_min <= char_ngram_max (or char_ngram_max 0 for none)")
        if (
            self.char_ngram_max < 0
            or self.max_features < 0
            or self.negation_scope < 0
            or self.validation_max_rows < 0
        ):
            problems.append(
                "char_ngram_max, max_features, negation_scope and validation_max_rows must be >= 0"
            )
        if self.char_analyzer not in ("char", "char_wb"):
            problems.append("char_analyzer must be char or char_wb")
        problems.extend(self._model_kind_problems())
        if self.min_df < 1:
            problems.append("min_df must be >= 1")
        if self.c <= 0 or self.nb_alpha <= 0:
            problems.append("c and nb_alpha must be > 0")
        if self.max_iter < 1:
            problems.append("max_iter must be >= 1")
        if not 0.0 <= self.length_weight_power <= 3.0:
            problems.append("length_weight_power must be in [0, 3]")
        if not 0.0 < self.validation_fraction < 0.5:
            problems.append("validation_fraction must be in (0, 0.5)")
        if problems:
            raise HyperparameterError("; ".join(problems))

    def _model_kind_problems(self) -> list[str]:
        problems = []
        if self.model_kind not in ("hashed", "pipeline"):
            problems.append("model_kind must be hashed or pipeline")
        elif self.model_kind == "hashed" and (self.char_analyzer != "char" or self.max_features):
            problems.append("char_analyzer char_wb and max_features need model_kind pipeline")
        if not (12 <= self.word_hash_bits <= 26 and 12 <= self.char_hash_bits <= 26):
            problems.append("word_hash_bits and char_hash_bits must be in [12, 26]")
        return problems

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Hyperparameters:
        return from_mapping({**self.to_dict(), **changes})


def _field_types() -> dict[str, type]:
    defaults = Hyperparameters()
    return {field.name: type(getattr(defaults, field.name)) for field in fields(Hyperparameters)}


def _convert(name: str, value: object, kind: type) -> object:
    """Turn a string (SageMaker) or JSON value (local) into the field's type, or explain why not."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise HyperparameterError(f"hyperparameter {name}: expected true/false, got {value!r}")
    if kind is int:
        if isinstance(value, bool):
            raise HyperparameterError(f"hyperparameter {name}: expected an integer, got {value!r}")
        try:
            number = float(str(value).strip())
        except ValueError:
            raise HyperparameterError(f"hyperparameter {name}: expected an integer, got {value!r}") from None
        if not number.is_integer():
            raise HyperparameterError(f"hyperparameter {name}: expected an integer, got {value!r}")
        return int(number)
    if kind is float:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise HyperparameterError(f"hyperparameter {name}: expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise HyperparameterError(f"hyperparameter {name}: expected a finite number, got {value!r}")
        return number
    if not isinstance(value, str | int | float):
        raise HyperparameterError(f"hyperparameter {name}: expected a string, got {value!r}")
    return str(value)


def from_mapping(values: Mapping[str, object]) -> Hyperparameters:
    """Build from a mapping of strings or JSON values; platform keys are ignored, unknown keys are errors."""
    kinds = _field_types()
    unknown = sorted(key for key in values if key not in kinds and not str(key).startswith(PLATFORM_PREFIXES))
    if unknown:
        raise HyperparameterError(
            f"unknown hyperparameter(s): {', '.join(unknown)} (known: {', '.join(sorted(kinds))})"
        )
    converted = {key: _convert(key, value, kinds[key]) for key, value in values.items() if key in kinds}
    try:
        return Hyperparameters(**converted)  # type: ignore[arg-type]
    except TypeError as error:  # defensive: a field type the converter does not know
        raise HyperparameterError(str(error)) from None


def from_json_file(path: str | Path) -> Hyperparameters:
    """SageMaker's hyperparameters.json; a missing file means the defaults."""
    path = Path(path)
    if not path.exists():
        return Hyperparameters()
    try:
        values = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HyperparameterError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(values, dict):
        raise HyperparameterError(f"{path} must hold a JSON object, got {type(values).__name__}")
    return from_mapping(values)


def add_cli_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--flag-name`` per field (kept as strings; ``from_cli`` converts them like SageMaker's)."""
    group = parser.add_argument_group("hyperparameters")
    defaults = Hyperparameters()
    for field in fields(Hyperparameters):
        flag = "--" + field.name.replace("_", "-")
        group.add_argument(
            flag,
            dest=f"hp_{field.name}",
            default=None,
            metavar="VALUE",
            help=f"default {getattr(defaults, field.name)!r}",
        )


def from_cli(args: argparse.Namespace) -> Hyperparameters:
    given = {
        field.name: getattr(args, f"hp_{field.name}")
        for field in fields(Hyperparameters)
        if getattr(args, f"hp_{field.name}", None) is not None
    }
    return from_mapping(given)
