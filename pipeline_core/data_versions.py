"""Finding the newest complete data version under ``processed/`` (written by the preprocessing Lambda).

A version folder is complete once its ``manifest.json`` exists: the Lambda writes the manifest last,
so a folder caught half-written is never picked for training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mlops_contracts import layout
from pipeline_core.s3_uri import join_s3_uri

MANIFEST_NAME = layout.MANIFEST_NAME
TRAIN_NAME = layout.TRAIN_NAME
VALIDATION_NAME = layout.VALIDATION_NAME


@dataclass(frozen=True)
class DataVersion:
    bucket: str
    prefix: str  # e.g. "processed/20250101T000000Z-0123456789ab/"
    version: str  # the folder name: UTC time, then the manifest digest prefix
    digest: str  # the manifest digest (full), recorded as the data version of a model

    @property
    def train_uri(self) -> str:
        return join_s3_uri(self.bucket, self.prefix, TRAIN_NAME)

    @property
    def validation_uri(self) -> str:
        return join_s3_uri(self.bucket, self.prefix, VALIDATION_NAME)


def _version_folders(s3: Any, bucket: str, processed_prefix: str) -> list[str]:
    paginator = s3.get_paginator("list_objects_v2")
    folders: list[str] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=processed_prefix, Delimiter="/"):
        folders.extend(entry["Prefix"] for entry in page.get("CommonPrefixes", []))
    return folders


def _read_manifest(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    try:
        manifest = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # a corrupt manifest makes the version unusable, not the whole pipeline
    return manifest if isinstance(manifest, dict) else None


def newest_data_version(
    s3: Any, bucket: str, processed_prefix: str = layout.PROCESSED_PREFIX
) -> DataVersion | None:
    """The newest folder under ``processed_prefix`` that has a readable manifest, or None."""
    prefix = processed_prefix if processed_prefix.endswith("/") else processed_prefix + "/"
    # Version names start with a UTC timestamp, so the name order is the time order.
    for folder in sorted(_version_folders(s3, bucket, prefix), reverse=True):
        manifest = _read_manifest(s3, bucket, folder + MANIFEST_NAME)
        if manifest is None:
            continue
        version = folder[len(prefix) :].rstrip("/")
        return DataVersion(
            bucket=bucket, prefix=folder, version=version, digest=str(manifest.get("digest", ""))
        )
    return None
