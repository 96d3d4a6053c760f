"""The drift score on real model outputs: quiet for same-domain traffic, loud for another domain,
silent (with a reason) for too few requests; and the CLI on plain texts, capture files and bad input."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest

from model_code.data import ReadResult, read_dataset
from model_code.drift_features import FEATURES, FeatureWindow, Vocabulary, request_features
from model_code.drift_score import (
    MIN_REQUESTS,
    THRESHOLD,
    drift_report,
    psi_test,
    score_columns,
    score_from_p,
)
from model_code.hyperparameters import Hyperparameters
from model_code.predictor import SentimentPredictor
from model_code.training import TrainingInputs, run_training

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split_model(tmp_path_factory: pytest.TempPathFactory, sample_train: Path, sample_validation: Path):
    """A model trained WITHOUT the first 120 sample reviews, which serve as same-domain traffic."""
    train = read_dataset(sample_train)
    held_out, fitted = train.rows[:120], train.rows[120:]
    model_dir = tmp_path_factory.mktemp("drift-model")
    inputs = TrainingInputs(
        ReadResult(rows=fitted, rejected=[], fmt=train.fmt),
        read_dataset(sample_validation),
        Hyperparameters(),
    )
    run_training(inputs, model_dir)
    return model_dir, [row.text for row in held_out]


def other_domain_texts(count: int, seed: int = 1) -> list[str]:
    """Financial news: a domain the sample reviews never touch (words, length and tone)."""
    generator = random.Random(seed)  # noqa: S311 - test data, not security
    companies = ["Acme Holdings", "Globex", "Initech", "Umbrella Corp", "Hooli", "Stark Industries"]
    verbs = ["rose", "fell", "slipped", "climbed", "edged up", "dropped"]
    reasons = [
        "after quarterly earnings beat analyst forecasts",
        "as the central bank held interest rates steady",
        "following a regulatory filing on Tuesday",
        "amid merger speculation in Asian trading",
        "on weaker than expected semiconductor demand",
    ]
    return [
        f"Shares of {generator.choice(companies)} {generator.choice(verbs)} {generator.randint(1, 9)}."
        f"{generator.randint(0, 9)} percent {generator.choice(reasons)}, "
        f"according to exchange data released at {generator.randint(1, 12)} pm."
        for _ in range(count)
    ]


def _window(model_dir: Path, texts: list[str]) -> FeatureWindow:
    baseline = json.loads((model_dir / "baseline.json").read_text())
    vocabulary = Vocabulary.from_baseline(baseline)
    predictor = SentimentPredictor.load(model_dir)
    window = FeatureWindow()
    for text, answer in zip(texts, predictor.predict(texts), strict=True):
        positive = answer["probability"] if answer["label"] == "positive" else 1 - answer["probability"]
        window.add(request_features(vocabulary, text, positive))
    return window


def test_same_domain_traffic_scores_below_threshold(split_model):
    model_dir, held_out = split_model
    baseline = json.loads((model_dir / "baseline.json").read_text())
    report = drift_report(baseline, _window(model_dir, held_out))
    assert report["requests"] == 120
    assert report["score"] < THRESHOLD and report["drifted"] is False
    assert "reason" not in report
    assert set(report["features"]) == {*FEATURES, "words", "predicted_positive_rate"}
    length = report["features"]["length"]
    assert {"mean", "baseline_mean", "psi", "psi_p_value", "ks"} <= set(length)
    assert 0.0 <= length["ks"]["p_value"] <= 1.0


def test_other_domain_traffic_scores_above_threshold(split_model):
    model_dir, _ = split_model
    baseline = json.loads((model_dir / "baseline.json").read_text())
    report = drift_report(baseline, _window(model_dir, other_domain_texts(120)))
    assert report["score"] > THRESHOLD and report["drifted"] is True
    assert report["features"]["length"]["mean"] > report["features"]["length"]["baseline_mean"]


def test_too_small_window_is_reported_not_scored(split_model):
    model_dir, held_out = split_model
    baseline = json.loads((model_dir / "baseline.json").read_text())
    report = drift_report(baseline, _window(model_dir, held_out[: MIN_REQUESTS - 1]))
    assert report["score"] is None and report["drifted"] is False
    assert report["requests"] == MIN_REQUESTS - 1
    assert "too few requests" in report["reason"]


def test_score_is_point_three_at_the_five_percent_point():
    assert score_from_p(0.05) == pytest.approx(THRESHOLD)
    assert score_from_p(1.0) == 0.0
    assert score_from_p(0.0025) == pytest.approx(2 * THRESHOLD)
    assert score_from_p(0.0) > 10


def test_window_sample_is_bounded_but_counts_everything():
    window = FeatureWindow(max_sample=10)
    vocabulary = Vocabulary({"good": 50, "film": 50}, 100)
    for index in range(1000):
        window.add(request_features(vocabulary, "good film" if index % 2 else "bad", 0.9))
    assert window.requests == 1000 and window.predicted_positive == 1000
    assert all(len(column) == 10 for column in window.columns().values())
    assert len(window.sample_token_ids) == 10
    assert window.means()["length"] == pytest.approx(1.5)


def _cli(python: str, cli_env: dict[str, str], *args: str, stdin: str | None = None):
    return subprocess.run(
        [python, "-m", "model_code.drift", *args],
        capture_output=True,
        text=True,
        env=cli_env,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_cli_scores_plain_texts_and_capture_files_alike(split_model, tmp_path, python, cli_env):
    model_dir, _ = split_model
    texts = other_domain_texts(80)
    plain = tmp_path / "texts.txt"
    plain.write_text("\n".join(texts) + "\n\n", encoding="utf-8")
    predictor = SentimentPredictor.load(model_dir)
    capture = tmp_path / "capture.jsonl"
    lines = []
    for text, answer in zip(texts, predictor.predict(texts), strict=True):
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "application/json",
                    "mode": "INPUT",
                    "data": json.dumps({"text": text}),
                    "encoding": "JSON",
                },
                "endpointOutput": {
                    "observedContentType": "application/json",
                    "mode": "OUTPUT",
                    "data": json.dumps({**answer, "model_version": "v"}),
                    "encoding": "JSON",
                },
            },
            "eventMetadata": {"eventId": "e", "inferenceTime": "2026-11-29T10:00:00Z"},
            "eventVersion": "0",
        }
        lines.append(json.dumps(record))
    capture.write_text("\n".join([*lines, "{truncated"]) + "\n", encoding="utf-8")

    from_texts = _cli(python, cli_env, "--model-path", str(model_dir), "--input", str(plain))
    from_capture = _cli(python, cli_env, "--model-path", str(model_dir), "--input", str(capture))
    assert from_texts.returncode == 0, from_texts.stderr
    assert from_capture.returncode == 0, from_capture.stderr
    texts_report, capture_report = json.loads(from_texts.stdout), json.loads(from_capture.stdout)
    assert texts_report["requests"] == capture_report["requests"] == 80
    assert texts_report["drifted"] is True
    assert texts_report["score"] == pytest.approx(capture_report["score"], rel=1e-6)
    assert texts_report["input"]["format"] == "texts"
    assert capture_report["input"]["format"] == "sagemaker-capture"
    assert capture_report["input"]["malformed"] == 1


def test_cli_reports_small_window_with_reason(split_model, python, cli_env):
    model_dir, held_out = split_model
    result = _cli(
        python, cli_env, "--model-path", str(model_dir), "--input", "-", stdin="\n".join(held_out[:5])
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["requests"] == 5 and report["score"] is None and "too few" in report["reason"]


@pytest.fixture
def cli(python, cli_env):
    return lambda *args, stdin=None: _cli(python, cli_env, *args, stdin=stdin)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing-model", "model directory not found"),
        ("missing-input", "input file not found"),
        ("json-not-capture", "not a SageMaker capture record"),
        ("old-baseline", "no drift reference"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(case, message, split_model, tmp_path, cli):
    model_dir, _ = split_model
    texts = tmp_path / "in.txt"
    texts.write_text("fine\n", encoding="utf-8")
    args = ["--model-path", str(model_dir), "--input", str(texts)]
    if case == "missing-model":
        args[1] = str(tmp_path / "nope")
    elif case == "missing-input":
        args[3] = str(tmp_path / "nope.txt")
    elif case == "json-not-capture":
        texts.write_text('{"text": "fine"}\n', encoding="utf-8")
    else:
        old = tmp_path / "old-model"
        old.mkdir()
        baseline = json.loads((model_dir / "baseline.json").read_text())
        del baseline["drift_reference"]
        (old / "baseline.json").write_text(json.dumps(baseline))
        args[1] = str(old)
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def _synthetic(generator: np.random.Generator, size: int, shifted: float = 0.0) -> dict[str, np.ndarray]:
    """Feature columns shaped like real ones; ``shifted`` of the rows come from another source."""
    moved = generator.random(size) < shifted
    positive = generator.beta(0.6, 0.6, size)
    return {
        "length": np.where(moved, generator.poisson(8, size), generator.poisson(20, size)).astype(float),
        "oov_rate": generator.beta(1, 12, size),
        "surprise": generator.normal(10, 1, size) + 2 * moved,
        "confidence": np.maximum(positive, 1 - positive),
        "positive_probability": positive,
    }


@pytest.mark.parametrize("size", [100, 500, 2000])
def test_tests_are_calibrated_and_see_a_partial_shift(size):
    # False alarms are a property of reference AND window: fresh references, two windows each.
    generator = np.random.default_rng(size)
    alarms = 0
    for _ in range(30):
        reference = _synthetic(generator, 900)
        alarms += sum(
            score_columns(reference, _synthetic(generator, size))["score"] > THRESHOLD for _ in range(2)
        )
    assert alarms <= 6  # 5 % of 60 is 3; 6 or more has probability < 8 % even at exactly 5 %
    loud = score_columns(_synthetic(generator, 900), _synthetic(generator, size, shifted=0.3))
    assert loud["score"] > THRESHOLD
    assert loud["tests"]["length.ks"]["p_value"] < 1e-3


def test_psi_p_value_scales_with_sample_sizes():
    quiet, drifted = [], []
    for seed in range(5):
        generator = np.random.default_rng(seed)
        reference = generator.normal(0, 1, 1000)
        quiet.append(psi_test(reference, generator.normal(0, 1, 100)))
        drifted.append(psi_test(reference, generator.normal(0.3, 1, 5000)))
    assert all(p > 0.01 for _, p in quiet) and all(p < 1e-8 for _, p in drifted)
    # ... although the raw PSI of a quiet small window can exceed that of a drifted large one
    assert max(psi for psi, _ in quiet) > min(psi for psi, _ in drifted)


def test_every_feature_reports_its_window_mean_and_tests(split_model):
    model_dir, held_out = split_model
    baseline = json.loads((model_dir / "baseline.json").read_text())
    features = drift_report(baseline, _window(model_dir, held_out))["features"]
    for name in FEATURES:
        assert isinstance(features[name]["mean"], float) and isinstance(
            features[name]["baseline_mean"], float
        )
    assert 0.0 <= features["positive_probability"]["welch"]["p_value"] <= 1.0
    assert 0.5 <= features["confidence"]["mean"] <= 1.0
