"""Reading CSV, TSV and JSON Lines: every format, every kind of bad row, and whole-file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_code.data import (
    DEFAULT_MAX_ROW_BYTES,
    MAX_ROW_LINES,
    DataError,
    LabeledText,
    LineReader,
    content_sha256,
    detect_format,
    parse_label,
    parse_records,
    read_dataset,
    rejected_summary,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1), (0, 0), ("1", 1), ("0", 0), (" Positive ", 1), ("NEG", 0), ("pos", 1), ("negative", 0),
        (True, 1), (False, 0), (1.0, 1), ("2", None), (2, None), ("maybe", None), (None, None), ("", None),
    ],
)  # fmt: skip
def test_parse_label(value, expected):
    assert parse_label(value) == expected


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.csv", b"", "csv"), ("a.TSV", b"", "tsv"), ("a.jsonl", b"", "jsonl"), ("a.txt", b"", "tsv"),
        ("upload", b'{"text": "x"}\n', "jsonl"), ("upload", b"text\tlabel\n", "tsv"),
        ("upload", b"text,label\n", "csv"),
    ],
)  # fmt: skip
def test_detect_format(name, head, expected):
    assert detect_format(name, head) == expected


def test_csv_with_quotes_multiline_and_every_bad_row_kind():
    data = (
        b'text,label\n"Great, really great",positive\n"two\nlines",0\n,1\nok,maybe\n\xff\xfe bad bytes,1\n'
        b"\n   \nx,1,extra\nfine,1\n"
    )
    result = parse_records(data, name="reviews.csv")
    assert result.fmt == "csv"
    assert result.rows == [
        LabeledText("Great, really great", 1),
        LabeledText("two\nlines", 0),
        LabeledText("fine", 1),
    ]
    reasons = {row.line_number: row.reason for row in result.rejected}
    assert reasons == {
        5: "empty text",
        6: "unknown label: 'maybe'",
        7: "not valid UTF-8",
        10: "wrong column count: expected 2, got 3",
    }
    assert result.blank_lines == 2
    # Every physical line is accounted for: header + rows (one spans 2 lines) + rejected + blank.
    assert 1 + 2 + 1 + 1 + len(result.rejected) + result.blank_lines == data.count(b"\n")


def test_tsv_keeps_quotes_literal_and_splits_on_newline_only():
    data = 'sentence\tlabel\nit \'s a "great" film\u0085really\t1\n"unbalanced quote\t0\n'.encode()
    result = parse_records(data, name="dev.tsv", text_column="sentence")
    assert result.rows == [
        LabeledText('it \'s a "great" film\u0085really', 1),
        LabeledText('"unbalanced quote', 0),
    ]
    assert result.rejected == []


def test_headerless_two_column_file_like_uci():
    result = parse_records(b"Loved it.  \t1\nA waste\tof time\t0\nmeh\tunknown\n", name="imdb_labelled.txt")
    assert result.rows == [LabeledText("Loved it.", 1), LabeledText("A waste\tof time", 0)]
    assert [row.reason for row in result.rejected] == ["unknown label: 'unknown'"]


def test_jsonl_every_bad_row_kind():
    data = (
        b'{"text": "good", "label": "pos"}\n{"text": "bad", "label": 0}\n{not json\n[1, 2]\n'
        b'{"text": "no label"}\n{"text": 5, "label": 1}\n{"text": " ", "label": 1}\n\xc3\x28\n'
    )
    result = parse_records(data, name="x.jsonl")
    assert result.rows == [LabeledText("good", 1), LabeledText("bad", 0)]
    kinds = rejected_summary(result.rejected)
    assert kinds == {
        "malformed JSON": 1,
        "not a JSON object": 1,
        "missing field": 1,
        "text not a string": 1,
        "empty text": 1,
        "not valid UTF-8": 1,
    }


def test_custom_columns_and_bom_and_crlf():
    data = "\ufeffid,review,stars\r\n1,Nice one,1\r\n2,Nope,0\r\n".encode()
    result = parse_records(data, name="x.csv", text_column="review", label_column="stars")
    assert result.rows == [LabeledText("Nice one", 1), LabeledText("Nope", 0)]
    assert result.header


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n  \n", "empty"),
        (b"review,stars\nfoo,1\n", "no usable columns"),
        (b"just one column\n", "no usable columns"),
    ],
)
def test_unusable_input_is_a_clear_error(data, message):
    with pytest.raises(DataError, match=message):
        parse_records(data, name="x.csv")


def test_unknown_format_is_an_error():
    with pytest.raises(DataError, match="unknown format"):
        parse_records(b"a,b\n", fmt="xml")


def test_read_dataset_folder_skips_docs_and_prefixes_reasons(tmp_path: Path):
    (tmp_path / "a.csv").write_text("text,label\nnice,1\n,0\n")
    (tmp_path / "b.jsonl").write_text('{"text": "bad", "label": 0}\n')
    (tmp_path / "README.txt").write_text("This folder holds reviews.\n")
    (tmp_path / "manifest.json").write_text('{"rows": 3}\n')
    (tmp_path / ".hidden.csv").write_text("garbage\n")
    result = read_dataset(tmp_path)
    assert result.rows == [LabeledText("nice", 1), LabeledText("bad", 0)]
    assert [row.reason for row in result.rejected] == ["[a.csv] empty text"]


def test_read_dataset_missing_and_empty_folder(tmp_path: Path):
    with pytest.raises(DataError, match="no such file"):
        read_dataset(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="no data files"):
        read_dataset(tmp_path)


def test_read_real_sst2_and_uci_files_if_present():
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("shared data not available")
    dev = read_dataset(shared / "sst2" / "dev.tsv", text_column="sentence")
    assert (len(dev.rows), len(dev.rejected)) == (872, 0)
    assert sum(row.label for row in dev.rows) == 444
    imdb = read_dataset(shared / "uci_sentences" / "imdb_labelled.txt")
    assert (len(imdb.rows), len(imdb.rejected)) == (1000, 0)


def test_content_sha256_depends_on_text_label_and_order():
    rows = [LabeledText("a", 1), LabeledText("b", 0)]
    digest = content_sha256(rows)
    assert digest == content_sha256(list(rows))
    assert digest != content_sha256(rows[::-1])
    assert digest != content_sha256([LabeledText("a", 0), LabeledText("b", 0)])


# --- streaming reader: chunk boundaries, row limits, stray quotes, encodings ------------------------


def test_line_reader_gives_the_same_lines_whatever_the_chunk_boundaries():
    data = "\ufefftext,label\r\ncafé,1\n\nlong line here,0\nno newline at end".encode()
    expected = [(line.number, line.text, line.size) for line in LineReader([data])]
    assert [text for _, text, _ in expected] == [
        "text,label",
        "café,1",
        "",
        "long line here,0",
        "no newline at end",
    ]
    for size in (1, 2, 3, 5, 7):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert [(line.number, line.text, line.size) for line in LineReader(chunks)] == expected


def test_a_line_over_the_row_limit_is_cut_counted_and_rejected_alone():
    data = b"text,label\n" + b"x" * 50 + b",1\nshort,0\n"
    lines = list(LineReader([data[:20], data[20:]], max_row_bytes=16))
    assert [line.too_long for line in lines] == [False, True, False]
    assert lines[1].size == 52 and len(lines[1].raw) == 16
    result = parse_records(data, name="x.csv", max_row_bytes=16)
    assert result.rows == [LabeledText("short", 0)]
    assert [row.reason for row in result.rejected] == [
        "row too long: 52 bytes, over the 16-byte limit per row"
    ]


def test_csv_field_longer_than_the_csv_module_default_is_accepted():
    review = "word " * 60_000  # 300,000 characters: csv's default field limit is 131,072
    result = parse_records(f'text,label\n"{review}",1\n'.encode(), name="x.csv")
    assert result.rows == [LabeledText(review.strip(), 1)] and result.rejected == []
    assert DEFAULT_MAX_ROW_BYTES == 1024 * 1024


@pytest.mark.parametrize("quoted", [False, True])
def test_stray_quote_rejects_its_line_and_keeps_every_later_row(quoted):
    def row(i: int) -> str:
        text = f"review {i}"
        return f'"{text}",{i % 2}' if quoted else f"{text},{i % 2}"

    lines = ["text,label"] + [row(i) for i in range(300)]
    lines[6] = '"a quote that never closes,1'
    result = parse_records(("\n".join(lines) + "\n").encode(), name="x.csv")
    assert len(result.rows) == 299 and [row.line_number for row in result.rejected] == [7]
    assert result.rejected[0].reason.startswith("unclosed quote: the quoted field starting on line 7")
    assert not any("never closes" in row.text for row in result.rows)


def test_legitimate_multiline_field_within_the_limits_is_one_row():
    text = "\n".join(f"paragraph {i}" for i in range(MAX_ROW_LINES - 1))
    result = parse_records(f'text,label\n"{text}",1\nnext,0\n'.encode(), name="x.csv")
    assert result.rows == [LabeledText(text, 1), LabeledText("next", 0)] and result.rejected == []


def test_json_line_errors_of_any_kind_reject_only_that_line():
    data = (
        b'{"text": "fine", "label": 1}\n'
        + b'{"text": '
        + b"[" * 5000
        + b"\n"  # RecursionError inside json
        + b'{"text": "big", "label": '
        + b"9" * 5000
        + b"}\n"  # ValueError: int digit limit
    )
    result = parse_records(data, name="x.jsonl")
    assert result.rows == [LabeledText("fine", 1)]
    assert [row.reason.split(":")[0:2] for row in result.rejected] == [
        ["malformed JSON", " nested too deeply"],
        ["malformed JSON", " ValueError"],
    ]


def test_file_mostly_in_cp1252_is_rejected_with_its_encoding():
    rows = "".join(f"{'señal' if i % 2 else 'plain'} {i},{i % 2}\n" for i in range(40))
    with pytest.raises(DataError, match=r"20 of 41 lines are not valid UTF-8.*Windows-1252 \(cp1252\)"):
        parse_records(("text,label\n" + rows).encode("cp1252"), name="x.csv")


def test_a_few_bad_lines_in_a_utf8_file_are_rejected_one_by_one():
    rows = "".join(f"señal {i},{i % 2}\n" for i in range(40)).encode()
    result = parse_records(b"text,label\n" + rows + b"caf\xe9,1\ncaf\xe9 2,0\ncaf\xe9 3,1\n", name="x.csv")
    assert len(result.rows) == 40 and [row.reason for row in result.rejected] == ["not valid UTF-8"] * 3


def test_utf16_file_is_rejected_before_parsing():
    with pytest.raises(DataError, match="looks like UTF-16"):
        parse_records("text,label\nhello,1\n".encode("utf-16"), name="x.csv")
