"""The uploaded object: found with HeadObject (size known before a byte is read), then read in chunks.

The event names the exact version that was uploaded; reading that version (not the newest) means a
second upload to the same key cannot change what this event's data version holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

from lambda_functions.preprocess.events import Upload

# Read size of the S3 body: large enough for few round trips, small beside the function's memory.
CHUNK_BYTES = 1024 * 1024
_MISSING = ("NoSuchKey", "404", "NotFound", "NoSuchVersion")


class UploadGoneError(FileNotFoundError):
    """The object (or the event's version of it) no longer exists."""


class UploadGrewError(ValueError):
    """More bytes arrived than HeadObject announced and the limit allows."""


@dataclass(frozen=True)
class UploadObject:
    bucket: str
    key: str  # the key that exists (EventBridge may carry it URL-encoded)
    version_id: str | None
    size: int  # ContentLength from HeadObject


def locate(s3: Any, upload: Upload) -> UploadObject:
    """HeadObject the event's object and version; nothing of the body is read."""
    decoded = unquote_plus(upload.key)
    candidates = [upload.key] + ([decoded] if decoded != upload.key else [])
    version = {"VersionId": upload.version_id} if upload.version_id else {}
    for key in candidates:
        try:
            head = s3.head_object(Bucket=upload.bucket, Key=key, **version)
        except ClientError as error:
            if error.response["Error"]["Code"] in _MISSING:
                continue
            raise
        return UploadObject(
            bucket=upload.bucket,
            key=key,
            version_id=head.get("VersionId") or upload.version_id,
            size=int(head["ContentLength"]),
        )
    raise UploadGoneError(f"s3://{upload.bucket}/{upload.key} (version {upload.version_id}) no longer exists")


class ChunkReader:
    """The object's bytes as chunks, hashed and counted on the way; never more than ``limit`` bytes."""

    def __init__(self, s3: Any, obj: UploadObject, *, limit: int) -> None:
        self._s3 = s3
        self._obj = obj
        self._limit = limit
        self._sha256 = hashlib.sha256()
        self.bytes_read = 0

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def __iter__(self) -> Iterator[bytes]:
        version = {"VersionId": self._obj.version_id} if self._obj.version_id else {}
        body = self._s3.get_object(Bucket=self._obj.bucket, Key=self._obj.key, **version)["Body"]
        try:
            for chunk in body.iter_chunks(chunk_size=CHUNK_BYTES):
                self.bytes_read += len(chunk)
                if self.bytes_read > self._limit:
                    raise UploadGrewError(
                        f"upload has more than {self._limit} bytes (the limit) although HeadObject "
                        f"announced {self._obj.size}"
                    )
                self._sha256.update(chunk)
                yield chunk
        finally:
            body.close()
