"""``python -m ops_cli.smoke_test`` as the deploy workflow and the pipeline run it, against real servers:
the model's own ``serve`` (must pass) and a fake that answers wrongly, slowly or not at all."""

from __future__ import annotations

import json
import re

import pytest

from tests.delivery.conftest import CASES, run_smoke_test
from tests.serving.conftest import free_port

pytestmark = pytest.mark.slow
FORMAT_LINES = (
    "json batch (application/json)",
    "json single (application/json)",
    "jsonlines (application/jsonlines)",
    "csv (text/csv)",
)


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_passes_against_the_real_server_in_every_format(real_server):
    result = run_smoke_test("--url", f"http://127.0.0.1:{real_server.port}")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in FORMAT_LINES:
        assert f"ok    {name}: 8/8 labels right" in result.stdout
    assert _last_line(result.stdout).startswith(
        f"smoke test passed against http://127.0.0.1:{real_server.port}"
    )
    assert result.stderr == ""


def test_expected_labels_that_the_model_does_not_give_fail_and_are_named(real_server, tmp_path):
    cases = json.loads(CASES.read_text())
    cases["cases"][0]["label"] = "negative"  # "I love it, works perfectly." is positive
    wrong = tmp_path / "cases.json"
    wrong.write_text(json.dumps(cases))
    result = run_smoke_test("--url", f"http://127.0.0.1:{real_server.port}", "--cases", str(wrong))
    assert result.returncode == 1
    assert "FAIL  csv (text/csv):" in result.stdout
    assert "'I love it, works perfectly.': expected negative, got 'positive'" in _last_line(result.stderr)


def test_a_server_with_wrong_labels_fails_naming_each_format_and_text(fake_server):
    result = run_smoke_test("--url", fake_server("wrong-labels"))
    assert result.returncode == 1
    for name in FORMAT_LINES:
        assert f"FAIL  {name}:" in result.stdout
    assert (
        "'Broke after two days, a total waste of money.': expected negative, got 'positive'" in result.stdout
    )
    summary = _last_line(result.stderr)
    assert summary.startswith("smoke test failed against http://127.0.0.1:")
    assert "json batch: 'I love it, works perfectly.': expected positive, got 'negative' (p=0.90)" in summary


def test_a_correct_but_slow_server_fails_on_the_latency_budget(fake_server):
    url = fake_server("right", delay=0.25)
    result = run_smoke_test("--url", url, "--latency-budget-ms", "100", "--repeat", "1")
    assert result.returncode == 1
    assert "labels right" not in result.stdout
    measured = re.search(
        r"json batch: median latency (\d+) ms is over the 100 ms budget", _last_line(result.stderr)
    )
    assert measured, result.stderr
    assert int(measured[1]) >= 250  # the server's delay, measured, not the budget echoed back


def test_the_same_slow_server_passes_with_a_budget_it_meets(fake_server):
    url = fake_server("right", delay=0.05)
    result = run_smoke_test("--url", url, "--latency-budget-ms", "2000", "--repeat", "1")
    assert result.returncode == 0, result.stderr
    assert "model version fake-1" in result.stdout


def test_a_server_that_never_answers_in_time_fails_with_the_timeout(fake_server):
    url = fake_server("right", delay=5)
    result = run_smoke_test("--url", url, "--timeout", "0.5", "--warmup", "0", "--repeat", "1")
    assert result.returncode == 1
    assert f"json batch: POST {url}/invocations: no answer within 0.5 s" in _last_line(result.stderr)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("error", 'json batch: answered HTTP 500: \'{"error": "model exploded"}\''),
        ("garbage", "json batch: answer is not JSON (Expecting value): '<html>oops</html>'"),
        ("not-ready", "/ping answered 503, expected 200"),
    ],
)
def test_server_errors_fail_with_what_went_wrong(fake_server, mode, expected):
    result = run_smoke_test("--url", fake_server(mode))
    assert result.returncode == 1
    assert expected in _last_line(result.stderr)


def test_nothing_listening_is_a_one_line_failure():
    port = free_port()
    result = run_smoke_test("--url", f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"smoke test failed: GET http://127.0.0.1:{port}/ping: [Errno 111] Connection refused"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read cases file"),
        ("not json", "is not JSON"),
        ('{"cases": [{"text": "fine", "label": "meh"}]}', "cases[0] needs a non-blank 'text' and a 'label'"),
        ('{"cases": [{"text": "fine", "label": "positive"}]}', "must have cases of both labels"),
    ],
)
def test_a_bad_cases_file_is_a_usage_error(tmp_path, content, message):
    cases = tmp_path / "cases.json"
    if content is not None:
        cases.write_text(content)
    result = run_smoke_test("--url", "http://127.0.0.1:1", "--cases", str(cases))
    assert result.returncode == 2
    assert result.stderr.startswith("smoke test cannot start: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_url_is_a_usage_error():
    result = run_smoke_test("--url", "127.0.0.1:8080")
    assert result.returncode == 2
    assert "--url must look like http://127.0.0.1:8080" in result.stderr
