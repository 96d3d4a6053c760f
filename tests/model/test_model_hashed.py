"""The hashed model (format 2): batch normalization, n-gram hashing, one path for any batch size,
and model directories of either format loading (or being refused by name)."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from model_code.artifacts import METADATA_FILE, ModelLoadError
from model_code.data import read_dataset
from model_code.features import NgramSpec, hashed_ngrams, hashed_ngrams_one
from model_code.hashed_model import HashedNgramModel
from model_code.hyperparameters import HyperparameterError, Hyperparameters
from model_code.model import HASHED_MODEL_FORMAT, PIPELINE_MODEL_FORMAT
from model_code.predictor import SentimentPredictor
from model_code.text import (
    _NEGATION_SPAN,
    _NEGATORS,
    normalize,
    normalize_batch,
    normalize_joined,
    normalize_one,
)
from model_code.training import TrainingInputs, run_training

ODD_TEXTS = [
    "",
    "   ",
    "!!!",
    "ÜBER gut 😀",
    "not not bad",
    "no no no good , but not bad",
    "- not -",
    "never , but",
    "It's a “charming” film — isn't it?",
    "I don't like it, but it can't hurt. Dont buy; it wasnt worth it!",
    "it 's a ca n't -lrb- miss -rrb-",
    "a\u0085b\nc\td",
    "ΣΑΣ. Σ",
    "xnot good; cannot fail without trying",
    "x" * 3000,
]


def _sample_texts(sample_train: Path) -> list[str]:
    return [row.text for row in read_dataset(sample_train).rows] + ODD_TEXTS


@pytest.mark.parametrize("scope", [0, 3])
def test_batch_normalization_equals_per_text_normalization(sample_train: Path, scope: int) -> None:
    texts = _sample_texts(sample_train)
    assert normalize_batch(texts, scope) == [normalize(text, scope) for text in texts]
    assert normalize_batch([], scope) == []


def test_a_nul_inside_a_text_cannot_split_it() -> None:
    assert normalize_batch(["not\x00good", "fine"], 3) == ["not not_good", "fine"]


def test_negation_pattern_spells_exactly_the_negators() -> None:
    found = {match.group(0) for word in _NEGATORS if (match := _NEGATION_SPAN.fullmatch(word))}
    assert found == set(_NEGATORS)
    assert _NEGATION_SPAN.fullmatch("nope") is None and _NEGATION_SPAN.fullmatch("knot") is None


def _nonzero(buckets: np.ndarray) -> list[int]:
    return sorted(buckets[buckets != 0].tolist())


def test_a_texts_ngrams_are_the_same_alone_or_in_a_batch() -> None:
    spec = NgramSpec(word_ngram_max=3, char_ngram_min=2, char_ngram_max=5, word_bits=20, char_bits=20)
    texts = ["a good film", "", "not bad at all", "x", "the end ."]
    batch = hashed_ngrams(normalize_joined(texts, 3), len(texts), spec)
    word_bounds = [*batch.word_starts.tolist(), batch.word_buckets.shape[1]]
    char_bounds = [*batch.char_starts.tolist(), batch.char_buckets.shape[1]]
    for index, text in enumerate(texts):
        alone = hashed_ngrams(normalize_joined([text], 3), 1, spec)
        words = batch.word_buckets[:, word_bounds[index] : word_bounds[index + 1]]
        chars = batch.char_buckets[:, char_bounds[index] : char_bounds[index + 1]]
        assert _nonzero(words) == _nonzero(alone.word_buckets), text
        assert _nonzero(chars) == _nonzero(alone.char_buckets), text
        normalized = normalize(text, 3)
        tokens = normalized.split(" ") if normalized else []
        assert len(_nonzero(words)) == sum(max(0, len(tokens) - n + 1) for n in (1, 2, 3))
        assert len(_nonzero(chars)) == sum(max(0, len(normalized) - n + 1) for n in (2, 3, 4, 5))


def test_one_text_scores_the_same_alone_as_inside_any_batch(trained_model: Path, sample_train: Path) -> None:
    predictor = SentimentPredictor.load(trained_model)
    texts = _sample_texts(sample_train)
    together = predictor.positive_probabilities(texts)
    in_tens = np.concatenate(
        [predictor.positive_probabilities(texts[i : i + 10]) for i in range(0, len(texts), 10)]
    )
    alone = np.array([predictor.predict_one(text)["probability"] for text in texts])
    alone = np.where(together >= 0.5, alone, 1.0 - alone)
    np.testing.assert_allclose(in_tens, together, rtol=0, atol=1e-12)
    np.testing.assert_allclose(alone, together, rtol=0, atol=1e-12)
    assert np.all((together > 0.0) & (together < 1.0))


# The single-text path (HashedNgramModel.decision_one, predictor.predict_one) against the batch path.
ONE_TEXT_CASES = [
    *ODD_TEXTS,
    " \t\n ",
    "\x00",
    "not\x00good",
    "a",
    "ab",
    "no",
    "Ça n\u2019était pas \u201cgénial\u201d \u2014 vraiment\u2026 \uff27\uff2f\uff2f\uff24",  # fullwidth GOOD
    "😀😀 great!!! 👍",
    "it's's odd, we'll've seen",
    "great movie , not bad " * 800,
    "ab" * 20000,
]


def test_normalize_one_equals_the_batch_normalization(sample_train: Path) -> None:
    for scope in (0, 3):
        for text in [*_sample_texts(sample_train), *ONE_TEXT_CASES]:
            assert normalize_one(text, scope) == normalize_joined([text], scope), text


@pytest.mark.parametrize(
    "spec",
    [
        NgramSpec(word_ngram_max=3, char_ngram_min=2, char_ngram_max=5, word_bits=22, char_bits=22),
        NgramSpec(word_ngram_max=1, char_ngram_min=1, char_ngram_max=1, word_bits=10, char_bits=12),
        NgramSpec(word_ngram_max=2, char_ngram_min=3, char_ngram_max=0, word_bits=16, char_bits=16),
        NgramSpec(word_ngram_max=4, char_ngram_min=1, char_ngram_max=7, word_bits=20, char_bits=8),
    ],
)
def test_the_one_text_featurizer_gives_the_batch_featurizers_arrays(
    sample_train: Path, spec: NgramSpec
) -> None:
    for text in [*_sample_texts(sample_train), *ONE_TEXT_CASES]:
        normalized = normalize_one(text, 3)
        batch = hashed_ngrams(normalized, 1, spec)
        words, chars = hashed_ngrams_one(normalized, spec)
        assert words.shape == batch.word_buckets.shape and chars.shape == batch.char_buckets.shape, text
        np.testing.assert_array_equal(words, batch.word_buckets, err_msg=text)
        np.testing.assert_array_equal(chars, batch.char_buckets, err_msg=text)
    with pytest.raises(ValueError, match="NUL"):
        hashed_ngrams_one("a\x00b", spec)


def test_one_text_and_a_batch_give_identical_probabilities(trained_model: Path, sample_train: Path) -> None:
    predictor = SentimentPredictor.load(trained_model)
    model = predictor.model
    texts = [*_sample_texts(sample_train), *ONE_TEXT_CASES]
    logits = model.decision_function(texts)
    assert [model.decision_one(text) for text in texts] == logits.tolist()  # bit for bit
    together = predictor.positive_probabilities(texts)
    alone = [predictor.positive_probability_one(text) for text in texts]
    assert alone == together.tolist()
    assert [predictor.predict_one(text) for text in texts] == predictor.predict(texts)
    # A batch of one takes the single-text path; a batch of two (with "") the batch path.
    pairs = [predictor.positive_probabilities([text, ""])[0] for text in texts]
    assert [predictor.positive_probabilities([text])[0] for text in texts] == pairs == alone


def test_the_single_text_cache_is_not_pickled(trained_model: Path) -> None:
    model = SentimentPredictor.load(trained_model).model
    before = model.__getstate__()
    model.decision_one("a fine film")
    after = model.__getstate__()
    assert after.keys() == before.keys()
    restored = pickle.loads(pickle.dumps(model))  # noqa: S301 - bytes pickled just above
    assert restored.decision_one("a fine film") == model.decision_one("a fine film")


def test_the_default_model_is_format_2_and_small_on_disk(trained_model: Path) -> None:
    metadata = json.loads((trained_model / METADATA_FILE).read_text())
    assert metadata["model_format"] == HASHED_MODEL_FORMAT
    predictor = SentimentPredictor.load(trained_model)
    assert isinstance(predictor.model, HashedNgramModel)
    # Only kept buckets are pickled: the 2 x 4M-row tables would be 64 MB.
    assert (trained_model / "model.joblib").stat().st_size < 2_000_000
    restored = pickle.loads(pickle.dumps(predictor.model))  # noqa: S301 - bytes pickled just above
    np.testing.assert_array_equal(restored.char_table_, predictor.model.char_table_)


def test_pruned_and_boundary_buckets_carry_no_weight(trained_model: Path) -> None:
    model = SentimentPredictor.load(trained_model).model
    for table in (model.word_table_, model.char_table_):
        assert table[0, 0] == 0 and table[0, 1] == 0
        assert np.all(table[table[:, 1] == 0, 0] == 0)  # W is 0 wherever Q is (no norm, no weight)
        assert np.count_nonzero(table[:, 1]) > 100


@pytest.fixture(scope="module")
def pipeline_model(
    tmp_path_factory: pytest.TempPathFactory, sample_train: Path, sample_validation: Path
) -> Path:
    """A format-1 model as trained before format 2 existed: a Pipeline, metadata without model_format."""
    model_dir = tmp_path_factory.mktemp("pipeline") / "model"
    hp = Hyperparameters(model_kind="pipeline")
    run_training(TrainingInputs(read_dataset(sample_train), read_dataset(sample_validation), hp), model_dir)
    metadata = json.loads((model_dir / METADATA_FILE).read_text())
    assert metadata.pop("model_format") == PIPELINE_MODEL_FORMAT
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata))
    return model_dir


def test_a_model_trained_before_format_2_still_loads_and_predicts(pipeline_model: Path) -> None:
    predictor = SentimentPredictor.load(pipeline_model)
    texts = ["This product is amazing! I love it.", "Terrible, it broke after a day. Awful.", *ODD_TEXTS]
    batch = predictor.predict(texts)
    assert [answer["label"] for answer in batch[:2]] == ["positive", "negative"]
    for text, expected in zip(texts, batch, strict=True):
        single = predictor.predict_one(text)
        assert single["label"] == expected["label"]
        assert single["probability"] == pytest.approx(expected["probability"], abs=1e-9)


def test_an_unknown_model_format_is_refused_by_name(
    trained_model: Path, tmp_path: Path, python, cli_env
) -> None:
    model_dir = tmp_path / "future"
    shutil.copytree(trained_model, model_dir)
    metadata = json.loads((model_dir / METADATA_FILE).read_text())
    metadata["model_format"] = 3
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata))
    with pytest.raises(
        ModelLoadError, match=rf"model {metadata['model_version']} has model_format 3.*reads formats 1, 2"
    ):
        SentimentPredictor.load(model_dir)
    completed = subprocess.run(
        [python, "-m", "model_code.inference", "--model-path", str(model_dir), "--text", "fine"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "model_format 3" in completed.stderr and len(completed.stderr.strip().splitlines()) == 1


def test_metadata_and_model_file_must_agree_on_the_format(pipeline_model: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "mismatch"
    shutil.copytree(pipeline_model, model_dir)
    metadata = json.loads((model_dir / METADATA_FILE).read_text())
    metadata["model_format"] = HASHED_MODEL_FORMAT
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata))
    with pytest.raises(ModelLoadError, match=r"model_format 2 but model\.joblib holds a Pipeline"):
        SentimentPredictor.load(model_dir)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model_kind": "linear"}, "model_kind"),
        ({"char_analyzer": "char_wb"}, "need model_kind pipeline"),
        ({"max_features": 1000}, "need model_kind pipeline"),
        ({"char_hash_bits": 30}, "char_hash_bits"),
    ],
)
def test_hashed_model_hyperparameters_are_checked(changes: dict[str, object], message: str) -> None:
    with pytest.raises(HyperparameterError, match=message):
        Hyperparameters(**changes)  # type: ignore[arg-type]
    if "model_kind" not in changes and "char_hash_bits" not in changes:
        Hyperparameters(model_kind="pipeline", **changes)  # type: ignore[arg-type]
