"""The upload CSV: cells, quoting, dialects, and the lazy split into uploads within budgets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from bulk_o2c.errors import RequestTooLargeError
from bulk_o2c.protocol.salesforce.ingest import UpsertJob
from bulk_o2c.protocol.salesforce.ingest_upload import (
    NULL_MARKER,
    SET_NULL,
    UNCHANGED,
    Row,
    Upload,
    UploadChunker,
    UploadEncoder,
)

EXT = "NetSuite_Customer_ID__c"
FIELDS = (EXT, "NetSuite_Status__c", "Description")
JOB = UpsertJob("Account", EXT)


def _parse(body: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""), delimiter=delimiter, strict=True))


def _rows(count: int, width: int = 10) -> Iterator[Row]:
    for number in range(count):
        yield {EXT: f"NS-{number:06d}", "NetSuite_Status__c": "x" * (number % width), "Description": None}


def test_header_is_the_field_api_names_in_order() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    assert encoder.header == b"NetSuite_Customer_ID__c,NetSuite_Status__c,Description\n"


def test_none_clears_empty_leaves_unchanged_and_a_missing_key_leaves_unchanged() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    cleared = {EXT: "1", "NetSuite_Status__c": SET_NULL, "Description": UNCHANGED}
    assert encoder.encode(cleared) == b"1,#N/A,\n"
    assert encoder.encode({EXT: "2"}) == b"2,,\n"
    assert encoder.encode({EXT: "3", "NetSuite_Status__c": "open", "Description": None}) == b"3,open,#N/A\n"


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "a,b",
        "line one\nline two",
        "carriage\rreturn",
        "windows\r\nbreak",
        "  padded  ",
        "Zürich / 東京 / 🙂",
        "#N/A is not this",
        '"',
        ",",
    ],
)
def test_values_survive_a_csv_round_trip(value: str) -> None:
    encoder = UploadEncoder(JOB, FIELDS)
    body = encoder.header + encoder.encode({EXT: "k1", "NetSuite_Status__c": value, "Description": "tail"})

    assert _parse(body) == [list(FIELDS), ["k1", value, "tail"]]


def test_quoting_is_minimal_and_quotes_are_doubled() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    line = encoder.encode({EXT: "k", "NetSuite_Status__c": 'a "b", c', "Description": "plain"})

    assert line == b'k,"a ""b"", c",plain\n'


def test_a_bare_carriage_return_is_quoted_in_an_lf_file() -> None:
    # The stdlib writer alone leaves it bare when its terminator is LF; a reader would split there.
    line = UploadEncoder(JOB, FIELDS).encode({EXT: "k", "NetSuite_Status__c": "a\rb"})

    assert line == b'k,"a\rb",\n'


def test_non_ascii_is_utf8_without_bom() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    assert encoder.encode({EXT: "é"}) == "é,,\n".encode()
    assert not encoder.header.startswith(b"\xef\xbb\xbf")


def test_crlf_line_ending_ends_every_line_with_crlf_and_quotes_embedded_breaks() -> None:
    encoder = UploadEncoder(UpsertJob("Account", EXT, line_ending="CRLF"), FIELDS)

    assert encoder.header.endswith(b"Description\r\n")
    assert encoder.encode({EXT: "k", "Description": "a\nb"}) == b'k,,"a\nb"\r\n'


def test_another_delimiter_quotes_that_delimiter_and_not_commas() -> None:
    encoder = UploadEncoder(UpsertJob("Account", EXT, column_delimiter="PIPE"), FIELDS)

    line = encoder.encode({EXT: "k", "NetSuite_Status__c": "a|b", "Description": "c,d"})

    assert line == b'k|"a|b"|c,d\n'
    assert _parse(encoder.header + line, "|")[1] == ["k", "a|b", "c,d"]


def test_the_literal_null_marker_is_refused_as_a_value() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    with pytest.raises(ValueError, match="reads it as null"):
        encoder.encode({EXT: "k", "Description": NULL_MARKER})


def test_a_key_that_is_not_a_job_field_is_refused() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    with pytest.raises(ValueError, match="Descripton"):
        encoder.encode({EXT: "k", "Descripton": "typo"})


def test_a_value_that_is_not_text_is_refused() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    with pytest.raises(TypeError, match="int"):
        encoder.encode({EXT: "k", "Description": 5})  # type: ignore[dict-item]


@pytest.mark.parametrize("row", [{}, {EXT: ""}, {EXT: None}, {"Description": "x"}])
def test_a_row_without_its_external_id_is_refused(row: Row) -> None:
    chunker = UploadChunker(UploadEncoder(JOB, FIELDS))

    with pytest.raises(ValueError, match="external id field"):
        chunker.push(row)


@pytest.mark.parametrize(
    ("fields", "message"),
    [((), "at least one"), ((EXT, EXT), "twice"), (("Name",), "not among"), ((EXT, ""), "empty")],
)
def test_the_field_list_is_checked(fields: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UploadEncoder(JOB, fields)


def test_a_duplicate_external_id_is_refused_even_across_uploads() -> None:
    chunker = UploadChunker(UploadEncoder(JOB, FIELDS), max_rows=1)
    chunker.push({EXT: "a"})
    assert chunker.push({EXT: "b"}) is not None

    with pytest.raises(ValueError, match="appears twice"):
        chunker.push({EXT: "a"})


def _drive(chunker: UploadChunker, rows: Iterator[Row]) -> Iterator[Upload]:
    for row in rows:
        finished = chunker.push(row)
        if finished is not None:
            yield finished
    last = chunker.flush()
    if last is not None:
        yield last


@pytest.mark.parametrize("max_bytes", [120, 333, 1_000, 4_096])
def test_uploads_fill_the_byte_budget_exactly_and_never_exceed_it(max_bytes: int) -> None:
    encoder = UploadEncoder(JOB, FIELDS)
    rows = list(_rows(300))
    lines = [UploadEncoder(JOB, FIELDS).encode(row) for row in rows]

    uploads = list(_drive(UploadChunker(encoder, max_bytes=max_bytes), iter(rows)))

    assert len(uploads) > 1
    assert b"".join(upload.body[len(encoder.header) :] for upload in uploads) == b"".join(lines)
    position = 0
    for number, upload in enumerate(uploads):
        assert upload.body.startswith(encoder.header)
        own_lines = lines[position : position + upload.row_count]
        assert len(upload.body) == len(encoder.header) + sum(map(len, own_lines))
        assert len(upload.body) <= max_bytes
        position += upload.row_count
        if number < len(uploads) - 1:
            # The next row would not have fitted: uploads are as full as the budget allows.
            assert len(upload.body) + len(lines[position]) > max_bytes
    assert position == len(rows)
    assert [external_id for upload in uploads for external_id in upload.external_ids] == [
        row[EXT] for row in rows
    ]


def test_the_row_budget_cuts_too() -> None:
    uploads = list(_drive(UploadChunker(UploadEncoder(JOB, FIELDS), max_rows=7), _rows(30)))

    assert [upload.row_count for upload in uploads] == [7, 7, 7, 7, 2]


def test_uploads_are_produced_lazily_one_at_a_time() -> None:
    consumed = 0

    def counting() -> Iterator[Row]:
        nonlocal consumed
        for row in _rows(10_000):
            consumed += 1
            yield row

    uploads = _drive(UploadChunker(UploadEncoder(JOB, FIELDS), max_rows=100), counting())
    first = next(uploads)

    # Only the rows of the first upload, and the one row that did not fit, have been read.
    assert first.row_count == 100
    assert consumed == 101


def test_push_returns_nothing_until_a_row_does_not_fit() -> None:
    encoder = UploadEncoder(JOB, FIELDS)
    line = encoder.encode({EXT: "NS-000000"})
    chunker = UploadChunker(encoder, max_bytes=len(encoder.header) + 2 * len(line))

    assert chunker.push({EXT: "NS-000000"}) is None
    assert chunker.push({EXT: "NS-000001"}) is None
    finished = chunker.push({EXT: "NS-000002"})

    assert finished is not None
    assert finished.external_ids == ("NS-000000", "NS-000001")
    last = chunker.flush()
    assert last is not None
    assert last.external_ids == ("NS-000002",)
    assert chunker.flush() is None


def test_a_row_larger_than_the_budget_alone_is_too_large() -> None:
    encoder = UploadEncoder(JOB, FIELDS)
    chunker = UploadChunker(encoder, max_bytes=len(encoder.header) + 20)

    with pytest.raises(RequestTooLargeError, match="NS-1"):
        chunker.push({EXT: "NS-1", "Description": "x" * 50})


def test_a_budget_below_the_header_is_refused() -> None:
    encoder = UploadEncoder(JOB, FIELDS)

    with pytest.raises(ValueError, match="no room"):
        UploadChunker(encoder, max_bytes=len(encoder.header))
    with pytest.raises(ValueError, match="max_rows"):
        UploadChunker(encoder, max_rows=0)


def test_bytes_are_counted_encoded_not_as_characters() -> None:
    encoder = UploadEncoder(JOB, FIELDS)
    line = encoder.encode({EXT: "k0", "Description": "é" * 10})  # 10 characters, 20 bytes
    chunker = UploadChunker(encoder, max_bytes=len(encoder.header) + len(line) + len(line) - 1)

    assert chunker.push({EXT: "k0", "Description": "é" * 10}) is None
    finished = chunker.push({EXT: "k1", "Description": "é" * 10})

    assert finished is not None
    assert finished.row_count == 1


def test_subset_keeps_the_header_and_the_rows_byte_for_byte() -> None:
    encoder = UploadEncoder(JOB, FIELDS)
    chunker = UploadChunker(encoder)
    rows: list[Row] = [
        {EXT: "a", "Description": "one\ntwo"},
        {EXT: "b", "NetSuite_Status__c": None},
        {EXT: "c", "Description": 'q"q'},
    ]
    for row in rows:
        assert chunker.push(row) is None
    upload = chunker.flush()
    assert upload is not None

    subset = upload.subset({"c", "a"})

    assert subset.external_ids == ("a", "c")
    assert subset.body == encoder.header + encoder.encode(rows[0]) + encoder.encode(rows[2])
    assert subset.row(1) == encoder.encode(rows[2])
    assert _parse(subset.body)[1:] == [["a", "", "one\ntwo"], ["c", "", 'q"q']]


def test_subset_refuses_an_id_that_is_not_in_the_upload() -> None:
    chunker = UploadChunker(UploadEncoder(JOB, FIELDS))
    chunker.push({EXT: "a"})
    upload = chunker.flush()
    assert upload is not None

    with pytest.raises(ValueError, match="not in this upload"):
        upload.subset({"a", "zzz"})
