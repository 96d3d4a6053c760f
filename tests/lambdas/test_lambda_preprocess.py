"""Preprocessing Lambda against moto: cleaned data, a manifest whose counts add up, nothing lost."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import pytest

from lambda_functions.preprocess import handler as preprocess_handler
from lambda_functions.preprocess.config import PreprocessConfig
from lambda_functions.preprocess.events import MalformedEventError, parse_upload
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


def upload_event(
    aws: Any, kit: Any, key: str, body: bytes, *, event_key: str | None = None
) -> dict[str, Any]:
    """Put the object and return the EventBridge event S3 sends for it (with its version)."""
    version = aws.s3.put_object(Bucket=kit.DATA_BUCKET, Key=key, Body=body)["VersionId"]
    event = kit.load_event(
        "s3_object_created.json",
        DATA_BUCKET=kit.DATA_BUCKET,
        OBJECT_KEY=event_key or key,
        VERSION_ID=version,
    )
    event["detail"]["object"]["size"] = len(body)
    return event


def process(aws: Any, kit: Any, event: dict[str, Any], **env: str) -> dict[str, Any]:
    config = PreprocessConfig.from_env({**preprocess_env(kit, aws.topic_arn), **env})
    return process_upload(parse_upload(event), config, s3=aws.s3, sns=aws.sns)


def upload(aws: Any, kit: Any, key: str, body: bytes, **env: str) -> dict[str, Any]:
    return process(aws, kit, upload_event(aws, kit, key, body), **env)


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
    # EventBridge may carry the key URL-encoded; the function finds the object either way.
    event = upload_event(aws, kit, "raw/my reviews.csv", messy_file(), event_key="raw/my+reviews.csv")
    result = preprocess_handler.lambda_handler(event, kit.context())
    assert result["status"] == "processed" and result["counts"]["accepted"] == 60


# --- failure paths (issue 7): each used to crash, lose rows silently or read the wrong data ----------


def reviews_csv(count: int, *, width: int = 60) -> bytes:
    """``count`` distinct reviews of about ``width`` bytes, both labels, with a header."""
    lines = ["text,label"]
    for i in range(count):
        text = f"review {i} the film was {'great' if i % 2 else 'awful'} "
        lines.append(f"{(text * (width // len(text) + 1))[:width].strip()},{i % 2}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def get_object_calls(aws: Any) -> list[dict[str, Any]]:
    """The GetObject requests the function makes (a botocore hook on the real client, moto answers)."""
    calls: list[dict[str, Any]] = []
    aws.s3.meta.events.register(
        "before-call.s3.GetObject", lambda params, **_: calls.append(params["body"] or params["url_path"])
    )
    return calls


def test_upload_over_the_limit_is_rejected_before_any_byte_is_read(aws, kit) -> None:
    body = reviews_csv(2000)  # ~120 kB
    event = upload_event(aws, kit, "raw/big.csv", body)
    calls = get_object_calls(aws)
    result = process(aws, kit, event)
    assert calls == []  # rejected from HeadObject's size: not one byte read
    assert result["status"] == "rejected"
    assert result["reason"].startswith(f"upload is {len(body)} bytes, over the 100000-byte limit")
    assert result["input"]["sha256"] is None and result["input"]["size"] == len(body)
    record = json.loads(read(aws, kit, result["reason_key"]))
    assert record["reason"] == result["reason"]
    (alert,) = aws.alerts()
    assert alert["body"]["reason"] == result["reason"]


MEMORY_PROBE = """
import json, resource, sys, tempfile
from pathlib import Path
from lambda_functions.preprocess.process import UploadRun, clean_upload

rows = int(sys.argv[1])

def chunks():  # the upload, generated 1 MiB at a time: the probe itself never holds it whole
    buffer, size = [b"text,label\\n"], 0
    for i in range(rows):
        line = f"review {i} the film was {'great' if i % 2 else 'awful'} and the cast agreed,{i % 2}\\n"
        buffer.append(line.encode())
        size += len(line)
        if size >= 1 << 20:
            yield b"".join(buffer)
            buffer, size = [], 0
    yield b"".join(buffer)

baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with tempfile.TemporaryDirectory() as workdir:
    cleaned = clean_upload(chunks(), "csv", 0.1, UploadRun(workdir=Path(workdir), key="raw/x.csv"))
    written = cleaned.train.bytes + cleaned.validation.bytes
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": cleaned.counts.input_rows, "written": written, "grown_kib": peak - baseline}))
"""


@pytest.mark.slow
def test_cleaning_memory_stays_far_below_the_upload_size() -> None:
    """Before: the object, its decoded lines and every row lived in memory at once (~14x the upload),
    so uploads over ~65 MB ran the 1024 MB function out of memory. Now: a chunk, a row, the spools'
    1 MiB buffers and SQLite's cache. Measured as the peak RSS of a fresh process (S3 left out: see
    benchmarks/preprocess_memory.py for the whole function against moto_server)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, "150000"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    upload_kib = report["written"] / 1024  # the outputs are about the size of the upload
    assert report["rows"] == 150_000 and upload_kib > 7_000
    assert report["grown_kib"] < upload_kib / 2, report


def test_deeply_nested_json_line_rejects_that_row_only(aws, kit) -> None:
    """Before: RecursionError escaped parse_records and the invocation crashed into the DLQ."""
    good = "".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in GOOD_REVIEWS)
    nested = '{"text": ' + "[" * 5_000 + "\n"  # json recurses once per level: RecursionError
    huge_number = '{"text": "digits", "label": ' + "1" * 5000 + "}\n"
    result = upload(aws, kit, "raw/nested.jsonl", (good + nested + huge_number).encode())
    assert result["status"] == "processed" and result["counts"]["accepted"] == 60
    rejected = csv_rows(read(aws, kit, result["prefix"] + "rejected.csv"))
    assert [(row["line_number"], row["reason"]) for row in rejected] == [
        ("61", "malformed JSON: nested too deeply"),
        (
            "62",
            "malformed JSON: ValueError: Exceeds the limit (4300 digits) for integer string conversion: "
            "value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit",
        ),
    ]


def test_long_csv_field_is_accepted_and_only_a_row_over_the_cap_is_rejected(aws, kit) -> None:
    """Before: a field over csv's 131,072-character default rejected the whole upload."""
    long_review = "a long and detailed review " * 10_000  # 270 kB
    over_cap = "x" * (1024 * 1024 + 10)
    body = messy_file() + f'"{long_review}",1\n"{over_cap}",0\n'.encode()
    result = upload(aws, kit, "raw/long.csv", body, MAX_INPUT_BYTES="5000000")
    assert result["status"] == "processed"
    kept = parse_records(read(aws, kit, result["prefix"] + "train.csv")).rows
    kept += parse_records(read(aws, kit, result["prefix"] + "validation.csv")).rows
    assert long_review.strip() in {row.text for row in kept}
    rejected = csv_rows(read(aws, kit, result["prefix"] + "rejected.csv"))
    too_long = [row for row in rejected if row["reason"].startswith("row too long")]
    assert len(too_long) == 1 and too_long[0]["line_number"] == str(messy_file().count(b"\n") + 2)
    assert (
        too_long[0]["reason"]
        == f"row too long: {len(over_cap) + 2 + 2} bytes, over the 1048576-byte limit per row"
    )


def test_unclosed_quote_costs_one_row_not_every_later_row(aws, kit) -> None:
    """Before: 2,000 rows became 1 'wrong column count' rejection and the counts still added up."""
    lines = reviews_csv(2000).decode().splitlines()
    lines[11] = '"an unclosed quote starts here,1'  # data row 11 of 2000
    result = upload(aws, kit, "raw/quote.csv", ("\n".join(lines) + "\n").encode(), MAX_INPUT_BYTES="500000")
    assert result["status"] == "processed"
    assert result["counts"]["input_rows"] == 2000
    assert result["counts"]["accepted"] == 1999 and result["counts"]["rejected"] == 1
    (rejected,) = csv_rows(read(aws, kit, result["prefix"] + "rejected.csv"))
    assert rejected["line_number"] == "12"
    assert rejected["reason"].startswith("unclosed quote: the quoted field starting on line 12")
    assert rejected["raw"] == '"an unclosed quote starts here,1'


def test_unclosed_quote_among_quoted_rows_is_not_merged_into_the_next_row(aws, kit) -> None:
    body = b'text,label\n"fine one",1\n"no closing quote,0\n"next review",1\n' + b"".join(
        f'"review {i} {"good" if i % 2 else "bad"}",{i % 2}\n'.encode() for i in range(40)
    )
    result = upload(aws, kit, "raw/quoted.csv", body)
    kept = parse_records(read(aws, kit, result["prefix"] + "train.csv")).rows
    kept += parse_records(read(aws, kit, result["prefix"] + "validation.csv")).rows
    assert ("next review", 1) in {(row.text, row.label) for row in kept}
    assert not any("no closing quote" in row.text for row in kept)
    assert result["counts"]["accepted"] == 42 and result["counts"]["rejected"] == 1


def test_cp1252_upload_is_rejected_as_a_whole_with_its_encoding(aws, kit) -> None:
    """Before: every accented row was rejected one by one and the rest became a data version."""
    texts = [f"{'très bon' if i % 3 == 0 else 'good'} film number {i}" for i in range(60)]
    body = ("text,label\n" + "".join(f"{t},{i % 2}\n" for i, t in enumerate(texts))).encode("cp1252")
    _, record = rejection(aws, kit, "raw/windows.csv", body)
    assert record["reason"].startswith("not UTF-8 text: 20 of 61 lines are not valid UTF-8")
    assert "looks like Windows-1252 (cp1252)" in record["reason"]
    assert record["rejected_rows"] == 20 and record["rejected_by_reason"] == {"not valid UTF-8": 20}


def test_a_few_bad_bytes_in_a_utf8_upload_only_reject_those_rows(aws, kit) -> None:
    good = "".join(f"très bon film {i},{i % 2}\n" for i in range(100)).encode()
    body = b"text,label\n" + good + b"caf\xe9 one,1\ncaf\xe9 two,0\ncaf\xe9 three,1\n"
    result = upload(aws, kit, "raw/mostly-fine.csv", body)
    assert result["status"] == "processed"
    assert result["counts"]["accepted"] == 100 and result["counts"]["rejected"] == 3


def test_the_events_object_version_is_read_not_the_newest(aws, kit) -> None:
    """Before: GetObject without VersionId processed whatever was uploaded last under the key."""
    first = upload_event(aws, kit, "raw/reviews.csv", messy_file())
    upload_event(aws, kit, "raw/reviews.csv", reviews_csv(500))  # a second upload to the same key
    result = process(aws, kit, first)
    assert result["counts"]["input_rows"] == 67  # the first upload's rows, not the second's 500
    manifest = json.loads(read(aws, kit, result["prefix"] + "manifest.json"))
    assert manifest["input"]["version_id"] == first["detail"]["object"]["version-id"]
    assert manifest["input"]["sha256"] == hashlib.sha256(messy_file()).hexdigest()


@pytest.mark.parametrize("bucket", ["data-dev", None, 7, ["data-dev"]])
def test_an_event_whose_bucket_is_not_an_object_is_malformed(bucket) -> None:
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "id": "x",
        "time": "2025-01-31T12:00:00Z",
        "detail": {"bucket": bucket, "object": {"key": "raw/a.csv", "size": 1}},
    }
    with pytest.raises(MalformedEventError, match=r"bucket\.name"):
        parse_upload(event)
