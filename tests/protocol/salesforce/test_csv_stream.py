from __future__ import annotations

import csv
import io
import random

import pytest

from bulk_o2c.protocol.salesforce.csv_stream import (
    CsvFormatError,
    CsvHeaderMismatchError,
    CsvPageReader,
    Row,
    as_dicts,
)

TRICKY = (
    '"Id","Name","Account.Name","Description"\r\n'
    '"001A","Zoë, \u00e9t\u00e9 \u6771\u4eac","Acme ""Big"" Co","line one\nline two\r\nline three"\r\n'
    '"001B","\U0001f600 emoji","","tab\there; pipe|caret^"\r\n'
    '"001C","nul\x00byte","NA","None"\r\n'
).encode()
TRICKY_ROWS = [
    ["001A", "Zoë, été 東京", 'Acme "Big" Co', "line one\nline two\r\nline three"],
    ["001B", "\U0001f600 emoji", "", "tab\there; pipe|caret^"],
    ["001C", "nulbyte", "NA", "None"],
]


def _read(chunks: list[bytes], **kwargs: object) -> tuple[CsvPageReader, list[Row]]:
    reader = CsvPageReader(**kwargs)  # type: ignore[arg-type]
    rows: list[Row] = []
    for chunk in chunks:
        rows.extend(reader.feed(chunk))
    rows.extend(reader.close())
    return reader, rows


def test_whole_page_in_one_chunk() -> None:
    reader, rows = _read([TRICKY])
    assert reader.header == ("Id", "Name", "Account.Name", "Description")
    assert rows == TRICKY_ROWS
    assert reader.rows_read == 3


@pytest.mark.parametrize("offset", range(1, len(TRICKY)))
def test_split_at_every_byte_offset(offset: int) -> None:
    _, rows = _read([TRICKY[:offset], TRICKY[offset:]])
    assert rows == TRICKY_ROWS


def test_one_byte_at_a_time() -> None:
    _, rows = _read([TRICKY[i : i + 1] for i in range(len(TRICKY))])
    assert rows == TRICKY_ROWS


def test_random_chunking_matches_the_stdlib_reader() -> None:
    rng = random.Random(20240301)
    alphabet = ["a", "Z", " ", ",", '"', "\n", "\r\n", "é", "\u6771", "\U0001f600", "|", "\t"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Id", "Text", "Owner.Name"])
    expected = []
    for i in range(300):
        row = [
            str(i),
            "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))),
            rng.choice(["", "x"]),
        ]
        writer.writerow(row)
        expected.append(row)
    data = buf.getvalue().encode()
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randrange(1, 60)))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        _, rows = _read(chunks)
        assert rows == expected


@pytest.mark.parametrize(
    ("name", "char"), [("PIPE", "|"), ("TAB", "\t"), ("SEMICOLON", ";"), ("CARET", "^"), ("BACKQUOTE", "`")]
)
def test_other_delimiters(name: str, char: str) -> None:
    page = f'Id{char}Name\n1{char}"a{char}b"\n2{char}plain\n'.encode()
    reader, rows = _read([page], delimiter=char)
    assert reader.header == ("Id", "Name")
    assert rows == [["1", f"a{char}b"], ["2", "plain"]]


def test_unquoted_minimal_csv_and_missing_final_newline() -> None:
    _, rows = _read([b"Id,Name\n1,a\n2,b"])
    assert rows == [["1", "a"], ["2", "b"]]


def test_bom_is_dropped() -> None:
    reader, _ = _read([b"\xef\xbb", b"\xbfId\n1\n"])
    assert reader.header == ("Id",)


def test_header_only_and_empty_pages() -> None:
    reader, rows = _read([b'"Id","Name"\n'])
    assert reader.header == ("Id", "Name")
    assert rows == []
    empty, rows = _read([b""])
    assert empty.header is None
    assert rows == []


def test_header_mismatch_is_an_error() -> None:
    with pytest.raises(CsvHeaderMismatchError, match="differs"):
        _read([b"Id,Name\n1,a\n"], expected_header=("Id", "Email"))
    _, rows = _read([b"Id,Name\n1,a\n"], expected_header=("Id", "Name"))
    assert rows == [["1", "a"]]


def test_one_column_empty_value() -> None:
    _, rows = _read([b'Name\n""\n\nx\n'])
    assert rows == [[""], [""], ["x"]]


def test_width_mismatch_is_an_error() -> None:
    with pytest.raises(CsvFormatError, match="record 2 has 3 values"):
        _read([b"Id,Name\n1,a\n2,b,c\n"])


def test_unterminated_quote_is_an_error() -> None:
    with pytest.raises(CsvFormatError, match="inside a quoted field"):
        _read([b'Id,Name\n1,"abc\n'])


def test_malformed_quote_is_an_error() -> None:
    with pytest.raises(CsvFormatError, match="malformed"):
        _read([b'Id,Name\n1,"a"b\n'])


def test_invalid_or_truncated_utf8_is_an_error() -> None:
    with pytest.raises(CsvFormatError, match="UTF-8"):
        _read([b"Id\n\xff\n"])
    with pytest.raises(CsvFormatError, match="UTF-8"):
        _read([b"Id\nabc\xc3"])


def test_feed_after_close_is_refused() -> None:
    reader, _ = _read([b"Id\n1\n"])
    assert reader.close() == []
    with pytest.raises(ValueError, match="after close"):
        reader.feed(b"2\n")


def test_as_dicts() -> None:
    assert as_dicts(("Id", "Account.Name"), [["1", "Acme"]]) == [{"Id": "1", "Account.Name": "Acme"}]


def test_bad_delimiter() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        CsvPageReader('"')
