"""Preprocessing Lambda against moto: cleaned data, a manifest whose counts add up, nothing lost."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from lambda_functions.preprocess import handler as preprocess_handler
from lambda_functions.preprocess.config import PreprocessConfig
from lambda_functions.preprocess.events import parse_upload
from lambda_functions.preprocess.process import process_upload
from model_code.data import parse_records

GOOD_REVIEWS = [(f"review number {i} was {'great' if i % 2 else 'awful'}", i % 2) for i in range(60)]


def preprocess_env(kit: Any, topic_arn: str) -> dict[str, str]:
    return {
        "DATA_BUCKET": kit.DATA_BUCKET,
        "VALIDATION_FRACTION": "0.2",
        "MAX_INPUT_BYTES": "100000",
        "ALERT_TOPIC_ARN": topic_arn,
    }


def upload(aws: Any, kit: Any, key: str, body: bytes) -> dict[str, Any]:
    aws.s3.put_object(Bucket=kit.DATA_BUCKET, Key=key, Body=body)
    event = kit.load_event("s3_object_created.json", DATA_BUCKET=kit.DATA_BUCKET, OBJECT_KEY=key)
    event["detail"]["object"]["size"] = len(body)
    config = PreprocessConfig.from_env(preprocess_env(kit, aws.topic_arn))
    return process_upload(parse_upload(event), config, s3=aws.s3, sns=aws.sns)


def read(aws: Any, kit: Any, key: str) -> bytes:
    return aws.s3.get_object(Bucket=kit.DATA_BUCKET, Key=key)["Body"].read()


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def messy_file() -> bytes:
    lines = ["text,label"] + [f'"{text}",{label}' for text, label in GOOD_REVIEWS]
    lines += [
        '"",1',  # empty text
        '"loved it",maybe',  # unknown label
        '"too, many",1,extra',  # wrong column count
        f'"{GOOD_REVIEWS[3][0].upper()}  ",{GOOD_REVIEWS[3][1]}',  # duplicate (case and spaces differ)
        '"it was fine",1',
        '"It was fine",0',  # conflicting labels: both rejected
        "",  # blank line: not a row
    ]
    return ("\n".join(lines) + "\n").encode("utf-8") + b'"caf\xe9 bad",0\n'  # not UTF-8


def test_bad_rows_give_cleaned_data_a_manifest_that_adds_up_and_every_rejected_row(aws, kit) -> None:
    result = upload(aws, kit, "raw/reviews.csv", messy_file())

    assert result["status"] == "processed"
    prefix = result["prefix"]
    manifest = json.loads(read(aws, kit, prefix + "manifest.json"))
    counts = manifest["counts"]
    assert counts["input_rows"] == counts["accepted"] + counts["rejected"] == 60 + 7
    assert counts["accepted"] == counts["train"] + counts["validation"] == 60
    assert counts["rejected"] == 7 and counts["blank_lines"] == 1 and counts["header_lines"] == 1
    assert manifest["rejected_by_reason"] == {
        "conflicting labels": 2,
        "duplicate": 1,
        "empty text": 1,
        "not valid UTF-8": 1,
        "unknown label": 1,
        "wrong column count": 1,
    }
    rejected = csv_rows(read(aws, kit, prefix + "rejected.csv"))
    assert len(rejected) == 7 and all(row["reason"] for row in rejected)
    assert any("loved it" in row["raw"] and row["reason"].startswith("unknown label") for row in rejected)

    train = parse_records(read(aws, kit, prefix + "train.csv"), name="train.csv")
    validation = parse_records(read(aws, kit, prefix + "validation.csv"), name="validation.csv")
    assert train.rejected == validation.rejected == []
    kept = {(row.text, row.label) for row in train.rows + validation.rows}
    assert kept == set(GOOD_REVIEWS)  # every good row once, none of the bad ones
    assert not {row.text for row in train.rows} & {row.text for row in validation.rows}
    for name, output in manifest["outputs"].items():
        assert hashlib.sha256(read(aws, kit, output["key"])).hexdigest() == output["sha256"], name
    assert manifest["input"]["sha256"] == hashlib.sha256(messy_file()).hexdigest()
    assert manifest["version"] == result["version"] and result["version"].startswith("20250601T183000Z-")
    assert result["version"].endswith(manifest["digest"][:12])
    assert read(aws, kit, "raw/reviews.csv") == messy_file()  # the upload itself is kept


def test_same_upload_event_twice_writes_the_same_version(aws, kit) -> None:
    first = upload(aws, kit, "raw/reviews.csv", messy_file())
    second = upload(aws, kit, "raw/reviews.csv", messy_file())
    assert first["version"] == second["version"]
    listed = aws.s3.list_objects_v2(Bucket=kit.DATA_BUCKET, Prefix="processed/", Delimiter="/")
    assert len(listed["CommonPrefixes"]) == 1


def test_tsv_and_jsonl_uploads_are_accepted(aws, kit) -> None:
    tsv = "sentence\tlabel\n".replace("sentence", "text") + "".join(
        f"{t}\t{lab}\n" for t, lab in GOOD_REVIEWS
    )
    jsonl = "".join(
        json.dumps({"text": t, "label": "positive" if lab else "negative"}) + "\n" for t, lab in GOOD_REVIEWS
    )
    assert upload(aws, kit, "raw/a.tsv", tsv.encode())["counts"]["accepted"] == 60
    assert upload(aws, kit, "raw/b.jsonl", jsonl.encode())["counts"]["accepted"] == 60


def rejection(aws: Any, kit: Any, key: str, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    result = upload(aws, kit, key, body)
    assert result["status"] == "rejected"
    record = json.loads(read(aws, kit, result["reason_key"]))
    assert aws.s3.list_objects_v2(Bucket=kit.DATA_BUCKET, Prefix="processed/").get("KeyCount", 0) == 0
    assert read(aws, kit, key) == body  # nothing lost: the upload stays where it was
    alerts = aws.alerts()
    assert len(alerts) == 1 and key in alerts[0]["subject"]
    assert alerts[0]["body"]["reason"] == record["reason"]
    return result, record


def test_non_csv_upload_is_rejected_with_a_clear_reason(aws, kit) -> None:
    result, record = rejection(aws, kit, "raw/photo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    assert result["reason_key"] == "rejected/photo.png.reason.json"
    assert record["reason"].startswith("unsupported file type '.png'")
    assert record["input"]["key"] == "raw/photo.png"


def test_empty_upload_is_rejected_with_a_clear_reason(aws, kit) -> None:
    _, record = rejection(aws, kit, "raw/empty.csv", b"")
    assert record["reason"] == "empty upload: the object has 0 bytes"


def test_upload_without_usable_rows_keeps_every_rejected_row(aws, kit) -> None:
    body = b'text,label\n"fine",maybe\n"",1\n'
    _, record = rejection(aws, kit, "raw/bad.csv", body)
    assert record["reason"] == "no usable rows: all 2 rows were rejected"
    rows = csv_rows(read(aws, kit, record["rejected_rows_key"]))
    assert [row["line_number"] for row in rows] == ["2", "3"]


def test_csv_without_the_needed_columns_is_rejected(aws, kit) -> None:
    _, record = rejection(aws, kit, "raw/other.csv", b"name,score\nalice,3\nbob,4\n")
    assert record["reason"].startswith("no usable columns")


def test_objects_outside_raw_are_ignored(aws, kit) -> None:
    result = upload(aws, kit, "processed/x/train.csv", b"text,label\nok,1\n")
    assert result["status"] == "ignored"
    assert aws.alerts() == []


def test_handler_rejects_a_malformed_event_without_raising(aws, kit, monkeypatch, caplog) -> None:
    for name, value in preprocess_env(kit, aws.topic_arn).items():
        monkeypatch.setenv(name, value)
    event = kit.load_event("s3_object_created.json", DATA_BUCKET=kit.DATA_BUCKET, OBJECT_KEY="raw/x.csv")
    del event["detail"]["object"]
    result = preprocess_handler.lambda_handler(event, kit.context())
    assert result["status"] == "rejected" and "object" in result["reason"]
    assert any(r.levelname == "ERROR" for r in caplog.records)


def test_handler_processes_an_upload(aws, kit, monkeypatch) -> None:
    for name, value in preprocess_env(kit, aws.topic_arn).items():
        monkeypatch.setenv(name, value)
    body = messy_file()
    aws.s3.put_object(Bucket=kit.DATA_BUCKET, Key="raw/my reviews.csv", Body=body)
    # EventBridge may carry the key URL-encoded; the function finds the object either way.
    event = kit.load_event(
        "s3_object_created.json", DATA_BUCKET=kit.DATA_BUCKET, OBJECT_KEY="raw/my+reviews.csv"
    )
    event["detail"]["object"]["size"] = len(body)
    result = preprocess_handler.lambda_handler(event, kit.context())
    assert result["status"] == "processed" and result["counts"]["accepted"] == 60
