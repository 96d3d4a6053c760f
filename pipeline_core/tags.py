"""Tags and metadata values as AWS accepts them.

AWS tag keys and values (and SageMaker CustomerMetadataProperties) allow letters, numbers, white space
and ``_ . : / = + - @`` only, up to 128 (keys) / 256 (values) characters. Trigger reasons come from
people and events, so they are cleaned here instead of failing the CreateTrainingJob call.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

MAX_TAG_KEY_CHARS = 128
MAX_TAG_VALUE_CHARS = 256
_ALLOWED_PUNCTUATION = set("_.:/=+-@")


def _allowed(char: str) -> bool:
    category = unicodedata.category(char)
    # L* letters, N* numbers, Z* separators (space): the \p{L}\p{Z}\p{N} of AWS's tag pattern.
    return category[0] in ("L", "N") or category == "Zs" or char in _ALLOWED_PUNCTUATION


def sanitize_tag_value(value: object, *, max_chars: int = MAX_TAG_VALUE_CHARS) -> str:
    """Replace characters AWS rejects with ``_``, collapse white space and cut to the allowed length."""
    text = " ".join(str(value).split())
    return "".join(char if _allowed(char) else "_" for char in text)[:max_chars]


def sanitize_tag_key(key: object) -> str:
    cleaned = sanitize_tag_value(key, max_chars=MAX_TAG_KEY_CHARS)
    if not cleaned:
        raise ValueError(f"tag key {key!r} is empty after removing characters AWS does not allow")
    if cleaned.lower().startswith("aws:"):
        raise ValueError(f"tag key {key!r} uses the reserved aws: prefix")
    return cleaned


def to_aws_tags(tags: Mapping[str, object]) -> list[dict[str, str]]:
    """A mapping as the ``[{"Key": .., "Value": ..}]`` list the AWS APIs take, sanitized."""
    return [{"Key": sanitize_tag_key(key), "Value": sanitize_tag_value(value)} for key, value in tags.items()]
