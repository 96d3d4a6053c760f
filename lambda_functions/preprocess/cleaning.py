"""Cleaning parsed rows in two streaming passes: duplicates, conflicting labels, and the split.

Row parsing (encodings, columns, label words, empty text) is ``model_code.data``'s job, the same
reader training uses; this module works on the rows it streams.

- Texts are compared after collapsing white space and case folding, so "Great!" and " great! " are
  one text. Repeats with the same label keep the first; a text seen with both labels is label noise
  and every occurrence is rejected.
- The split hashes that same normalized text, so a text always lands on the same side: no leakage
  between train and validation, and the same upload always gives the same split.

A conflict is only known once the whole upload is read, so the first pass spools the rows (gzip, in
the work directory) and records (line, 64-bit text digest, label) in SQLite on disk; SQLite then
finds the repeated texts and the second pass reads the spool back in line order. Memory stays a few
MB whatever the number of rows (an in-memory set of digests would be about 110 bytes per row: 440 MB
for 4 million short rows). Two different texts share a 64-bit digest with probability ~1e-6 for
4 million rows; the later one would be rejected as a duplicate, never silently merged into a row.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from model_code.data import LabeledText, RowAt

_BATCH_ROWS = 10_000  # rows per executemany: amortizes the call, a few MB at most
_SQLITE_CACHE_KIB = 2 * 1024  # page cache and sorter memory before SQLite spills to its files


@dataclass(frozen=True)
class RejectedEntry:
    line_number: int | None
    reason: str
    raw: str


@dataclass(frozen=True)
class Kept:
    row: LabeledText  # white space collapsed to single spaces
    validation: bool


def normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _in_validation(digest: bytes, fraction: float) -> bool:
    return int.from_bytes(digest[:4], "big") < fraction * 0x1_0000_0000


class Deduplicator:
    """``add`` every row (pass 1), then ``results`` yields a ``Kept`` or ``RejectedEntry`` per row in
    line order (pass 2). Use as a context manager: it owns files in ``workdir``."""

    def __init__(self, workdir: Path, validation_fraction: float) -> None:
        self._fraction = validation_fraction
        self._spool_path = workdir / "rows.tsv.gz"
        # Level 1: the spool is read once; speed matters more than size (text still shrinks ~3x).
        self._spool = gzip.open(  # noqa: SIM115 - closed in __exit__ or results()
            self._spool_path, "wt", encoding="utf-8", compresslevel=1, newline="\n"
        )
        self._db = sqlite3.connect(workdir / "digests.sqlite3")
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{_SQLITE_CACHE_KIB}"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE rows (line INTEGER PRIMARY KEY, digest INTEGER, label INTEGER)")
        self._batch: list[tuple[int, int, int]] = []
        self.rows = 0

    def __enter__(self) -> Deduplicator:
        return self

    def __exit__(self, *exc: object) -> None:
        self._spool.close()
        self._db.close()

    def add(self, item: RowAt) -> None:
        text = " ".join(item.row.text.split())  # no tabs or line breaks left: one spool line per row
        digest = _text_digest(text.casefold())
        validation = int(_in_validation(digest, self._fraction))
        self._spool.write(f"{item.line_number}\t{item.row.label}\t{validation}\t{text}\n")
        self._batch.append(
            (item.line_number, int.from_bytes(digest[8:16], "big", signed=True), item.row.label)
        )
        self.rows += 1
        if len(self._batch) >= _BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO rows VALUES (?, ?, ?)", self._batch)
        self._batch.clear()

    def results(self) -> Iterator[Kept | RejectedEntry]:
        self._flush()
        self._spool.close()
        self._db.execute(
            "CREATE TABLE repeated AS SELECT digest, MIN(line) AS first, COUNT(DISTINCT label) AS labels, "
            "COUNT(*) AS copies FROM rows GROUP BY digest HAVING COUNT(*) > 1"
        )
        self._db.execute("CREATE UNIQUE INDEX repeated_digest ON repeated (digest)")
        repeats = self._db.execute(
            "SELECT r.line, g.first, g.labels, g.copies FROM rows r JOIN repeated g ON g.digest = r.digest "
            "ORDER BY r.line"
        )
        next_repeat = next(repeats, None)
        with gzip.open(self._spool_path, "rt", encoding="utf-8", newline="\n") as spool:
            for entry in spool:
                line_text, label_text, validation, text = entry.rstrip("\n").split("\t", 3)
                line, label = int(line_text), int(label_text)
                if next_repeat is not None and next_repeat[0] == line:
                    _, first, labels, copies = next_repeat
                    next_repeat = next(repeats, None)
                    raw = f"{text}\t{label}"
                    if labels > 1:
                        yield RejectedEntry(
                            line,
                            f"conflicting labels: the same text has both labels ({copies} rows, the first "
                            f"on line {first})",
                            raw,
                        )
                        continue
                    if line != first:
                        yield RejectedEntry(line, f"duplicate: same text as line {first}", raw)
                        continue
                row = LabeledText(text=text, label=label)
                yield Kept(row, validation == "1")
