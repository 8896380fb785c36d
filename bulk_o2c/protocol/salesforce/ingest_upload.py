"""The CSV an upsert job uploads, cut into uploads that each fit one job.

Rules this module owns (reference: salesforce-bulk2.md sections 2.3, 2.5, 5.4, 7.5):

- UTF-8 without BOM. The first line names the fields by API name, in the order given; every row
  has one cell per field. Quoting is minimal: a cell is quoted when it holds the delimiter, a
  double quote (doubled inside), or a CR or LF. Values are written untrimmed.
- A cell says one of three things, and the API keeps them apart:
    * ``None`` (``SET_NULL``) clears the field: written as ``#N/A``, Salesforce's null marker;
    * ``""`` (``UNCHANGED``), or a field missing from the row, leaves the field as it is:
      on update an empty cell is ignored, it does NOT clear the field;
    * any other string is the new value. The literal text ``#N/A`` cannot be sent as a value
      (Salesforce would read it as null), so it is refused rather than silently clearing data.
  A row key that is not one of the job's fields is refused too: it would be dropped silently.
- Every row carries its external id, non-empty and unique across the whole stream: results come
  back in any order and are joined to the input on that value alone.
- One job takes one upload (the documented reading; salesforce-bulk2.md 2.3). An upload holds at
  most ``max_bytes`` encoded bytes, header included (default 100 MB: the documented 150 MB limit
  applies after base64, so 100 MB raw) and at most ``max_rows`` rows. Bytes are counted exactly,
  on the encoded row, before the row is added.
- Uploads are produced lazily: the chunker is fed one row at a time and hands back an upload only
  when the next row no longer fits, so at most one upload is ever held in memory.
- A single row that cannot fit in an upload, even alone, is a ``RequestTooLargeError``.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from bulk_o2c.errors import RequestTooLargeError
from bulk_o2c.protocol.salesforce.ingest import UpsertJob

NULL_MARKER: Final = "#N/A"
SET_NULL: Final = None
UNCHANGED: Final = ""

DEFAULT_MAX_UPLOAD_BYTES: Final = 100_000_000
# Salesforce's 24-hour ceiling for ingested records (salesforce-bulk2.md 2.3); no smaller per-job
# row limit is documented, so by default the byte budget is the one that cuts.
DEFAULT_MAX_UPLOAD_ROWS: Final = 150_000_000

Cell = str | None
Row = Mapping[str, Cell]


@dataclass(frozen=True, slots=True)
class Upload:
    """One job's CSV: the body to PUT and, per row, its external id and place in the body."""

    body: bytes = field(repr=False)
    external_ids: tuple[str, ...]
    # Row i is body[row_offsets[i]:row_offsets[i + 1]]; row_offsets[0] is where the header ends.
    row_offsets: array[int] = field(repr=False)

    @property
    def row_count(self) -> int:
        return len(self.external_ids)

    @property
    def header(self) -> bytes:
        return self.body[: self.row_offsets[0]]

    def row(self, index: int) -> bytes:
        return self.body[self.row_offsets[index] : self.row_offsets[index + 1]]

    def subset(self, external_ids: Collection[str]) -> Upload:
        """A new upload with the same header and only these rows, byte for byte as first encoded.

        It is never larger than this one, so it fits the same budget.
        """
        wanted = set(external_ids)
        unknown = wanted.difference(self.external_ids)
        if unknown:
            raise ValueError(f"{len(unknown)} external id(s) are not in this upload")
        builder = _UploadBuilder(self.header)
        for index, external_id in enumerate(self.external_ids):
            if external_id in wanted:
                builder.add(external_id, self.row(index))
        return builder.build()


class UploadEncoder:
    """Encodes the header and rows of an upsert job's CSV."""

    def __init__(self, job: UpsertJob, fields: Sequence[str]) -> None:
        self.fields: tuple[str, ...] = tuple(fields)
        if not self.fields:
            raise ValueError("an upload needs at least one field")
        if any(not name for name in self.fields):
            raise ValueError("a field name is empty")
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("a field is listed twice")
        if job.external_id_field not in self.fields:
            raise ValueError(f"the external id field {job.external_id_field!r} is not among the fields")
        self._field_set = frozenset(self.fields)
        self._external_id_field = job.external_id_field
        self._terminator = job.line_terminator
        self._sink = _LineSink()
        # The csv module quotes only characters of its own line terminator, so a bare CR in an
        # LF file would go out unquoted. Writing with CRLF quotes both; the ending is swapped after.
        self._writer = csv.writer(
            self._sink, delimiter=job.delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n"
        )
        self.header: bytes = self._line(self.fields)

    def external_id(self, row: Row) -> str:
        value = row.get(self._external_id_field)
        if not isinstance(value, str) or not value:
            raise ValueError(f"a row has no value for the external id field {self._external_id_field!r}")
        return value

    def encode(self, row: Row) -> bytes:
        """One row, line terminator included."""
        if not row.keys() <= self._field_set:
            extra = sorted(str(key) for key in row.keys() - self._field_set)
            raise ValueError(f"row has fields the job does not upload: {', '.join(extra)}")
        return self._line([_cell(row.get(name, UNCHANGED)) for name in self.fields])

    def _line(self, cells: Sequence[str]) -> bytes:
        self._writer.writerow(cells)
        return (self._sink.line[:-2] + self._terminator).encode("utf-8")


class UploadChunker:
    """Push rows, get back finished uploads, each within the byte and row budgets (h11 style)."""

    def __init__(
        self,
        encoder: UploadEncoder,
        *,
        max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        max_rows: int = DEFAULT_MAX_UPLOAD_ROWS,
    ) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        if max_bytes <= len(encoder.header):
            raise ValueError(
                f"max_bytes={max_bytes} leaves no room after the {len(encoder.header)}-byte header"
            )
        self._encoder = encoder
        self._max_bytes = max_bytes
        self._max_rows = max_rows
        self._seen: set[str] = set()
        self._builder = _UploadBuilder(encoder.header)

    def push(self, row: Row) -> Upload | None:
        """Add a row; returns the previous upload when this row starts a new one."""
        external_id = self._encoder.external_id(row)
        if external_id in self._seen:
            raise ValueError(f"external id {external_id!r} appears twice; results could not be joined")
        line = self._encoder.encode(row)
        if len(self._encoder.header) + len(line) > self._max_bytes:
            raise RequestTooLargeError(
                f"the row for {external_id!r} takes {len(line)} bytes; with the header it exceeds "
                f"the {self._max_bytes}-byte upload budget on its own"
            )
        self._seen.add(external_id)
        finished: Upload | None = None
        builder = self._builder
        if builder.row_count and (
            builder.size + len(line) > self._max_bytes or builder.row_count >= self._max_rows
        ):
            finished = builder.build()
            builder = self._builder = _UploadBuilder(self._encoder.header)
        builder.add(external_id, line)
        return finished

    def flush(self) -> Upload | None:
        """The last, partly filled upload; ``None`` when no row is pending."""
        if not self._builder.row_count:
            return None
        finished = self._builder.build()
        self._builder = _UploadBuilder(self._encoder.header)
        return finished


def _cell(value: Cell) -> str:
    if value is None:
        return NULL_MARKER
    if not isinstance(value, str):
        raise TypeError(f"a cell is str or None, not {type(value).__name__}")
    if value == NULL_MARKER:
        raise ValueError(f"{NULL_MARKER!r} cannot be sent as a value: Salesforce reads it as null")
    return value


class _LineSink:
    """A file-like target that keeps the one line csv.writer just wrote."""

    __slots__ = ("line",)

    def __init__(self) -> None:
        self.line = ""

    def write(self, text: str) -> int:
        self.line = text
        return len(text)


class _UploadBuilder:
    __slots__ = ("_body", "_external_ids", "_offsets")

    def __init__(self, header: bytes) -> None:
        self._body = bytearray(header)
        self._external_ids: list[str] = []
        self._offsets = array("Q", [len(header)])

    @property
    def size(self) -> int:
        return len(self._body)

    @property
    def row_count(self) -> int:
        return len(self._external_ids)

    def add(self, external_id: str, line: bytes) -> None:
        self._body += line
        self._external_ids.append(external_id)
        self._offsets.append(len(self._body))

    def build(self) -> Upload:
        return Upload(bytes(self._body), tuple(self._external_ids), self._offsets)
