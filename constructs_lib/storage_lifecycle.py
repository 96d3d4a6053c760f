"""Lifecycle rules shared by the platform's buckets: what moves to Glacier and what expires when."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3

ABORT_INCOMPLETE_UPLOADS_AFTER = Duration.days(7)


def housekeeping_rule(*, noncurrent_version_expiry_days: int) -> s3.LifecycleRule:
    """Every versioned bucket: old versions and abandoned multipart uploads cost money and help nobody."""
    return s3.LifecycleRule(
        id="expire-noncurrent-versions",
        noncurrent_version_expiration=Duration.days(noncurrent_version_expiry_days),
        abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS_AFTER,
    )


def archive_rule(*, prefix: str, after_days: int) -> s3.LifecycleRule:
    """Raw uploads are read once by preprocessing, then kept for audit: Glacier is enough."""
    return s3.LifecycleRule(
        id=f"archive-{prefix.strip('/')}",
        prefix=prefix,
        transitions=[
            s3.Transition(storage_class=s3.StorageClass.GLACIER, transition_after=Duration.days(after_days))
        ],
    )


def expiry_rules(*, prefixes: Sequence[str], after_days: int) -> list[s3.LifecycleRule]:
    """Intermediate artifacts (checkpoints, scratch) and logs are worthless after a while."""
    return [
        s3.LifecycleRule(
            id=f"expire-{prefix.strip('/') or 'all'}",
            prefix=prefix or None,
            expiration=Duration.days(after_days),
        )
        for prefix in prefixes
    ]
