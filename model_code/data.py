"""Reading labeled text from CSV, TSV and JSON Lines files.

STDLIB ONLY: the preprocessing Lambda imports this module and has no numpy or scikit-learn.

Every input line ends up either as a ``LabeledText`` or as a ``RejectedRow`` with the reason, so a
caller can always account for the whole file (blank lines are counted separately). Whole-file
problems (empty, unreadable, no usable columns) raise ``DataError`` with a one-line message.

Quirks handled on purpose:
- Lines are split on ``\\n`` only: real review text contains U+0085 and U+2028, which
  ``str.splitlines()`` would treat as line breaks and so cut a row in two.
- TSV is read with quoting off: SST-2 uses ``"`` as a literal character inside sentences.
- Headerless two-column files (``text<TAB>label`` like the UCI sentences) are recognized when the
  first row's last column is a label.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class LabeledText:
    text: str
    label: int  # 1 positive, 0 negative


@dataclass(frozen=True)
class RejectedRow:
    line_number: int  # 1-based line in the file (the header is line 1 when there is one)
    reason: str
    raw: str


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


def _decoded_lines(data: bytes) -> Iterator[tuple[int, str | None, bytes]]:
    """Yield (1-based line number, decoded text or None if not UTF-8, raw bytes) per line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline at the end of the last line does not start another line
    for index, raw in enumerate(lines, start=1):
        raw_line = raw.removesuffix(b"\r")
        try:
            yield index, raw_line.decode("utf-8"), raw_line
        except UnicodeDecodeError:
            yield index, None, raw_line


def _labeled_or_rejected(
    line_number: int, text: object, label: object, raw: str
) -> LabeledText | RejectedRow:
    if not isinstance(text, str):
        return _reject(line_number, f"text not a string: {type(text).__name__}", raw)
    text = text.strip()
    if not text:
        return _reject(line_number, "empty text", raw)
    parsed = parse_label(label)
    if parsed is None:
        return _reject(line_number, f"unknown label: {label!r}", raw)
    return LabeledText(text=text, label=parsed)


def _add(result: ReadResult, outcome: LabeledText | RejectedRow) -> None:
    if isinstance(outcome, LabeledText):
        result.rows.append(outcome)
    else:
        result.rejected.append(outcome)


def _column_positions(header: list[str], text_column: str, label_column: str) -> tuple[int, int] | None:
    names = [name.strip().lower() for name in header]
    if text_column.lower() in names and label_column.lower() in names:
        return names.index(text_column.lower()), names.index(label_column.lower())
    return None


def _usable_lines(lines: list[tuple[int, str | None, bytes]], result: ReadResult) -> list[tuple[int, str]]:
    """Decoded non-blank lines; undecodable lines become rejected rows, blank lines are counted."""
    good: list[tuple[int, str]] = []
    for line_number, text, raw in lines:
        if text is None:
            result.rejected.append(_reject(line_number, "not valid UTF-8", raw.decode("utf-8", "replace")))
        elif not text.strip():
            result.blank_lines += 1
        else:
            good.append((line_number, text))
    return good


def _parse_delimited(
    lines: list[tuple[int, str | None, bytes]], fmt: str, text_column: str, label_column: str
) -> ReadResult:
    result = ReadResult(rows=[], rejected=[], fmt=fmt)
    good = _usable_lines(lines, result)
    if not good:
        if result.rejected:
            return result
        raise DataError("no data: the input has no non-blank lines")

    if fmt == "tsv":
        rows_iter: Iterator[list[str]] = (line.split("\t") for _, line in good)
        numbers = [n for n, _ in good]
        records = list(zip(numbers, rows_iter, (line for _, line in good), strict=True))
    else:
        records = _csv_records(good)

    first_number, first_fields, _ = records[0]
    positions = _column_positions(first_fields, text_column, label_column)
    if positions is not None:
        result.header = True
        text_index, label_index = positions
        width = len(first_fields)
        body = records[1:]
    elif len(first_fields) >= 2 and parse_label(first_fields[-1]) is not None:
        # text<TAB>label without a header (UCI style): the label is the last field.
        text_index, label_index, width, body = 0, 1, 2, records
        if fmt == "tsv":
            # A tab inside the text: everything before the last field is the text.
            body = [(number, ["\t".join(fields[:-1]), fields[-1]], raw) for number, fields, raw in body]
    else:
        raise DataError(
            f"no usable columns: line {first_number} has no '{text_column}' and '{label_column}' "
            f"header and is not a text,label row (got {first_fields[:5]!r})"
        )

    for line_number, fields, raw in body:
        if len(fields) != width:
            result.rejected.append(
                _reject(line_number, f"wrong column count: expected {width}, got {len(fields)}", raw)
            )
            continue
        _add(result, _labeled_or_rejected(line_number, fields[text_index], fields[label_index], raw))
    result.rejected.sort(key=lambda row: row.line_number)  # undecodable lines were set aside first
    return result


def _csv_records(good: list[tuple[int, str]]) -> list[tuple[int, list[str], str]]:
    """Parse CSV with normal quoting; a quoted field may span lines, so track where each row starts."""
    text = "\n".join(line for _, line in good) + "\n"
    numbers = [n for n, _ in good]
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    records: list[tuple[int, list[str], str]] = []
    start = 0  # index into `numbers` of the line where the next row starts
    lines = [line for _, line in good]
    try:
        for fields in reader:
            end = reader.line_num  # physical lines consumed so far
            raw = "\n".join(lines[start:end])
            records.append((numbers[start], fields, raw))
            start = end
    except csv.Error as error:
        raise DataError(
            f"unreadable CSV near line {numbers[min(start, len(numbers) - 1)]}: {error}"
        ) from None
    return records


def _parse_jsonl(
    lines: list[tuple[int, str | None, bytes]], text_column: str, label_column: str
) -> ReadResult:
    result = ReadResult(rows=[], rejected=[], fmt="jsonl")
    for line_number, text, raw in lines:
        if text is None:
            result.rejected.append(_reject(line_number, "not valid UTF-8", raw.decode("utf-8", "replace")))
            continue
        if not text.strip():
            result.blank_lines += 1
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            result.rejected.append(_reject(line_number, f"malformed JSON: {error.msg}", text))
            continue
        if not isinstance(record, dict):
            result.rejected.append(_reject(line_number, "not a JSON object", text))
            continue
        missing = [name for name in (text_column, label_column) if name not in record]
        if missing:
            result.rejected.append(_reject(line_number, f"missing field: {', '.join(missing)}", text))
            continue
        outcome = _labeled_or_rejected(line_number, record[text_column], record[label_column], text)
        _add(result, outcome)
    if not result.rows and not result.rejected:
        raise DataError("no data: the input has no non-blank lines")
    return result


def parse_records(
    data: bytes,
    *,
    fmt: str | None = None,
    name: str = "",
    text_column: str = "text",
    label_column: str = "label",
) -> ReadResult:
    """Parse one file's bytes into rows and rejected rows. Raises DataError for unusable input."""
    if not data.strip():
        raise DataError(f"no data: {name or 'the input'} is empty")
    fmt = fmt or detect_format(name, data[:4096])
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    lines = list(_decoded_lines(data))
    if fmt == "jsonl":
        return _parse_jsonl(lines, text_column, label_column)
    return _parse_delimited(lines, fmt, text_column, label_column)


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
    "FORMATS",
    "DataError",
    "LabeledText",
    "ReadResult",
    "RejectedRow",
    "content_sha256",
    "detect_format",
    "parse_label",
    "parse_records",
    "read_dataset",
    "rejected_summary",
]
