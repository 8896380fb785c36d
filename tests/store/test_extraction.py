from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import cast

import pytest

from bulk_o2c.protocol.salesforce.csv_stream import CsvFormatError, CsvPage, RowCountMismatchError
from bulk_o2c.store import CheckpointConflictError, CheckpointStore, extraction
from bulk_o2c.store.extraction import ExtractionProgress
from tests.store.conftest import Rows, as_page

WINDOW = {"window_start": "2025-03-01T00:00:00+00:00", "window_end": "2025-03-02T00:00:00+00:00"}


@pytest.fixture
async def begun(store: CheckpointStore, run_id: str) -> str:
    await store.extraction.begin(run_id, "Account", **WINDOW)
    await store.extraction.set_job(run_id, "Account", "750A")
    return run_id


async def test_begin_records_the_window_once(store: CheckpointStore, run_id: str) -> None:
    first = await store.extraction.begin(run_id, "Account", **WINDOW)
    again = await store.extraction.begin(
        run_id, "Account", window_start=None, window_end="2026-01-01T00:00:00+00:00"
    )
    assert again == first  # a resumed run keeps the window it started with
    assert (first.window_start, first.job_id, first.locator, first.pages_staged, first.done) == (
        WINDOW["window_start"],
        None,
        None,
        0,
        False,
    )


async def test_pages_are_staged_in_order_with_their_locator(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(3)), after=None, next_locator="L1")
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (
        progress.job_id,
        progress.locator,
        progress.pages_staged,
        progress.rows_staged,
        progress.done,
    ) == (
        "750A",
        "L1",
        1,
        3,
        False,
    )
    await store.extraction.stage_page(
        begun, "Account", *as_page(accounts(2, start=3)), after="L1", next_locator=None
    )
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (progress.locator, progress.pages_staged, progress.rows_staged, progress.done) == (
        None,
        2,
        5,
        True,
    )
    staged = await store.staging.ready(begun, "Account")
    assert [record.row for record in staged] == accounts(5)
    assert [record.seq for record in staged] == [0, 1, 2, 3, 4]


async def test_a_page_staged_twice_is_refused_and_changes_nothing(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(3)), after=None, next_locator="L1")
    with pytest.raises(CheckpointConflictError):
        await store.extraction.stage_page(
            begun, "Account", *as_page(accounts(3, start=10)), after=None, next_locator="L1"
        )
    with pytest.raises(CheckpointConflictError):
        await store.extraction.stage_page(
            begun, "Account", *as_page(accounts(3, start=10)), after="L0", next_locator="L2"
        )
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (progress.locator, progress.pages_staged, progress.rows_staged) == ("L1", 1, 3)
    assert len(await store.staging.ready(begun, "Account")) == 3


async def test_nothing_is_staged_before_the_job_is_recorded(
    store: CheckpointStore, run_id: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.begin(run_id, "Account", **WINDOW)
    with pytest.raises(CheckpointConflictError):
        await store.extraction.stage_page(
            run_id, "Account", *as_page(accounts(1)), after=None, next_locator=None
        )


async def test_the_job_cannot_change_once_pages_are_staged(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.set_job(begun, "Account", "750B")  # no page yet: a new job is fine
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(1)), after=None, next_locator="L1")
    with pytest.raises(CheckpointConflictError):
        await store.extraction.set_job(begun, "Account", "750C")


async def test_a_page_that_fails_midway_leaves_no_row_and_the_old_locator(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(2)), after=None, next_locator="L1")
    header, broken = as_page(accounts(5, start=2))
    # The fourth row cannot be staged (no id): the transaction is rolled back, not committed.
    broken[3][header.index("Id")] = cast(str, None)
    with pytest.raises(sqlite3.IntegrityError, match=r"staged\.sf_id"):
        await store.extraction.stage_page(begun, "Account", header, broken, after="L1", next_locator="L2")
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (progress.locator, progress.pages_staged, progress.rows_staged) == ("L1", 1, 2)
    assert [r.sf_id for r in await store.staging.ready(begun, "Account")] == [a["Id"] for a in accounts(2)]
    await store.extraction.stage_page(
        begun, "Account", *as_page(accounts(5, start=2)), after="L1", next_locator=None
    )
    assert len(await store.staging.ready(begun, "Account")) == 7


async def test_a_last_page_whose_read_fails_commits_neither_its_rows_nor_the_end(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(2)), after=None, next_locator="L1")
    header, rows = as_page(accounts(3, start=2))

    def short_read() -> Iterator[list[str]]:
        yield from rows
        raise RowCountMismatchError("read 5 rows but the job processed 6")  # as the result walk does

    with pytest.raises(RowCountMismatchError):
        await store.extraction.stage_page(
            begun, "Account", header, short_read(), after="L1", next_locator=None
        )
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (progress.locator, progress.rows_staged, progress.done) == ("L1", 2, False)
    assert len(await store.staging.ready(begun, "Account")) == 2


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    return "".join(",".join(values) + "\n" for values in [list(header), *rows]).encode()


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        ("gzip cut short", "ends inside its gzip stream"),
        ("row count", "announced 4 rows but held 3"),
        ("csv", "record 4 has 1 values"),
    ],
)
async def test_a_page_that_cannot_be_read_raises_before_its_transaction_opens(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows], broken: str, error: str
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(2)), after=None, next_locator="L1")
    header, rows = as_page(accounts(3, start=2))
    body = _csv(header, rows)
    transactions = store.write_transactions()
    if broken == "gzip cut short":
        page = CsvPage([gzip.compress(body)[:-12]], gzip=True)
    elif broken == "row count":
        page = CsvPage([body], announced=4)
    else:
        page = CsvPage([body, b"lonely\n" * 2000])  # past the first chunk the header is read from

    with pytest.raises((CsvFormatError, RowCountMismatchError), match=error):
        await store.extraction.stage_page(begun, "Account", header, page, after="L1", next_locator=None)

    # Refused while it was read: no transaction was opened for it, so none had to be rolled back.
    assert store.write_transactions() == transactions
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (progress.locator, progress.rows_staged, progress.done) == ("L1", 2, False)


async def test_restart_forgets_the_job_and_its_rows_so_the_next_job_counts_from_zero(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(3)), after=None, next_locator="L1")
    with pytest.raises(CheckpointConflictError):
        await store.extraction.restart(begun, "Account", "750Z")  # not the job the extraction reads
    await store.extraction.restart(begun, "Account", "750A")
    forgotten = ExtractionProgress(
        "Account", **WINDOW, job_id=None, locator=None, pages_staged=0, rows_staged=0, done=False
    )
    assert await store.extraction.progress(begun, "Account") == forgotten
    assert await store.staging.ready(begun, "Account") == []
    await store.extraction.set_job(begun, "Account", "750B")
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(2)), after=None, next_locator=None)
    staged = await store.staging.ready(begun, "Account")
    assert [(r.sf_id, r.seq) for r in staged] == [(a["Id"], seq) for seq, a in enumerate(accounts(2))]
    with pytest.raises(CheckpointConflictError):
        await store.extraction.restart(begun, "Account", "750B")  # done: nothing to forget any more


async def test_restart_forgets_any_job_while_no_page_is_staged(store: CheckpointStore, begun: str) -> None:
    # 750A was saved, then killed before its first page; the run that went on made 750B.
    await store.extraction.restart(begun, "Account", "750B")
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (progress.job_id, progress.done) == (None, False)


async def test_a_record_staged_again_keeps_its_newest_row(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(2)), after=None, next_locator="L1")
    newer = accounts(1)
    newer[0]["Name"] = "Renamed"
    await store.extraction.stage_page(begun, "Account", *as_page(newer), after="L1", next_locator=None)
    staged = await store.staging.ready(begun, "Account")
    assert [(r.sf_id, r.row["Name"]) for r in staged] == [
        (accounts(2)[1]["Id"], "Account 1"),
        (newer[0]["Id"], "Renamed"),
    ]


async def test_hostile_values_are_stored_and_returned_unchanged(store: CheckpointStore, begun: str) -> None:
    row = {
        "Id": "001000000000000001",
        "Name": "Robert'); DROP TABLE staged;--\n\x00\u202e🚀",
        "Note": "\"'\\",
    }
    await store.extraction.stage_page(begun, "Account", *as_page([row]), after=None, next_locator=None)
    (staged,) = await store.staging.ready(begun, "Account")
    assert staged.row == row


async def test_a_page_larger_than_a_batch_keeps_its_order_and_parents(
    store: CheckpointStore, run_id: str, orders: Callable[..., Rows], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extraction, "STAGE_BATCH_ROWS", 2)  # five rows: three INSERTs, one transaction
    page = orders(["001A", "", "001C", "001A", "001E"])
    await store.extraction.begin(run_id, "Order", **WINDOW)
    await store.extraction.set_job(run_id, "Order", "750B")
    header, values = as_page(page)
    staged_count = await store.extraction.stage_page(
        run_id, "Order", header, iter(values), after=None, next_locator=None, parent_column="AccountId"
    )
    assert staged_count == 5
    progress = await store.extraction.progress(run_id, "Order")
    assert progress is not None
    assert (progress.pages_staged, progress.rows_staged, progress.done) == (1, 5, True)
    staged = await store.staging.ready(run_id, "Order")
    assert [(r.seq, r.sf_id, r.parent_id, r.row) for r in staged] == [
        (n, row["Id"], row["AccountId"] or None, row) for n, row in enumerate(page)
    ]


async def test_a_page_with_other_columns_than_the_pages_before_is_refused(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(2)), after=None, next_locator="L1")
    header, values = as_page(accounts(2, start=2))
    with pytest.raises(CheckpointConflictError, match="differ from the pages staged before"):
        await store.extraction.stage_page(
            begun, "Account", header[::-1], [v[::-1] for v in values], after="L1", next_locator=None
        )
    with pytest.raises(CheckpointConflictError, match="no Id column"):
        await store.extraction.stage_page(begun, "Account", ["Name"], [["x"]], after="L1", next_locator=None)
    progress = await store.extraction.progress(begun, "Account")
    assert progress is not None
    assert (progress.locator, progress.rows_staged) == ("L1", 2)


async def test_rows_staged_as_objects_by_an_older_version_are_still_read(
    store: CheckpointStore, begun: str, accounts: Callable[..., Rows]
) -> None:
    # A checkpoint from before headers were kept: object rows, no header on the extraction.
    await store.extraction.stage_page(begun, "Account", *as_page(accounts(2)), after=None, next_locator=None)
    connection = store._database._connection
    await connection.execute("UPDATE extractions SET header = NULL")
    await connection.execute("UPDATE staged SET row = json_object('Id', sf_id, 'Name', 'Old ' || seq)")
    staged = await store.staging.ready(begun, "Account")
    assert [r.row for r in staged] == [{"Id": a["Id"], "Name": f"Old {n}"} for n, a in enumerate(accounts(2))]
