"""Hyperparameters from SageMaker strings and CLI flags; typos and bad values are errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from model_code.hyperparameters import (
    HyperparameterError,
    Hyperparameters,
    add_cli_flags,
    from_cli,
    from_json_file,
    from_mapping,
)


def test_sagemaker_strings_are_converted():
    hp = from_mapping({"c": "2.5", "min_df": "3", "nb_scaling": "False", "text_column": "sentence"})
    assert (hp.c, hp.min_df, hp.nb_scaling, hp.text_column) == (2.5, 3, False, "sentence")


def test_platform_keys_are_ignored():
    hp = from_mapping({"sagemaker_program": "train", "mlops_trigger_reason": "drift", "c": "1"})
    assert hp.c == 1.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"learning_rate": "0.1"}, "unknown hyperparameter"),
        ({"C": "1"}, "unknown hyperparameter"),
        ({"c": "abc"}, "expected a number"),
        ({"c": "nan"}, "finite"),
        ({"c": "0"}, "must be > 0"),
        ({"min_df": "2.5"}, "expected an integer"),
        ({"min_df": "0"}, "min_df"),
        ({"nb_scaling": "maybe"}, "true/false"),
        ({"char_ngram_min": "6", "char_ngram_max": "3"}, "char_ngram_min"),
        ({"char_analyzer": "word"}, "char_analyzer"),
        ({"validation_fraction": "0.7"}, "validation_fraction"),
        ({"validation_max_rows": "-1"}, "validation_max_rows"),
        ({"text_column": ""}, "must not be empty"),
    ],
)
def test_bad_hyperparameters_are_clear_errors(values, message):
    with pytest.raises(HyperparameterError, match=message):
        from_mapping(values)


def test_json_file(tmp_path: Path):
    path = tmp_path / "hyperparameters.json"
    assert from_json_file(path) == Hyperparameters()  # SageMaker omits the file when there are none
    path.write_text(json.dumps({"word_ngram_max": "2", "sagemaker_region": "eu-west-1"}))
    assert from_json_file(path).word_ngram_max == 2
    path.write_text("[1, 2]")
    with pytest.raises(HyperparameterError, match="JSON object"):
        from_json_file(path)
    path.write_text("{not json")
    with pytest.raises(HyperparameterError, match="not valid JSON"):
        from_json_file(path)


def test_cli_flags_round_trip():
    parser = argparse.ArgumentParser()
    add_cli_flags(parser)
    hp = from_cli(parser.parse_args(["--c", "0.5", "--char-ngram-max", "0", "--label-column", "y"]))
    assert (hp.c, hp.char_ngram_max, hp.label_column) == (0.5, 0, "y")
    assert from_cli(parser.parse_args([])) == Hyperparameters()
