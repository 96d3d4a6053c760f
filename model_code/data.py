"""Reading labeled text from CSV, TSV and JSON Lines files, as a stream.

STDLIB ONLY: the preprocessing Lambda imports this module and has no numpy or scikit-learn.

Every input line ends up either as a row or as a ``RejectedRow`` with the reason, so a caller can
always account for the whole file (blank lines and the header are counted separately). Whole-file
problems (empty, unreadable, no usable columns, the wrong text encoding) raise ``DataError`` with a
one-line message.

The reader streams: ``LineReader`` splits byte chunks into lines and ``iter_records`` turns lines into
rows one at a time, so memory depends on the longest row, not on the file (the preprocessing Lambda
reads uploads up to 200 MiB). ``parse_records`` collects a whole file for training.

Quirks handled on purpose:
- Lines are split on ``\\n`` only: real review text contains U+0085 and U+2028, which
  ``str.splitlines()`` would treat as line breaks and so cut a row in two.
- A row longer than ``DEFAULT_MAX_ROW_BYTES`` (1 MiB) is rejected on its own; longer fields than
  ``csv``'s default 131,072-character limit are accepted.
- TSV is read with quoting off: SST-2 uses ``"`` as a literal character inside sentences.
- CSV quoted fields may span lines, but at most ``MAX_ROW_LINES`` lines and the row byte limit: a
  quote that is never closed would otherwise swallow every later row into one. When a multi-line row
  runs past those limits, or ends with the wrong number of columns, its first line is rejected as an
  unclosed quote and reading resumes on the next line, so the later rows are kept.
- Any parse error of one JSON line (malformed, nested too deeply, a number too long) rejects that line.
- A file that is mostly not UTF-8 is rejected as a whole with the encoding it looks like
  (``EncodingStats.verdict``); a few bad lines in a UTF-8 file only reject those lines.
- Headerless two-column files (``text<TAB>label`` like the UCI sentences) are recognized when the
  first row's last column is a label.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import json
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("csv", "tsv", "jsonl")
_EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_LABEL_WORDS = {
    "1": 1,
    "0": 0,
    "positive": 1,
    "negative": 0,
    "pos": 1,
    "neg": 0,
    "true": 1,
    "false": 0,
}
# Files in a data folder that are never rows: docs, and the preprocessing Lambda's manifest and rejects.
_NOT_DATA_PREFIXES = ("readme", "manifest", "rejected")
# A rejected row keeps at most this much of its raw line: enough to find it, not a copy of a huge line.
_RAW_KEEP_CHARS = 500
# One row (all its physical lines) may be this long: a long review is a few KB, 1 MiB is generous and
# keeps the reader's memory bounded whatever the file holds.
DEFAULT_MAX_ROW_BYTES = 1024 * 1024
# A quoted CSV field may hold line breaks, but a row spanning more lines than this is an unclosed quote.
MAX_ROW_LINES = 20
# Whole-file encoding verdict (see EncodingStats.verdict).
_BAD_SHARE_OF_NON_ASCII = 0.9  # of the lines with non-ASCII bytes, this share is not UTF-8 ...
_BAD_SHARE_OF_LINES = 0.05  # ... and those lines are at least this share of all non-blank lines ...
_MIN_BAD_LINES = 3  # ... and at least this many
_ENCODING_SAMPLES = 20
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class LabeledText:
    text: str
    label: int  # 1 positive, 0 negative


@dataclass(frozen=True)
class RejectedRow:
    line_number: int  # 1-based line in the file (the header is line 1 when there is one)
    reason: str
    raw: str


@dataclass(frozen=True)
class RowAt:
    """A usable row and the line it starts on (streaming callers report duplicates by line)."""

    line_number: int
    row: LabeledText


class LineKind(enum.Enum):
    """Lines that are neither rows nor rejected rows, counted so totals add up."""

    BLANK = "blank"
    HEADER = "header"


Record = RowAt | RejectedRow | LineKind


@dataclass
class ReadResult:
    rows: list[LabeledText]
    rejected: list[RejectedRow]
    fmt: str
    blank_lines: int = 0  # whitespace-only lines: not rows, but counted so totals add up
    header: bool = False  # whether line 1 was a header (so totals = rows + rejected + blank + header)


class DataError(ValueError):
    """The input as a whole cannot be used (empty, unreadable, missing columns)."""


def parse_label(value: object) -> int | None:
    """Map 0/1, "0"/"1", positive/negative/pos/neg (any case) and True/False to 1/0; else None."""
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return int(value)
    if isinstance(value, int):
        return value if value in (0, 1) else None
    if isinstance(value, float):
        return int(value) if value in (0.0, 1.0) else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _LABEL_WORDS:
            return _LABEL_WORDS[word]
        if word in ("0.0", "1.0"):
            return int(float(word))
    return None


def detect_format(name: str, head: bytes) -> str:
    """Guess csv/tsv/jsonl from the file name, else from the first line of content."""
    suffix = Path(name).suffix.lower()
    if suffix in _EXTENSION_FORMATS:
        return _EXTENSION_FORMATS[suffix]
    first_line = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    if first_line.startswith(b"{"):
        return "jsonl"
    if b"\t" in first_line:
        return "tsv"
    return "csv"


def _reject(line_number: int, reason: str, raw: str) -> RejectedRow:
    return RejectedRow(line_number=line_number, reason=reason, raw=raw[:_RAW_KEEP_CHARS])


# --- bytes -> lines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    text: str | None  # None: not UTF-8, or longer than the row limit
    raw: bytes  # the line without its line break (cut at the row limit when too long)
    size: int  # bytes in the line as it was in the file

    @property
    def too_long(self) -> bool:
        return self.size > len(self.raw)


@dataclass
class EncodingStats:
    """What the lines looked like, for the whole-file verdict on the encoding."""

    lines: int = 0  # non-blank lines
    non_ascii_lines: int = 0
    not_utf8_lines: int = 0
    samples: list[bytes] = field(default_factory=list)  # a few lines that are not UTF-8

    def verdict(self) -> str | None:
        """Why the file as a whole is not UTF-8 text, or None when only some lines are bad.

        A file saved as cp1252 has every accented line undecodable and no valid UTF-8 line with
        accents; a UTF-8 file with a few damaged bytes has mostly valid non-ASCII lines or only a few
        bad lines. Rejecting the first as a whole says what to fix instead of losing rows one by one.
        """
        bad = self.not_utf8_lines
        if (
            bad < _MIN_BAD_LINES
            or bad < _BAD_SHARE_OF_LINES * self.lines
            or bad < _BAD_SHARE_OF_NON_ASCII * self.non_ascii_lines
        ):
            return None
        valid = self.non_ascii_lines - bad
        return (
            f"not UTF-8 text: {bad} of {self.lines} lines are not valid UTF-8 (and {valid} lines "
            f"with non-ASCII characters are); the file looks like {guess_encoding(self.samples)}: "
            "save it as UTF-8 and upload it again"
        )


def guess_encoding(samples: Sequence[bytes]) -> str:
    """The legacy encoding a few non-UTF-8 lines most likely use (Windows-1252 decodes most text)."""
    try:
        for sample in samples:
            sample.decode("cp1252")
    except UnicodeDecodeError:
        return "ISO-8859-1 (latin-1) or another single-byte encoding"
    return "Windows-1252 (cp1252)"


class LineReader:
    """Byte chunks -> numbered ``Line``s, split on ``\\n`` only, each at most ``max_row_bytes`` kept.

    Memory is one chunk plus one line. ``stats`` fills in as lines are read.
    """

    def __init__(self, chunks: Iterable[bytes], *, max_row_bytes: int = DEFAULT_MAX_ROW_BYTES) -> None:
        self._chunks = chunks
        self.max_row_bytes = max_row_bytes
        self.stats = EncodingStats()

    def __iter__(self) -> Iterator[Line]:
        for number, (line_bytes, line_size) in enumerate(self._raw_lines(), start=1):
            raw, size = line_bytes, line_size
            if number == 1:
                if raw.startswith(_UTF16_BOMS) or b"\x00" in raw[:1024]:
                    raise DataError(
                        "not UTF-8 text: the file looks like UTF-16 (byte-order mark or NUL bytes); "
                        "save it as UTF-8 and upload it again"
                    )
                if raw.startswith(_UTF8_BOM):
                    raw, size = raw[3:], size - 3
            if raw.endswith(b"\r"):
                raw, size = raw[:-1], size - 1
            yield self._line(number, raw, size)

    def _line(self, number: int, raw: bytes, size: int) -> Line:
        if size > len(raw):
            self.stats.lines += 1
            return Line(number, None, raw, size)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.lines += 1
            self.stats.non_ascii_lines += 1
            self.stats.not_utf8_lines += 1
            if len(self.stats.samples) < _ENCODING_SAMPLES:
                self.stats.samples.append(raw[:_RAW_KEEP_CHARS])
            return Line(number, None, raw, size)
        if text.strip():
            self.stats.lines += 1
            if not raw.isascii():
                self.stats.non_ascii_lines += 1
        return Line(number, text, raw, size)

    def _raw_lines(self) -> Iterator[tuple[bytes, int]]:
        """(the line's bytes, cut at the limit; its full size)."""
        limit = self.max_row_bytes
        pending = bytearray()
        size = 0  # bytes of the current line seen so far (pending may hold fewer: the cut)
        for chunk in self._chunks:
            start = 0
            while True:
                end = chunk.find(b"\n", start)
                piece = chunk[start:] if end < 0 else chunk[start:end]
                if not pending and size == 0 and end >= 0 and len(piece) <= limit:
                    yield piece, len(piece)  # the common case: a whole line inside one chunk
                    start = end + 1
                    continue
                if len(pending) < limit:
                    pending += piece[: limit - len(pending)]
                size += len(piece)
                if end < 0:
                    break
                yield bytes(pending), size
                pending.clear()
                size = 0
                start = end + 1
        if size:
            yield bytes(pending), size


def _line_problem(line: Line, max_row_bytes: int) -> RejectedRow | None:
    if line.too_long:
        return _reject(
            line.number,
            f"row too long: {line.size} bytes, over the {max_row_bytes}-byte limit per row",
            line.raw[:_RAW_KEEP_CHARS].decode("utf-8", "replace"),
        )
    if line.text is None:
        return _reject(line.number, "not valid UTF-8", line.raw.decode("utf-8", "replace"))
    return None


# --- lines -> records ----------------------------------------------------------------------------


def _labeled_or_rejected(line_number: int, text: object, label: object, raw: str) -> RowAt | RejectedRow:
    if not isinstance(text, str):
        return _reject(line_number, f"text not a string: {type(text).__name__}", raw)
    text = text.strip()
    if not text:
        return _reject(line_number, "empty text", raw)
    parsed = parse_label(label)
    if parsed is None:
        return _reject(line_number, f"unknown label: {label!r}", raw)
    return RowAt(line_number, LabeledText(text=text, label=parsed))


def _column_positions(header: list[str], text_column: str, label_column: str) -> tuple[int, int] | None:
    names = [name.strip().lower() for name in header]
    if text_column.lower() in names and label_column.lower() in names:
        return names.index(text_column.lower()), names.index(label_column.lower())
    return None


def _json_error(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"malformed JSON: {error.msg}"
    if isinstance(error, RecursionError):
        return "malformed JSON: nested too deeply"
    return f"malformed JSON: {type(error).__name__}: {error}"[:200]


def _jsonl_records(
    lines: Iterable[Line], text_column: str, label_column: str, max_row_bytes: int
) -> Iterator[Record]:
    for line in lines:
        problem = _line_problem(line, max_row_bytes)
        if problem is not None:
            yield problem
            continue
        text = line.text or ""
        if not text.strip():
            yield LineKind.BLANK
            continue
        try:
            record = json.loads(text)
        # One line's parse error of any kind (JSONDecodeError, RecursionError on deep nesting,
        # ValueError on a number over the int digit limit ...) rejects that line, never the file.
        except Exception as error:
            yield _reject(line.number, _json_error(error), text)
            continue
        if not isinstance(record, dict):
            yield _reject(line.number, "not a JSON object", text)
            continue
        missing = [name for name in (text_column, label_column) if name not in record]
        if missing:
            yield _reject(line.number, f"missing field: {', '.join(missing)}", text)
            continue
        yield _labeled_or_rejected(line.number, record[text_column], record[label_column], text)


class _RowOverrunError(Exception):
    """A CSV row grew past MAX_ROW_LINES lines or the row byte limit: an unclosed quote."""


class _CsvRecords:
    """CSV records from lines, with each record's first line and raw text, recovering from bad quotes.

    ``csv.reader`` pulls lines from ``_next_line``, which remembers the lines of the current record
    and refuses to grow it past the limits. A record that overran, or spans lines and has the wrong
    number of columns once ``width`` is known, is an unclosed quote: its first line is rejected and
    the other lines are read again, so one stray quote costs one row, not the rest of the file.
    """

    def __init__(self, lines: Iterable[Line], max_row_bytes: int) -> None:
        self._lines = iter(lines)
        self._max_row_bytes = max_row_bytes
        self._pushback: deque[tuple[int, str]] = deque()
        self._taken: list[tuple[int, str]] = []
        self._taken_chars = 0
        self.side: list[Record] = []  # blank and rejected lines met while reading, in order
        self.width: int | None = None  # set by the caller once the header (or first row) is known
        # csv's default 131,072-character field limit would reject a long review; the row limit
        # above is what bounds memory.
        if csv.field_size_limit() < max_row_bytes:
            csv.field_size_limit(max_row_bytes)

    def _next_line(self) -> str:
        while not self._pushback:
            line = next(self._lines)  # StopIteration ends the reader
            problem = _line_problem(line, self._max_row_bytes)
            if problem is not None:
                self.side.append(problem)
            elif not (line.text or "").strip():
                self.side.append(LineKind.BLANK)
            else:
                self._pushback.append((line.number, line.text or ""))
        number, text = self._pushback[0]
        if self._taken and (
            len(self._taken) >= MAX_ROW_LINES or self._taken_chars + len(text) > self._max_row_bytes
        ):
            raise _RowOverrunError
        self._pushback.popleft()
        self._taken.append((number, text))
        self._taken_chars += len(text)
        return text + "\n"

    def _lines_iter(self) -> Iterator[str]:
        while True:
            try:
                yield self._next_line()
            except StopIteration:
                return

    def _unclosed_quote(self, detail: str) -> RejectedRow:
        first_number, first_text = self._taken[0]
        self._pushback.extendleft(reversed(self._taken[1:]))
        reason = (
            f"unclosed quote: the quoted field starting on line {first_number} {detail}; "
            f"this line is rejected and reading resumes on the next line"
        )
        return _reject(first_number, reason, first_text)

    def __iter__(self) -> Iterator[tuple[int, list[str], str] | Record]:
        # strict: a closing quote not followed by a delimiter is an error, which tells a stray quote
        # that swallowed the next row's line break from a field that really holds one.
        reader = csv.reader(self._lines_iter(), strict=True)
        while True:
            self._taken, self._taken_chars = [], 0
            try:
                fields = next(reader)
            except StopIteration:
                yield from self._drain()
                return
            except _RowOverrunError:
                yield from self._drain()
                yield self._unclosed_quote(f"runs past {MAX_ROW_LINES} lines or {self._max_row_bytes} bytes")
                reader = csv.reader(self._lines_iter(), strict=True)  # the old one is mid-field
                continue
            except csv.Error as error:
                yield from self._drain()
                reader = csv.reader(self._lines_iter(), strict=True)
                if len(self._taken) > 1:
                    # A quote "closed" by the opening quote of a later row: the telltale of a stray one.
                    yield self._unclosed_quote(f"is not closed where a field ends ({error})")
                elif self._taken:
                    # One line with a stray quote inside a field: read it leniently, as before.
                    number, text = self._taken[0]
                    fields = next(csv.reader([text + "\n"], strict=False))
                    yield number, fields, text
                continue
            yield from self._drain()
            span = len(self._taken)
            if span > 1 and self.width is not None and len(fields) != self.width:
                yield self._unclosed_quote(
                    f"spans {span} lines and leaves {len(fields)} columns (expected {self.width})"
                )
                continue
            yield self._taken[0][0], fields, "\n".join(text for _, text in self._taken)

    def _drain(self) -> Iterator[Record]:
        yield from self.side
        self.side.clear()


def _tsv_records(lines: Iterable[Line], max_row_bytes: int) -> Iterator[tuple[int, list[str], str] | Record]:
    for line in lines:
        problem = _line_problem(line, max_row_bytes)
        if problem is not None:
            yield problem
        elif not (line.text or "").strip():
            yield LineKind.BLANK
        else:
            text = line.text or ""
            yield line.number, text.split("\t"), text


def _delimited_records(
    lines: Iterable[Line], fmt: str, text_column: str, label_column: str, max_row_bytes: int
) -> Iterator[Record]:
    csv_records = _CsvRecords(lines, max_row_bytes) if fmt == "csv" else None
    source = iter(csv_records if csv_records is not None else _tsv_records(lines, max_row_bytes))
    for item in source:
        if not isinstance(item, tuple):
            yield item  # a line before the first record: blank or rejected
            continue
        first_number, first_fields, _ = item
        positions = _column_positions(first_fields, text_column, label_column)
        if positions is not None:
            yield LineKind.HEADER
            text_index, label_index = positions
            width = len(first_fields)
            merge_tabs = False
        elif len(first_fields) >= 2 and parse_label(first_fields[-1]) is not None:
            # text<TAB>label without a header (UCI style): the label is the last field.
            text_index, label_index, width = 0, 1, 2
            # A tab inside the text: everything before the last field is the text.
            merge_tabs = fmt == "tsv"
            yield from _delimited_row(item, text_index, label_index, width, merge_tabs)
        else:
            raise DataError(
                f"no usable columns: line {first_number} has no '{text_column}' and '{label_column}' "
                f"header and is not a text,label row (got {first_fields[:5]!r})"
            )
        if csv_records is not None:
            csv_records.width = width
        for rest in source:
            if isinstance(rest, tuple):
                yield from _delimited_row(rest, text_index, label_index, width, merge_tabs)
            else:
                yield rest
        return


def _delimited_row(
    record: tuple[int, list[str], str], text_index: int, label_index: int, width: int, merge_tabs: bool
) -> Iterator[Record]:
    line_number, fields, raw = record
    if merge_tabs and len(fields) > 2:
        fields = ["\t".join(fields[:-1]), fields[-1]]
    if len(fields) != width:
        yield _reject(line_number, f"wrong column count: expected {width}, got {len(fields)}", raw)
        return
    yield _labeled_or_rejected(line_number, fields[text_index], fields[label_index], raw)


def iter_records(
    lines: Iterable[Line],
    *,
    fmt: str,
    text_column: str = "text",
    label_column: str = "label",
    max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
) -> Iterator[Record]:
    """Stream one file's lines as rows, rejected rows, blank lines and the header, in file order.

    Raises DataError for unusable input (no usable columns; no non-blank lines at all).
    """
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "jsonl":
        records = _jsonl_records(lines, text_column, label_column, max_row_bytes)
    else:
        records = _delimited_records(lines, fmt, text_column, label_column, max_row_bytes)
    anything = False
    for record in records:
        anything = anything or record is not LineKind.BLANK
        yield record
    if not anything:
        raise DataError("no data: the input has no non-blank lines")


def parse_records(
    data: bytes,
    *,
    fmt: str | None = None,
    name: str = "",
    text_column: str = "text",
    label_column: str = "label",
    max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
) -> ReadResult:
    """Parse one file's bytes into rows and rejected rows. Raises DataError for unusable input."""
    if not data.strip():
        raise DataError(f"no data: {name or 'the input'} is empty")
    fmt = fmt or detect_format(name, data[:4096])
    result = ReadResult(rows=[], rejected=[], fmt=fmt)
    lines = LineReader([data], max_row_bytes=max_row_bytes)
    records = iter_records(
        lines, fmt=fmt, text_column=text_column, label_column=label_column, max_row_bytes=max_row_bytes
    )
    for record in records:
        if isinstance(record, RowAt):
            result.rows.append(record.row)
        elif isinstance(record, RejectedRow):
            result.rejected.append(record)
        elif record is LineKind.BLANK:
            result.blank_lines += 1
        else:
            result.header = True
    problem = lines.stats.verdict()
    if problem is not None:
        raise DataError(problem)
    result.rejected.sort(key=lambda row: row.line_number)
    return result


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.suffix.lower() in _EXTENSION_FORMATS
        # Documentation and the preprocessing outputs that are not training rows.
        and not path.name.lower().startswith(_NOT_DATA_PREFIXES)
    )


def read_dataset(
    path: str | Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    fmt: str | None = None,
) -> ReadResult:
    """Read one file, or every data file (csv/tsv/txt/jsonl/json) under a folder, in name order.

    In a folder, README*, manifest* and rejected* files are skipped: they describe data, they are not rows.
    """
    path = Path(path)
    if path.is_dir():
        files = _data_files(path)
        if not files:
            raise DataError(f"no data files (.csv, .tsv, .txt, .jsonl) in folder {path}")
    elif path.is_file():
        files = [path]
    else:
        raise DataError(f"no such file or folder: {path}")

    combined = ReadResult(rows=[], rejected=[], fmt="")
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise DataError(f"cannot read {file}: {error.strerror}") from None
        try:
            part = parse_records(
                data, fmt=fmt, name=file.name, text_column=text_column, label_column=label_column
            )
        except DataError as error:
            raise DataError(f"{file}: {error}") from None
        combined.fmt = combined.fmt or part.fmt
        combined.rows.extend(part.rows)
        combined.blank_lines += part.blank_lines
        combined.header = combined.header or part.header
        prefix = f"[{file.name}] " if len(files) > 1 else ""
        combined.rejected.extend(
            RejectedRow(line_number=row.line_number, reason=prefix + row.reason, raw=row.raw)
            for row in part.rejected
        )
    return combined


def content_sha256(rows: Sequence[LabeledText]) -> str:
    """Digest of the rows as read (text and label, in order): the data's identity for lineage."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([row.text, row.label], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def rejected_summary(rejected: Sequence[RejectedRow]) -> dict[str, int]:
    """Count rejected rows per kind of reason (reasons read ``kind: detail``), most frequent first."""
    counts: dict[str, int] = {}
    for row in rejected:
        reason = row.reason.split("] ", 1)[1] if row.reason.startswith("[") else row.reason
        kind = reason.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


__all__ = [
    "DEFAULT_MAX_ROW_BYTES",
    "FORMATS",
    "MAX_ROW_LINES",
    "DataError",
    "EncodingStats",
    "LabeledText",
    "Line",
    "LineKind",
    "LineReader",
    "ReadResult",
    "Record",
    "RejectedRow",
    "RowAt",
    "content_sha256",
    "detect_format",
    "guess_encoding",
    "iter_records",
    "parse_label",
    "parse_records",
    "read_dataset",
    "rejected_summary",
]
