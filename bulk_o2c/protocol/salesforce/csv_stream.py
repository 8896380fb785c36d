"""An incremental reader for Bulk API 2.0 CSV result pages, fed one network chunk at a time.

Rules this module owns:

- Bytes go in as they arrive (``feed``) and whole records come out; ``close`` ends the page. A page
  is never held as one string: only the unfinished last record waits for the next chunk.
- UTF-8 is decoded incrementally, so a character split between chunks is joined, and an invalid or
  truncated sequence is an error, not a replacement character. NUL bytes are kept: they occur in
  real data, and removing them is the encoder's business, which reports it on the record (the
  ``csv`` reader of Python 3.11+ takes them). A byte-order mark at the start is dropped.
- A record ends at a line feed outside quotes. Outside/inside is the parity of the ``"`` count since
  the page began (a doubled ``""`` counts twice and keeps it), so whole runs of complete records are
  handed to the C ``csv`` reader and the Python code never walks characters. Quoted fields keep their
  delimiters, doubled quotes, LF, CR and CRLF.
- No field is longer than ``MAX_FIELD_CHARS``, Salesforce's largest field (a long or rich text
  area holds 131,072 characters; the C reader's own limit is the same figure), and this is
  enforced while the record is still arriving, so a field without end is refused after about that
  much text, not after it was all buffered. Once the unfinished record passes the limit, the
  field still open is measured (from the last delimiter outside quotes; raw length less half its
  quotes, which can only undercount), and the whole unfinished record is held to what its columns
  can take (``columns x (2 x limit + 3)``: a field within the limit takes at most twice the limit
  plus two quotes, and its delimiter). The header's width is not known while it arrives, so it is
  held to one column's worth: far above any header, which names the columns of a SOQL statement
  of at most 100,000 characters.
- The first record of every page is its header; a page whose header differs from the expected one
  (the first page's) is an error, never a silent column shift. Names are kept as sent, dotted
  relationship columns (``Account.Name``) included.
- Values are ``str``, exactly as sent: an empty field is ``""`` (Bulk CSV cannot tell it from null)
  and ``NA`` / ``None`` stay text. Every record must have as many values as the header; the one
  exception is a one-column page, where an empty line is a record whose value is empty.
- A whole page in hand is a ``CsvPage``: its bytes as they travelled (gzip included), decoded and
  parsed again on every pass. Parsed rows cost several times their bytes (a list and a ``str`` per
  value) and gzip shrinks CSV several times, so a page that is kept is kept as it came, and a pass
  holds one chunk's records at a time. Every pass checks everything, the gzip stream and the
  record count announced by the server included, so no pass yields a page another would refuse.
"""

from __future__ import annotations

import codecs
import csv
import io
import zlib
from collections.abc import Iterator, Sequence
from typing import overload

from bulk_o2c.errors import PermanentError

Row = list[str]

MAX_FIELD_CHARS = 131_072


class CsvFormatError(PermanentError):
    """The page is not well-formed CSV (or not UTF-8)."""


class CsvFieldTooLargeError(CsvFormatError):
    """A field is longer than any Salesforce field can be; the page was not read further."""


class CsvHeaderMismatchError(CsvFormatError):
    """A page's header differs from the first page's."""


class RowCountMismatchError(PermanentError):
    """Fewer or more rows were read than Salesforce says the page or the job holds."""


class CsvPageReader:
    """Push parser for one results page. ``header`` is set once the first record is complete."""

    def __init__(self, delimiter: str = ",", *, expected_header: Sequence[str] | None = None) -> None:
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise ValueError(f"unusable column delimiter {delimiter!r}")
        self._delimiter = delimiter
        self._expected = tuple(expected_header) if expected_header is not None else None
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._pending = ""
        self._pending_quotes = 0
        # Where the unfinished record's open field starts, valid for _pending[:_scanned].
        self._field_start = 0
        self._scanned = 0
        self._started = False
        self._closed = False
        self.header: tuple[str, ...] | None = None
        self.rows_read = 0

    def feed(self, chunk: bytes) -> list[Row]:
        if self._closed:
            raise ValueError("feed after close")
        return self._parse(self._decode(chunk, final=False), final=False)

    def close(self) -> list[Row]:
        """The last record (which may lack a line ending); checks the page ended cleanly."""
        if self._closed:
            return []
        rows = self._parse(self._decode(b"", final=True), final=True)
        self._closed = True
        return rows

    def _decode(self, chunk: bytes, *, final: bool) -> str:
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise CsvFormatError(
                f"results page is not valid UTF-8 near record {self.rows_read + 1}: {exc.reason}"
            ) from None
        if not self._started and text:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        return text

    def _parse(self, text: str, *, final: bool) -> list[Row]:
        if final:
            if (self._pending_quotes + text.count('"')) % 2:
                raise CsvFormatError(f"results page ends inside a quoted field (record {self.rows_read + 1})")
            complete, self._pending, self._pending_quotes = self._pending + text, "", 0
        else:
            cut = self._record_boundary(text)
            if cut < 0:
                self._pending += text
                self._pending_quotes += text.count('"')
                self._check_unfinished()
                return []
            tail = text[cut:]
            complete = self._pending + text[:cut]
            self._pending, self._pending_quotes = tail, tail.count('"')
            self._field_start = self._scanned = 0
            self._check_unfinished()
        if not complete:
            return []
        return self._records(complete)

    def _check_unfinished(self) -> None:
        """Refuse the unfinished record once it must hold a field over the limit (rules above)."""
        pending = self._pending
        if len(pending) <= MAX_FIELD_CHARS:
            return  # no field of it can be longer; the open field is found only when it matters
        self._field_start = self._open_field_start(self._scanned)
        self._scanned = len(pending)
        record = f"record {self.rows_read + 1}" if self.header is not None else "the header"
        open_field = len(pending) - self._field_start
        if (
            open_field > MAX_FIELD_CHARS
            and open_field - pending.count('"', self._field_start) // 2 - 1 > MAX_FIELD_CHARS
        ):
            raise CsvFieldTooLargeError(
                f"{record} has a field over {MAX_FIELD_CHARS:,} characters, more than any "
                "Salesforce field holds; the page was not read further"
            )
        columns = len(self.header) if self.header is not None else 1
        if len(pending) > columns * (2 * MAX_FIELD_CHARS + 3):
            raise CsvFieldTooLargeError(
                f"{record} runs past {len(pending):,} characters without ending: with {columns} "
                f"columns, one of its fields is over {MAX_FIELD_CHARS:,} characters, more than any "
                "Salesforce field holds; the page was not read further"
            )

    def _open_field_start(self, start: int) -> int:
        """Index just past the last delimiter outside quotes in ``_pending[start:]``, else the last known.

        A delimiter is outside quotes when the quotes before it are even; they are counted from the
        end backwards, so each character is looked at once however many delimiters sit in quotes.
        """
        pending = self._pending
        end = len(pending)
        after = 0
        while (at := pending.rfind(self._delimiter, start, end)) >= 0:
            after += pending.count('"', at, end)
            if (self._pending_quotes - after) % 2 == 0:
                return at + 1
            end = at
        return self._field_start

    def _record_boundary(self, text: str) -> int:
        """Index just past the last line feed of ``text`` that ends a record, or -1."""
        newline = text.rfind("\n")
        if newline < 0:
            return -1
        quotes = self._pending_quotes + text.count('"', 0, newline)
        # Only a multi-line value in the last record makes this loop turn more than once.
        while quotes % 2:
            previous = text.rfind("\n", 0, newline)
            if previous < 0:
                return -1
            quotes -= text.count('"', previous, newline)
            newline = previous
        return newline + 1

    def _records(self, text: str) -> list[Row]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter, strict=True)
        try:
            rows = list(reader)
        except csv.Error as exc:
            where = self.rows_read + reader.line_num
            raise CsvFormatError(f"malformed CSV near record {where}: {exc}") from None
        if self.header is None and rows:
            self._take_header(rows[0])
            rows = rows[1:]
        if rows:
            rows = self._checked_width(rows)
            self.rows_read += len(rows)
        return rows

    def _take_header(self, row: Row) -> None:
        header = tuple(row)
        if not header or not all(header):
            raise CsvFormatError(f"results page header has an empty column name: {header!r}")
        if self._expected is not None and header != self._expected:
            raise CsvHeaderMismatchError(
                f"results page header {list(header)} differs from the first page's {list(self._expected)}"
            )
        self.header = header

    def _checked_width(self, rows: list[Row]) -> list[Row]:
        assert self.header is not None
        width = len(self.header)
        if set(map(len, rows)) == {width}:
            return rows
        fixed = []
        for index, row in enumerate(rows, start=self.rows_read + 1):
            if not row and width == 1:
                row = [""]
            elif len(row) != width:
                raise CsvFormatError(f"record {index} has {len(row)} values; the header has {width} columns")
            fixed.append(row)
        return fixed


class CsvPage(Sequence[Row]):
    """One results page held as the chunks of bytes it arrived in; its records parsed on each pass.

    ``gzip``: the chunks are one gzip stream (``Content-Encoding: gzip``), inflated as they are read.
    ``header`` is read when the page is made (None for a body without a single record).
    ``announced`` (``Sforce-NumberOfRecords``) is checked at the end of every pass; ``len`` is known
    after the first whole pass and costs a pass before it. Indexing and ``==`` parse the page into
    a list first: they are for tests and inspection, not for loops.
    """

    _HEADER_PROBE_BYTES = 4096
    _INFLATE_STEP = 1024 * 1024  # at most this much inflated text at once, whatever the ratio

    def __init__(
        self,
        chunks: Sequence[bytes],
        delimiter: str = ",",
        *,
        gzip: bool = False,
        announced: int | None = None,
        source: str = "",
    ) -> None:
        self._chunks = tuple(chunks)
        self._gzip = gzip
        self._delimiter = delimiter
        self._announced = announced
        self._source = source
        self._count: int | None = None
        self.header = self._read_header()

    def _read_header(self) -> tuple[str, ...] | None:
        # Small slices: the header is the first record, and the records after it are not wanted here.
        reader = CsvPageReader(self._delimiter)
        probe = self._HEADER_PROBE_BYTES
        for data in self._decoded(probe):
            for start in range(0, len(data), probe):
                reader.feed(data[start : start + probe])
                if reader.header is not None:
                    return reader.header
        reader.close()
        return reader.header

    def _decoded(self, step: int) -> Iterator[bytes]:
        if not self._gzip:
            yield from self._chunks
            return
        inflater = zlib.decompressobj(wbits=31)  # a gzip header and trailer around deflate
        try:
            for chunk in self._chunks:
                data = chunk
                while data:
                    yield inflater.decompress(data, step)
                    data = inflater.unconsumed_tail
                if inflater.eof and inflater.unused_data:
                    raise CsvFormatError("results page has data after the end of its gzip stream")
            yield inflater.flush()
        except zlib.error as exc:
            raise CsvFormatError(f"results page is not a valid gzip stream: {exc}") from None
        if not inflater.eof:
            raise CsvFormatError("results page ends inside its gzip stream")

    def __iter__(self) -> Iterator[Row]:
        reader = CsvPageReader(self._delimiter)
        for data in self._decoded(self._INFLATE_STEP):
            yield from reader.feed(data)
        yield from reader.close()
        count = reader.rows_read
        if self._announced is not None and count != self._announced:
            raise RowCountMismatchError(
                f"{self._source or 'a results page'} announced {self._announced} rows but held {count}"
            )
        self._count = count

    def __len__(self) -> int:
        if self._count is None:
            for _ in self:
                pass
        assert self._count is not None
        return self._count

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CsvPage | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
