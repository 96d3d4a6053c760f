"""Which capture files a run reads, and their lines, streamed from S3.

SageMaker writes ``<capture prefix><endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl``; the hour is
when the records were captured, and a file can land a few minutes after its hour ended. A run reads
the files whose LastModified lies in (since, until]: listing the hour folders of that interval plus
one hour before it finds late files too, and the LastModified filter makes consecutive runs
neither miss nor repeat a file.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

LATE_FILE_HOURS = 1  # a file may be written up to this long after the hour in its folder name


@dataclass(frozen=True)
class CaptureFile:
    key: str
    size: int
    last_modified: datetime


def variant_prefix(capture_prefix: str, endpoint: str, variant: str) -> str:
    return f"{capture_prefix}{endpoint}/{variant}/"


def hour_prefixes(prefix: str, since: datetime, until: datetime) -> list[str]:
    """``prefix`` + ``yyyy/mm/dd/hh/`` for every hour that may hold a file written in (since, until]."""
    hour = (since - timedelta(hours=LATE_FILE_HOURS)).replace(minute=0, second=0, microsecond=0)
    prefixes = []
    while hour <= until:
        prefixes.append(f"{prefix}{hour:%Y/%m/%d/%H}/")
        hour += timedelta(hours=1)
    return prefixes


def list_written_between(
    s3: Any, bucket: str, prefixes: list[str], since: datetime, until: datetime
) -> list[CaptureFile]:
    """Objects under ``prefixes`` with since < LastModified <= until, paginated."""
    found: list[CaptureFile] = []
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in prefixes:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if since < item["LastModified"] <= until:
                    found.append(CaptureFile(item["Key"], int(item["Size"]), item["LastModified"]))
    return found


def within_budget(files: list[CaptureFile], max_bytes: int, seed: int) -> tuple[list[CaptureFile], bool]:
    """All files when they fit ``max_bytes``; else a random subset (seeded) that fits, in key order.

    Files are whole minutes of traffic written in random order of their content, so a random subset
    of files is a fair sample of the window's requests: the scores stay valid, only the sample shrinks.
    """
    if sum(f.size for f in files) <= max_bytes:
        return files, False
    shuffled = list(files)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - sampling, not security
    chosen, total = [], 0
    for item in shuffled:
        if total + item.size > max_bytes:
            continue
        chosen.append(item)
        total += item.size
    return sorted(chosen, key=lambda f: f.key), True


def iter_lines(s3: Any, bucket: str, key: str) -> Iterator[bytes]:
    """The file's lines without holding the file: memory is bounded by the longest line."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        yield from body.iter_lines(chunk_size=1 << 16)
    finally:
        body.close()
