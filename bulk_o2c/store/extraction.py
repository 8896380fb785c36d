"""Extraction progress per flow, and staging a results page with the locator that follows it.

Rules this module owns:
- A flow's extraction is one Bulk 2.0 query job over one window. Its job id is saved before the
  first page is read, so a resumed run reads the same job instead of starting another.
- A page's rows and the locator after it are committed in ONE transaction: after a crash either
  both are there or neither, so a page is never staged twice nor lost. The write is also
  compare-and-set: the caller names the locator it read the page with (None for the first page), and
  a page read from any other point (a stale locator, a second process) is refused unchanged.
- ``next_locator`` None means the job has no more pages: the extraction is done. The transport
  checks a job's totals (and its loops) while the page's rows are read, inside the staging
  transaction, so a page that leaves the job short or past its count commits nothing, the end
  included.
- A job whose results cannot be trusted (short, looping, past its count) is forgotten
  (``restart``): its staged rows are deleted with its progress in one transaction, so the next job
  over the same window stages every row again with no count inflated and no ``seq`` reused. No row
  of an extraction not done has been loaded: the load reads a flow once its extraction is done.
- A row is staged as a JSON array of its values; the column names are kept once, as the
  extraction's ``header``, and every page of an extraction must have the same ones.
- A page's rows are encoded to JSON batches on a worker thread, and SQLite takes each batch apart
  itself: the database thread runs no Python per row. The pipeline encodes the next page while
  this one is inserted (pipeline/extract.py), so parsing and inserting use both cores.
- Rows are staged in page order with a sequence number per flow (``seq``), which is the order the
  records are loaded in and the order of an order's lines. A record staged again in the same run
  (it can reappear in a re-read page window) keeps the newest row and goes back to ``staged``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import anyio.to_thread
import orjson

from bulk_o2c.store.database import CheckpointConflictError, Database, Params

_ID_COLUMN = "Id"
STAGE_BATCH_ROWS = 1000
"""Rows per INSERT: a statement's overhead is already lost in the rows' cost, and a batch's rows
and JSON stay well under a megabyte (5,000 measured no faster and 15 MB heavier at peak)."""

# SQLite takes each batch apart itself (json_each), so no Python runs per row on the database
# thread and the GIL is free while it inserts. ?3 and ?4 are the JSON paths of the id and parent
# columns in a row's array. The WHERE is the upsert's parsing guard.
_STAGE_ROWS = (
    "INSERT INTO staged (run_id, flow, sf_id, parent_id, seq, state, row) "
    "SELECT ?1, ?2, json_extract(value, ?3), NULLIF(json_extract(value, ?4), ''), ?5 + key, "
    "'staged', value FROM json_each(?6) WHERE true "
    "ON CONFLICT (run_id, flow, sf_id) DO UPDATE SET "
    "parent_id = excluded.parent_id, seq = excluded.seq, state = 'staged', row = excluded.row"
)


@dataclass(frozen=True, slots=True)
class _Batch:
    json: bytes  # a JSON array of rows, each a JSON array of values
    count: int


@dataclass(frozen=True, slots=True)
class EncodedPage:
    """A page read to the end and checked (CSV, gzip, its counts and the job's totals), its rows
    encoded as JSON batches: all that staging it has left to do is SQL."""

    columns: str  # the header as a JSON array
    id_path: str
    parent_path: str | None
    batches: tuple[_Batch, ...]

    @property
    def rows(self) -> int:
        return sum(batch.count for batch in self.batches)


def encode_page(
    header: Sequence[str], rows: Iterable[Sequence[str]], parent_column: str | None
) -> EncodedPage:
    """Read ``rows`` to the end and encode them (CPU only: run it on a worker thread). Every error a
    page can hold (malformed CSV or gzip, a row count that does not add up, a missing id column)
    raises here, before any transaction is opened for it."""
    id_path = _column_path(header, _ID_COLUMN)
    parent_path = None if parent_column is None else _column_path(header, parent_column)
    remaining = iter(rows)
    batches = []
    while batch := list(itertools.islice(remaining, STAGE_BATCH_ROWS)):
        batches.append(_Batch(orjson.dumps(batch), len(batch)))
    return EncodedPage(orjson.dumps(list(header)).decode(), id_path, parent_path, tuple(batches))


def _column_path(header: Sequence[str], column: str) -> str:
    try:
        return f"$[{list(header).index(column)}]"
    except ValueError:
        raise CheckpointConflictError(f"the page has no {column} column: {list(header)}") from None


@dataclass(frozen=True, slots=True)
class ExtractionProgress:
    flow: str
    window_start: str | None
    window_end: str
    job_id: str | None
    locator: str | None  # the next page's; None before the first page and after the last
    pages_staged: int
    rows_staged: int
    done: bool


_COLUMNS = "flow, window_start, window_end, job_id, locator, pages_staged, rows_staged, done"


class Extraction:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def begin(
        self, run_id: str, flow: str, *, window_start: str | None, window_end: str
    ) -> ExtractionProgress:
        """Record the flow's window, or return the progress already recorded (a resumed run)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO extractions (run_id, flow, window_start, window_end) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id, flow) DO NOTHING",
                (run_id, flow, window_start, window_end),
            )
        progress = await self.progress(run_id, flow)
        assert progress is not None
        return progress

    async def set_job(self, run_id: str, flow: str, job_id: str) -> None:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE extractions SET job_id = ? WHERE run_id = ? AND flow = ? AND pages_staged = 0",
                (job_id, run_id, flow),
            )
            if cursor.rowcount != 1:
                raise CheckpointConflictError(
                    f"{flow}: no extraction begun, or pages already staged from another job"
                )

    async def stage_page(
        self,
        run_id: str,
        flow: str,
        header: Sequence[str],
        rows: Iterable[Sequence[str]],
        *,
        after: str | None,
        next_locator: str | None,
        parent_column: str | None = None,
    ) -> int:
        """Stage one page read with locator ``after``: ``rows`` hold values in ``header``'s order;
        ``parent_column`` names the parent's id column (``AccountId`` for orders, ``OrderId`` for
        order items). Returns the rows staged."""
        page = await anyio.to_thread.run_sync(encode_page, header, rows, parent_column)
        return await self.stage_encoded(run_id, flow, page, after=after, next_locator=next_locator)

    async def stage_encoded(
        self, run_id: str, flow: str, page: EncodedPage, *, after: str | None, next_locator: str | None
    ) -> int:
        """Stage a page ``encode_page`` made, read with locator ``after``. Returns the rows staged."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "SELECT rows_staged, header FROM extractions "
                "WHERE run_id = ? AND flow = ? AND done = 0 AND locator IS ? AND job_id IS NOT NULL",
                (run_id, flow, after),
            )
            found = await cursor.fetchone()
            if found is None:
                raise CheckpointConflictError(
                    f"{flow}: the page does not follow the saved locator (already staged, or not begun)"
                )
            first_seq = seq = int(found[0])
            if found[1] not in (None, page.columns):
                raise CheckpointConflictError(
                    f"{flow}: the page's columns {page.columns} differ from the pages staged before"
                )
            for batch in page.batches:
                await tx.execute(_STAGE_ROWS, (run_id, flow, page.id_path, page.parent_path, seq, batch.json))
                seq += batch.count
            await tx.execute(
                "UPDATE extractions SET locator = ?, done = ?, pages_staged = pages_staged + 1, "
                "rows_staged = rows_staged + ?, header = ? WHERE run_id = ? AND flow = ?",
                (next_locator, int(next_locator is None), seq - first_seq, page.columns, run_id, flow),
            )
        return seq - first_seq

    async def restart(self, run_id: str, flow: str, job_id: str) -> None:
        """Forget ``job_id`` and its staged rows: the extraction starts again with a new job over the
        same window. ``job_id`` is the saved job, or any job while no page is staged (a job whose
        first page never came, or one that replaced a saved job killed before its first page)."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE extractions SET job_id = NULL, locator = NULL, pages_staged = 0, rows_staged = 0, "
                "header = NULL "
                "WHERE run_id = ? AND flow = ? AND done = 0 AND (pages_staged = 0 OR job_id = ?)",
                (run_id, flow, job_id),
            )
            if cursor.rowcount != 1:
                raise CheckpointConflictError(
                    f"{flow}: the extraction is done or reads another job than {job_id}"
                )
            await tx.execute("DELETE FROM staged WHERE run_id = ? AND flow = ?", (run_id, flow))

    async def finish(self, run_id: str, flow: str) -> None:
        """Mark an extraction read to the end when its job yielded no page at all (no rows)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE extractions SET locator = NULL, done = 1 "
                "WHERE run_id = ? AND flow = ? AND pages_staged = 0",
                (run_id, flow),
            )

    async def progress(self, run_id: str, flow: str) -> ExtractionProgress | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM extractions WHERE run_id = ? AND flow = ?",  # noqa: S608
            (run_id, flow),
        )
        return None if row is None else _progress(row)

    async def all(self, run_id: str) -> list[ExtractionProgress]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM extractions WHERE run_id = ? ORDER BY rowid",  # noqa: S608
            (run_id,),
        )
        return [_progress(row) for row in rows]


def _progress(row: Params) -> ExtractionProgress:
    flow, start, end, job_id, locator, pages, rows, done = row
    return ExtractionProgress(flow, start, end, job_id, locator, pages, rows, bool(done))
