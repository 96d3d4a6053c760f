"""The train, evaluate and inference CLIs as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _run(python: str, env: dict[str, str], module: str, *args: str, stdin: bytes | None = None):
    return subprocess.run(
        [python, "-m", module, *args], env=env, input=stdin, capture_output=True, timeout=120, check=False
    )


def test_local_train_cli_prints_summary_with_rejected_counts(tmp_path: Path, python, cli_env, sample_train):
    data = tmp_path / "with_bad_rows.csv"
    data.write_bytes(sample_train.read_bytes() + b",1\nfine text,maybe\n")
    completed = _run(
        python, cli_env, "model_code.train", "--data-path", str(data), "--output-path", str(tmp_path / "m")
    )
    out = completed.stdout.decode()
    assert completed.returncode == 0, completed.stderr
    assert "400 used, 2 rejected" in out and '"empty text": 1' in out and '"unknown label": 1' in out
    assert "validation:accuracy=" in out
    assert (tmp_path / "m" / "model.joblib").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ["--data-path", "/no/such.csv", "--output-path", "OUT"],
        ["--data-path", "SAMPLE", "--output-path", "OUT", "--c", "-1"],
        ["--data-path", "SAMPLE", "--output-path", "OUT", "--text-column", "review"],
        ["--data-path", "SAMPLE", "--output-path", "OUT", "--champion-model-path", "/no/model"],
    ],
)
def test_train_cli_bad_input_is_one_line_error(tmp_path: Path, python, cli_env, sample_train, args):
    args = [str(sample_train) if a == "SAMPLE" else str(tmp_path / "out") if a == "OUT" else a for a in args]
    completed = _run(python, cli_env, "model_code.train", *args)
    stderr = completed.stderr.decode()
    assert completed.returncode == 2
    assert stderr.startswith("train: error: ") and stderr.count("\n") == 1


def test_inference_text(python, cli_env, trained_model):
    completed = _run(
        python,
        cli_env,
        "model_code.inference",
        "--model-path",
        str(trained_model),
        "--text",
        "This product is amazing!",
    )
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["label"] == "positive" and 0.5 <= answer["probability"] <= 1


def test_inference_stdin_one_answer_per_line(python, cli_env, trained_model):
    lines = ["I love it, works great.", "", "Broke after a week. Awful.", "caf\xe9 \u0085 next"]
    stdin = "\n".join(lines).encode() + b"\n\xff\xfe not utf8\n"
    completed = _run(
        python,
        cli_env,
        "model_code.inference",
        "--model-path",
        str(trained_model),
        "--input",
        "-",
        stdin=stdin,
    )
    assert completed.returncode == 0, completed.stderr
    answers = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    assert len(answers) == 5  # U+0085 inside a line does not split it
    assert answers[0]["label"] == "positive" and answers[2]["label"] == "negative"
    assert answers[1] == {"label": None, "probability": None, "error": "empty text"}
    assert "1 line(s) were not valid UTF-8" in completed.stderr.decode()


def test_inference_file_matches_in_process_predictions(
    tmp_path: Path, python, cli_env, trained_model, sample_validation
):
    from model_code.data import read_dataset
    from model_code.predictor import SentimentPredictor

    texts = [row.text.replace("\n", " ") for row in read_dataset(sample_validation).rows]
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    completed = _run(
        python, cli_env, "model_code.inference", "--model-path", str(trained_model), "--input", str(path)
    )
    answers = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    expected = SentimentPredictor.load(trained_model).predict(texts)
    assert [a["label"] for a in answers] == [e["label"] for e in expected]


@pytest.mark.parametrize(
    "args",
    [
        ["--model-path", "/no/model", "--text", "hi"],
        ["--model-path", "MODEL", "--input", "/no/file.txt"],
        ["--model-path", "EMPTYDIR", "--text", "hi"],
    ],
)
def test_inference_bad_input_is_one_line_error(tmp_path: Path, python, cli_env, trained_model, args):
    args = [str(trained_model) if a == "MODEL" else str(tmp_path) if a == "EMPTYDIR" else a for a in args]
    completed = _run(python, cli_env, "model_code.inference", *args)
    stderr = completed.stderr.decode()
    assert completed.returncode == 2
    assert stderr.startswith("inference: error: ") and stderr.count("\n") == 1


def test_corrupt_model_file_is_one_line_error(tmp_path: Path, python, cli_env, trained_model):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "metadata.json").write_bytes((trained_model / "metadata.json").read_bytes())
    (broken / "model.joblib").write_bytes(b"not a pickle")
    completed = _run(python, cli_env, "model_code.inference", "--model-path", str(broken), "--text", "hi")
    assert (
        completed.returncode == 2 and b"corrupt" in completed.stderr and b"Traceback" not in completed.stderr
    )


def test_evaluate_cli_writes_metrics(tmp_path: Path, python, cli_env, trained_model, sample_validation):
    output = tmp_path / "metrics.json"
    completed = _run(
        python, cli_env, "model_code.evaluate", "--model-path", str(trained_model),
        "--data-path", str(sample_validation), "--output", str(output),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    printed = json.loads(completed.stdout)
    assert printed == json.loads(output.read_text())
    saved = json.loads((trained_model / "evaluation.json").read_text())
    # Same model, same rows: the CLI reproduces what train measured.
    assert printed["binary_classification_metrics"] == saved["binary_classification_metrics"]
    assert printed["validation"]["sha256"] == saved["validation"]["sha256"]


def test_evaluate_cli_bad_data(tmp_path: Path, python, cli_env, trained_model):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    completed = _run(
        python, cli_env, "model_code.evaluate", "--model-path", str(trained_model), "--data-path", str(empty)
    )
    assert completed.returncode == 2 and completed.stderr.decode().startswith("evaluate: error: ")
