"""The real ``train`` entry point in SageMaker container mode against a temporary /opt/ml."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _opt_ml(root: Path, train_file: Path, hyperparameters: dict[str, str]) -> None:
    (root / "input" / "config").mkdir(parents=True)
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (root / "input" / "data" / "train").mkdir(parents=True)
    shutil.copy(train_file, root / "input" / "data" / "train" / train_file.name)


def _run_train(python: str, env: dict[str, str], root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "model_code.train", *args],
        env={**env, "OPT_ML_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_container_train_writes_model_outputs_and_metric_lines(  # noqa: PLR0917 - pytest fixtures
    tmp_path: Path, python, cli_env, sample_train, sample_validation, trained_model
):
    root = tmp_path / "opt_ml"
    _opt_ml(root, sample_train, {"c": "2", "sagemaker_program": "train", "mlops_trigger_reason": "manual"})
    (root / "input" / "data" / "validation").mkdir()
    shutil.copy(sample_validation, root / "input" / "data" / "validation" / "validation.csv")
    # The champion channel holds model.tar.gz, as SageMaker delivers a model package's artifact.
    champion = root / "input" / "data" / "champion"
    champion.mkdir()
    with tarfile.open(champion / "model.tar.gz", "w:gz") as archive:
        for path in trained_model.iterdir():
            archive.add(path, arcname=path.name)
    (root / "checkpoints").mkdir()  # a spot restart finds the directory already there

    completed = _run_train(python, cli_env, root)
    assert completed.returncode == 0, completed.stderr
    assert "validation:accuracy=" in completed.stdout and "champion:accuracy=" in completed.stdout
    assert {p.name for p in (root / "model").iterdir()} >= {
        "model.joblib",
        "metadata.json",
        "evaluation.json",
    }
    evaluation = json.loads((root / "output" / "data" / "evaluation.json").read_text())
    assert evaluation["validation"]["rows"] == 90
    assert evaluation["champion"]["accuracy"]["value"] >= 0.8
    baseline = json.loads((root / "output" / "data" / "baseline.json").read_text())
    assert baseline["schema_version"] == 2 and baseline["drift_reference"]["rows"] == 90
    assert json.loads((root / "model" / "metadata.json").read_text())["hyperparameters"]["c"] == 2.0
    assert not (root / "output" / "failure").exists()


@pytest.mark.parametrize(
    ("hyperparameters", "reason"),
    [({"C": "1"}, "unknown hyperparameter(s): C"), ({"label_column": "stars"}, "no usable columns")],
)
def test_container_train_failure_writes_failure_file(  # noqa: PLR0917 - pytest fixtures
    tmp_path: Path, python, cli_env, sample_train, hyperparameters, reason
):
    root = tmp_path / "opt_ml"
    _opt_ml(root, sample_train, hyperparameters)
    completed = _run_train(python, cli_env, root, "--sagemaker")
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr
    assert reason in (root / "output" / "failure").read_text()
    assert not (root / "model" / "model.joblib").exists()


def test_container_train_without_train_channel_fails_cleanly(tmp_path: Path, python, cli_env):
    completed = _run_train(python, cli_env, tmp_path / "empty_root")
    assert completed.returncode != 0
    assert (
        "missing required input channel 'train'"
        in (tmp_path / "empty_root" / "output" / "failure").read_text()
    )
