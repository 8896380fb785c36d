from __future__ import annotations

import csv
import gzip
import io
import random

import pytest

from bulk_o2c.protocol.salesforce.csv_stream import (
    MAX_FIELD_CHARS,
    CsvFieldTooLargeError,
    CsvFormatError,
    CsvHeaderMismatchError,
    CsvPage,
    CsvPageReader,
    Row,
    RowCountMismatchError,
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
    ["001C", "nul\x00byte", "NA", "None"],  # kept: the envelope removes it and says so on the record
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


def test_bad_delimiter() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        CsvPageReader('"')


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("size", [1, 7, 4096])
def test_a_page_is_read_again_from_its_bytes_on_every_pass(compress: bool, size: int) -> None:
    body = gzip.compress(TRICKY) if compress else TRICKY
    page = CsvPage(_split(body, size), gzip=compress, announced=3)

    assert page.header == ("Id", "Name", "Account.Name", "Description")
    assert list(page) == TRICKY_ROWS
    assert list(page) == TRICKY_ROWS  # a second pass parses again: nothing was kept
    assert len(page) == 3
    assert page[1] == TRICKY_ROWS[1]
    assert page[-1:] == TRICKY_ROWS[-1:]
    assert page == TRICKY_ROWS
    assert page == CsvPage([TRICKY])
    assert page != [TRICKY_ROWS[0]]


def test_len_before_any_pass_reads_the_page() -> None:
    assert len(CsvPage([TRICKY])) == 3


def test_a_page_without_records_has_no_header() -> None:
    for chunks in ([], [b""]):
        page = CsvPage(chunks)
        assert (page.header, list(page), len(page)) == (None, [], 0)
    header_only = CsvPage([b'"Id","Name"\n'], announced=0)
    assert (header_only.header, list(header_only)) == (("Id", "Name"), [])


def test_the_announced_count_is_checked_at_the_end_of_every_pass() -> None:
    page = CsvPage([TRICKY], announced=4, source="query job 750X: a page")
    rows = iter(page)
    assert [next(rows) for _ in range(3)] == TRICKY_ROWS  # the rows come; the page is refused at its end
    with pytest.raises(RowCountMismatchError, match="query job 750X: a page announced 4 rows but held 3"):
        next(rows)
    with pytest.raises(RowCountMismatchError):
        len(page)


def test_a_broken_gzip_stream_is_a_format_error() -> None:
    packed = gzip.compress(TRICKY)
    with pytest.raises(CsvFormatError, match="ends inside its gzip stream"):
        list(CsvPage([packed[: len(packed) - 12]], gzip=True))
    with pytest.raises(CsvFormatError, match="data after the end of its gzip stream"):
        list(CsvPage([packed, b"junk"], gzip=True))
    with pytest.raises(CsvFormatError, match="not a valid gzip stream"):
        CsvPage([b"not gzip at all"], gzip=True)


def test_a_small_gzip_body_never_inflates_in_one_piece() -> None:
    # 32 MiB of one repeated row is a few kilobytes of gzip; each pass inflates it a step at a time.
    row = b'"001","' + b"x" * 1000 + b'"\n'
    packed = gzip.compress(b'"Id","Name"\n' + row * 32 * 1024, compresslevel=9)
    assert len(packed) < 100_000
    page = CsvPage([packed], gzip=True)
    assert len(page) == 32 * 1024


CHUNK = 16 * 1024


def _chunked(body: bytes, size: int = CHUNK) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def _fed_until_refused(chunks: list[bytes]) -> int:
    """How many bytes the reader had been fed when it refused the page (it must refuse)."""
    reader = CsvPageReader()
    fed = 0

    def feed_all() -> None:
        nonlocal fed
        for chunk in chunks:
            fed += len(chunk)
            reader.feed(chunk)
        reader.close()

    with pytest.raises(CsvFieldTooLargeError, match="the page was not read further"):
        feed_all()
    return fed


@pytest.mark.parametrize("quoted", [True, False])
def test_a_field_without_end_is_refused_while_it_arrives(quoted: bool) -> None:
    start = b'"Id","Description"\n"001A",' + (b'"' if quoted else b"")
    page = start + b"x" * (8 * 2**20)
    assert _fed_until_refused(_chunked(page)) <= len(start) + MAX_FIELD_CHARS + CHUNK


def test_a_header_without_end_is_refused_while_it_arrives() -> None:
    assert _fed_until_refused(_chunked(b'"Id' + b"x" * (8 * 2**20))) <= MAX_FIELD_CHARS + 2 * CHUNK


def test_a_field_of_doubled_quotes_counts_what_it_holds() -> None:
    # Each "" holds one quote: refused once it holds more than the limit, not at half of it.
    start = b'"Id","Description"\n"001A","'
    fed = _fed_until_refused(_chunked(start + b'""' * (4 * 2**20)))
    assert 2 * MAX_FIELD_CHARS <= fed - len(start) <= 2 * MAX_FIELD_CHARS + 2 * CHUNK


def test_many_large_fields_in_one_record_are_refused_before_it_ends() -> None:
    # Each field closes inside one chunk, so only the record's length can give it away.
    field = b'"' + b"y" * 200_000 + b'",'
    page = b'"Id","Description"\n' + field * 40
    assert _fed_until_refused(_chunked(page, len(field))) <= 2 * (2 * MAX_FIELD_CHARS + 3) + 2 * len(field)


def test_fields_up_to_the_limit_pass_however_they_are_quoted() -> None:
    quotes = '"' * MAX_FIELD_CHARS
    delimiters = "," * MAX_FIELD_CHARS
    letters = "z" * MAX_FIELD_CHARS
    page = (
        '"A","B","C"\n' + ",".join(['"' + quotes.replace('"', '""') + '"', f'"{delimiters}"', letters]) + "\n"
    ).encode()
    _, rows = _read(_chunked(page))
    assert rows == [[quotes, delimiters, letters]]
