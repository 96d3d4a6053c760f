"""Cleaning parsed rows: duplicates, conflicting labels, and the deterministic train/validation split.

Row parsing (encodings, columns, label words, empty text) is ``model_code.data``'s job, the same
reader training uses; this module works on its ``ReadResult``.

- Texts are compared after collapsing white space and case folding, so "Great!" and " great! " are
  one text. Repeats with the same label keep the first; a text seen with both labels is label noise
  and every occurrence is rejected.
- The split hashes that same normalized text, so a text always lands on the same side: no leakage
  between train and validation, and the same upload always gives the same split.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from model_code.data import LabeledText, ReadResult


@dataclass(frozen=True)
class RejectedEntry:
    line_number: int | None  # None for rows rejected after parsing (the reader does not keep their lines)
    reason: str
    raw: str


@dataclass
class CleanResult:
    train: list[LabeledText] = field(default_factory=list)
    validation: list[LabeledText] = field(default_factory=list)
    rejected: list[RejectedEntry] = field(default_factory=list)
    input_rows: int = 0  # rows the reader returned or rejected (header and blank lines not included)
    header_lines: int = 0
    blank_lines: int = 0

    @property
    def accepted(self) -> int:
        return len(self.train) + len(self.validation)


def normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def _in_validation(key: str, fraction: float) -> bool:
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)
    return bucket < fraction * 0x1_0000_0000


def _raw(row: LabeledText) -> str:
    return f"{row.text}\t{row.label}"


def clean(read: ReadResult, validation_fraction: float) -> CleanResult:
    result = CleanResult(
        input_rows=len(read.rows) + len(read.rejected),
        header_lines=int(read.header),
        blank_lines=read.blank_lines,
    )
    result.rejected.extend(RejectedEntry(row.line_number, row.reason, row.raw) for row in read.rejected)

    groups: dict[str, list[tuple[int, LabeledText]]] = {}
    for position, row in enumerate(read.rows, start=1):
        groups.setdefault(normalized(row.text), []).append((position, row))

    for key, members in groups.items():
        labels = {row.label for _, row in members}
        if len(labels) > 1:
            positions = ", ".join(str(position) for position, _ in members)
            for _, row in members:
                reason = f"conflicting labels: the same text has both labels (data rows {positions})"
                result.rejected.append(RejectedEntry(None, reason, _raw(row)))
            continue
        first_position, first = members[0]
        for position, row in members[1:]:
            reason = f"duplicate: same text as data row {first_position} (this is data row {position})"
            result.rejected.append(RejectedEntry(None, reason, _raw(row)))
        # White space inside a text becomes single spaces: line breaks would otherwise split a CSV row
        # for readers that split on newlines first.
        kept = LabeledText(text=" ".join(first.text.split()), label=first.label)
        (result.validation if _in_validation(key, validation_fraction) else result.train).append(kept)
    return result
