"""notebooks/model_development.ipynb runs top to bottom with the product's modules; ships without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from config.monitoring import MonitoringSettings

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "model_development.ipynb"
SUMMARY_PREFIX = "NOTEBOOK_SUMMARY "
# One worker executes the notebook once for every test that reads it.
pytestmark = pytest.mark.xdist_group("notebook")


def test_the_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.fixture(scope="session")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()  # raises CellExecutionError naming the cell when one fails
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    texts = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    (line,) = [line for line in texts.splitlines() if line.startswith(SUMMARY_PREFIX)]
    return outputs, json.loads(line.removeprefix(SUMMARY_PREFIX))


@pytest.mark.slow
def test_every_section_draws_its_figure(executed):
    outputs, _ = executed
    figures = [output for output in outputs if "image/png" in output.get("data", {})]
    # learning curve, confusion matrix + calibration, features, lengths, drift scores
    assert len(figures) == 5


@pytest.mark.slow
def test_the_notebook_trains_a_useful_model_and_tells_shifted_traffic_apart(executed):
    _, summary = executed
    assert summary["held_out_accuracy"] > 0.8
    curve = list(summary["learning_curve"].values())
    assert len(curve) == 5 and curve[-1] > curve[0]
    scores = summary["drift_scores"]
    in_domain, half, other = scores.values()
    assert in_domain < MonitoringSettings().drift_threshold < half < other
    assert summary["most_positive"] and summary["most_negative"]
    assert not set(summary["most_positive"]) & set(summary["most_negative"])
