"""The README's operations section, as one session against moto: every command a person runs, in order.

With ``SERVING_TRANSCRIPT=<file>`` the commands and their real output are written to that file, which is
where the README's examples come from:
``SERVING_TRANSCRIPT=/tmp/t.md .venv/bin/python -m pytest tests/endpoint -k walkthrough -n 0``.
"""

from __future__ import annotations

import json
import os

import boto3
from botocore.stub import ANY, Stubber

from ops_cli.cli import main


def test_operations_walkthrough(fleet, kit, tmp_path, capsys):
    kit.put_state(fleet.ssm, champion=fleet.packages[1], challenger=fleet.packages[2])
    kit.create_endpoint(fleet.sagemaker, fleet.packages[1], fleet.packages[2])
    labels = {**kit.capture(fleet, "champion", 400, 340), **kit.capture(fleet, "challenger", 400, 362)}
    labels_file = tmp_path / "labels.jsonl"
    labels_file.write_text("\n".join(json.dumps({"inference_id": k, "label": v}) for k, v in labels.items()))
    fleet.s3.put_object(
        Bucket="data-dev", Key="batch-input/2025-06/reviews.jsonl", Body=b'{"text": "great"}\n'
    )
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    stubber = Stubber(cloudwatch)
    stubber.activate()
    stubber.add_response(
        "get_metric_data", kit.metric_response(), {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY}
    )

    def factory(service: str, **kwargs):
        if service == "cloudwatch":
            return cloudwatch
        return fleet.sagemaker if service == "sagemaker" else boto3.client(service, region_name="us-east-1")

    transcript: list[str] = []

    def run(*argv: str) -> tuple[int, str]:
        code = main([*argv, "--env", "dev"], client=factory)
        captured = capsys.readouterr()
        shown = " ".join(a if " " not in a else f"'{a}'" for a in argv).replace(
            str(labels_file), "labels.jsonl"
        )
        transcript.append(f"$ python -m ops_cli {shown} --env dev\n{captured.out}{captured.err}".rstrip())
        return code, captured.out + captured.err

    assert run("endpoint")[0] == 0
    code, out = run("shift-traffic", "champion=0.8", "challenger=0.2")
    assert code == 0 and fleet.live_weights() == {"champion": 0.8, "challenger": 0.2}
    code, out = run("shift-traffic", "champion=0", "challenger=0")
    assert code == 1 and out == "error: weights must not all be 0: the endpoint would send traffic nowhere\n"
    code, out = run("ab-report", "--labels", str(labels_file))
    assert code == 0 and "recommendation: promote" in out
    fleet.sagemaker.expect_update()
    code, out = run("promote")
    assert code == 0 and fleet.state_value("champion") == fleet.packages[2]
    assert run("endpoint")[0] == 0
    fleet.sagemaker.expect_update()
    code, out = run("rollback")
    assert code == 0 and fleet.state_value("champion") == fleet.packages[1]
    code, out = run("rollback")
    assert code == 1 and "no approved version older than version 1" in out
    code, out = run("batch-score", "--model", "1", "--input", "s3://data-dev/batch-input/2025-06/")
    assert code == 0
    if os.environ.get("SERVING_TRANSCRIPT"):
        with open(os.environ["SERVING_TRANSCRIPT"], "w", encoding="utf-8") as handle:
            handle.write("\n\n".join(transcript) + "\n")
