"""Training on the sample data writes every artifact with sane contents; predict paths agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model_code.data import LabeledText, ReadResult, read_dataset
from model_code.drift_stats import CONFIDENCE_EDGES, LENGTH_EDGES
from model_code.hyperparameters import Hyperparameters
from model_code.predictor import SentimentPredictor
from model_code.training import TrainingInputs, run_training, stratified_split


def test_all_artifacts_written_with_sane_metrics(trained_model: Path):
    names = {path.name for path in trained_model.iterdir()}
    assert {"model.joblib", "metadata.json", "evaluation.json", "baseline.json"} <= names
    evaluation = json.loads((trained_model / "evaluation.json").read_text())
    metrics = evaluation["binary_classification_metrics"]
    # The sample validation set is small and written to be clear; a working model gets most of it.
    assert metrics["accuracy"]["value"] >= 0.8
    assert metrics["auc"]["value"] >= 0.85
    matrix = metrics["confusion_matrix"]
    assert sum(matrix[a][b] for a in "01" for b in "01") == evaluation["validation"]["rows"] == 90
    assert evaluation["champion"] is None
    assert len(evaluation["validation"]["sha256"]) == 64
    metadata = json.loads((trained_model / "metadata.json").read_text())
    assert metadata["model_version"] == evaluation["model_version"]
    assert metadata["hyperparameters"] == Hyperparameters().to_dict()
    assert metadata["training_data"]["rows"] == 400


def test_baseline_has_fixed_bins_and_rates(trained_model: Path):
    baseline = json.loads((trained_model / "baseline.json").read_text())
    assert baseline["text_length_tokens"]["bin_edges"] == LENGTH_EDGES
    assert baseline["confidence"]["bin_edges"] == CONFIDENCE_EDGES
    assert sum(baseline["confidence"]["counts"]) == baseline["reference"]["rows"] == 90
    assert 0.2 < baseline["predicted_positive_rate"] < 0.8
    assert 0.0 <= baseline["oov_rate"]["mean"] < 0.5
    counts = baseline["vocabulary"]["token_counts"]
    assert counts["."] >= 2 and counts["the"] >= 2
    assert min(counts.values()) >= 2  # tokens seen once are left out (bounded size)
    reference = baseline["drift_reference"]
    assert reference["rows"] == 90
    assert all(len(values) == 90 for values in reference["features"].values())
    assert len(reference["token_ids"]) == 90


def test_predictions_follow_sentiment(trained_model: Path):
    predictor = SentimentPredictor.load(trained_model)
    answers = predictor.predict(
        ["This product is amazing! I love it.", "Terrible, it broke after a day. Awful."]
    )
    assert [answer["label"] for answer in answers] == ["positive", "negative"]
    assert all(0.5 <= answer["probability"] <= 1.0 for answer in answers)


def test_predict_one_matches_predict_on_many_texts(trained_model: Path, sample_validation: Path):
    predictor = SentimentPredictor.load(trained_model)
    texts = [row.text for row in read_dataset(sample_validation).rows]
    texts += [
        "",
        "   ",
        "!!!",
        "ÜBER gut 😀",
        "not not bad",
        "x" * 5000,
        "it 's a ca n't -lrb- miss -rrb-",
        "a\u0085b",
    ]
    batch = predictor.predict(texts)
    for text, expected in zip(texts, batch, strict=True):
        single = predictor.predict_one(text)
        assert single["label"] == expected["label"], text
        assert single["probability"] == pytest.approx(expected["probability"], abs=1e-9), text


def test_champion_is_scored_on_the_same_rows(trained_model: Path, sample_train: Path, tmp_path: Path):
    from model_code.champion import load_champion

    champion = load_champion(trained_model)
    inputs = TrainingInputs(
        read_dataset(sample_train), None, Hyperparameters(char_ngram_max=0, refit_full=True), champion
    )
    result = run_training(inputs, tmp_path / "candidate")
    evaluation = result["evaluation"]
    rows = evaluation["validation"]["rows"]
    champion_matrix = evaluation["champion"]["confusion_matrix"]
    assert sum(champion_matrix[a][b] for a in "01" for b in "01") == rows
    assert result["metadata"]["champion_model_version"] == champion.model_version
    assert result["metadata"]["training_data"]["rows_fitted"] == 400  # refit on all rows after the split


def test_one_class_training_data_is_a_clear_error(tmp_path: Path):
    from model_code.data import DataError

    rows = [LabeledText(f"good {i}", 1) for i in range(20)]
    inputs = TrainingInputs(ReadResult(rows=rows, rejected=[], fmt="csv"), None, Hyperparameters())
    with pytest.raises(DataError, match="both positive and negative"):
        run_training(inputs, tmp_path / "m")


def test_stratified_split_keeps_class_shares_and_is_reproducible():
    rows = [LabeledText(str(i), int(i % 4 == 0)) for i in range(400)]
    train, validation = stratified_split(rows, 0.1, seed=1)
    assert len(validation) == 40 and len(train) == 360
    assert sum(row.label for row in validation) == 10
    assert stratified_split(rows, 0.1, seed=1) == (train, validation)
    assert not set(train) & set(validation)


def test_stratified_split_caps_validation_rows_and_keeps_class_shares():
    rows = [LabeledText(str(i), int(i % 4 == 0)) for i in range(4000)]
    train, validation = stratified_split(rows, 0.1, seed=1, max_rows=200)
    assert len(validation) == 200 and len(train) == 3800
    assert sum(row.label for row in validation) == 50
    assert not set(train) & set(validation)
    # a cap above fraction * rows changes nothing; 0 means no cap
    assert stratified_split(rows, 0.1, seed=1, max_rows=1000) == stratified_split(rows, 0.1, seed=1)
    assert len(stratified_split(rows, 0.1, seed=1, max_rows=0)[1]) == 400


def test_run_training_caps_the_validation_split_by_default(tmp_path):
    rows = [
        LabeledText(f"great fine movie {i}" if i % 2 else f"awful bad movie {i}", i % 2) for i in range(300)
    ]
    hp = Hyperparameters(validation_max_rows=10, char_ngram_max=0, min_df=1)
    result = run_training(
        TrainingInputs(ReadResult(rows=rows, rejected=[], fmt="csv"), None, hp), tmp_path / "m"
    )
    assert result["metadata"]["validation_data"]["rows"] == 10
    assert result["metadata"]["training_data"]["rows_fitted"] == 290
    assert Hyperparameters().validation_max_rows == 2000
