"""The model image is built from model_code/ alone, so the few names it writes are mirrored there.

These tests keep each mirror equal to its definition in mlops_contracts.
"""

from __future__ import annotations

from mlops_contracts import layout, metrics
from model_code import artifacts, evaluate
from pipeline_core.training_job import METRIC_DEFINITIONS


def test_the_metrics_train_prints_are_the_ones_registration_and_the_job_definition_read() -> None:
    assert evaluate.LOGGED_METRICS == metrics.VALIDATION_METRICS
    lines = evaluate.metric_log_lines({name: {"value": 0.5} for name in evaluate.LOGGED_METRICS})
    assert [line.split("=")[0] + "=" for line in lines] == [
        definition["Regex"].split("(")[0] for definition in METRIC_DEFINITIONS
    ]


def test_the_files_train_writes_are_the_ones_registration_reads() -> None:
    assert artifacts.EVALUATION_FILE == layout.EVALUATION_FILE
    assert artifacts.BASELINE_FILE == layout.BASELINE_FILE
    assert artifacts.METADATA_FILE == layout.METADATA_FILE


def test_the_content_types_the_server_and_the_capture_reader_know_are_the_contracts() -> None:
    """The model image copies only model_code/, so it keeps its own copy of the names; they must agree."""
    from mlops_contracts import content_types
    from model_code import capture_records
    from model_code.server import codecs

    assert (codecs.JSON, codecs.JSONLINES, codecs.CSV) == content_types.INFERENCE_TYPES
    assert capture_records._JSON == content_types.JSON and capture_records._CSV == content_types.CSV
    assert content_types.JSON_LINES in capture_records._JSONLINES
