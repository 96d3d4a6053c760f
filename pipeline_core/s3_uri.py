"""``s3://bucket/key`` parsing with a clear error, shared by the CLI and the Lambdas."""

from __future__ import annotations


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Return (bucket, key) of an ``s3://`` URI; the key may be empty (a whole bucket)."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise ValueError(f"not an S3 URI (expected s3://bucket/key): {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"S3 URI has no bucket: {uri!r}")
    return bucket, key


def join_s3_uri(bucket: str, *parts: str) -> str:
    """``s3://bucket/a/b`` from parts that may or may not carry slashes."""
    key = "/".join(part.strip("/") for part in parts if part.strip("/"))
    return f"s3://{bucket}/{key}"
