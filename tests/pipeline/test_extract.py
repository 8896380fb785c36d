"""Extraction inside whole runs against the sandbox org: result pages that cannot be trusted.

A short last page, a looping listing and a job that Salesforce fails internally each reach the
checkpoint only as a job forgotten or made again: the end is committed by a job whose rows add up,
counts are never inflated, and the run (at once or when continued) lands every record once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import cast

import anyio
import pytest

import bulk_o2c.pipeline.extract as extract_module
from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.config import Settings
from bulk_o2c.pipeline.discover import discover
from bulk_o2c.pipeline.extract import SHORT_READ_JOBS, extract_flow
from bulk_o2c.pipeline.flows import ACCOUNT, FLOWS, ExtractSpec, extract_specs
from bulk_o2c.pipeline.metrics import FlowCounters
from bulk_o2c.pipeline.run import run_pipeline
from bulk_o2c.protocol.salesforce.csv_stream import CsvPage, RowCountMismatchError
from bulk_o2c.protocol.salesforce.result_walk import ResultLoopError, ShortReadError
from bulk_o2c.sandbox.salesforce.faults import Fault
from bulk_o2c.store.fingerprint import fingerprint
from bulk_o2c.store.store import open_store
from bulk_o2c.transport.salesforce.bulk_query import Page
from bulk_o2c.transport.salesforce.connect import connect_salesforce
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from tests.support.runs import ACCOUNTS, expected, latest_extraction


def _assert_landed_once(boxes: Sandboxes, settings: Settings) -> None:
    want = expected(boxes, settings)
    customers = [r.external_id for r in boxes.netsuite.records("customer")]
    orders = [r.external_id for r in boxes.netsuite.records("salesOrder")]
    assert sorted(customers) == sorted(want.customers)
    assert sorted(orders) == sorted(want.sales_orders)


async def test_a_short_last_page_is_read_again_from_a_new_job(boxes: Sandboxes, settings: Settings) -> None:
    boxes.salesforce.faults.inject(Fault.SHORT_LAST_PAGE)  # the first job: Account's
    result = await run_pipeline(settings)

    assert result.completed
    assert boxes.salesforce.stats.query_jobs_created == len(FLOWS) + 1
    progress, staged = await latest_extraction(settings, ACCOUNT)
    assert (progress.done, progress.rows_staged, staged) == (True, ACCOUNTS, ACCOUNTS)
    assert result.metrics.flow(ACCOUNT).extracted == ACCOUNTS
    _assert_landed_once(boxes, settings)


async def _stops_then_the_next_run_reads_anew(
    boxes: Sandboxes, settings: Settings, error: type[Exception], match: str, stopped: Callable[[], None]
) -> None:
    """The run stops with ``error`` (``stopped`` checks the org then); Account's job is forgotten
    with its rows, and the next run reads Account from a new job and lands every record once."""
    with anyio.fail_after(30), pytest.raises(ExceptionGroup) as raised:  # a loop followed never ends
        await run_pipeline(settings)
    assert raised.group_contains(error, match=match)
    stopped()
    progress, staged = await latest_extraction(settings, ACCOUNT)
    assert (progress.done, progress.job_id, progress.rows_staged, staged) == (False, None, 0, 0)

    assert (await run_pipeline(settings)).completed
    progress, staged = await latest_extraction(settings, ACCOUNT)
    assert (progress.rows_staged, staged) == (ACCOUNTS, ACCOUNTS)
    _assert_landed_once(boxes, settings)


async def test_short_reads_stop_after_the_bound_and_the_next_run_reads_a_new_job(
    boxes: Sandboxes, settings: Settings
) -> None:
    def every_job_was_short() -> None:
        assert boxes.salesforce.stats.query_jobs_created == SHORT_READ_JOBS

    boxes.salesforce.faults.inject(Fault.SHORT_LAST_PAGE, count=SHORT_READ_JOBS)
    match = f"Account: .*\\({SHORT_READ_JOBS} query jobs in a row\\)"
    await _stops_then_the_next_run_reads_anew(boxes, settings, ShortReadError, match, every_job_was_short)


async def test_a_looping_listing_stops_the_run_and_the_next_run_reads_a_new_job(
    boxes: Sandboxes, settings: Settings
) -> None:
    def followed_once() -> None:
        assert boxes.salesforce.stats.rows_served <= ACCOUNTS  # not round and round

    # 240 accounts in pages of 20, five links a listing: only a listing asked with a locator loops.
    settings = settings.model_copy(
        update={"salesforce": settings.salesforce.model_copy(update={"page_size": 20})}
    )
    boxes.salesforce.faults.inject(Fault.LOOPING_LISTING)
    match = "resultPages listing .* came back"
    await _stops_then_the_next_run_reads_anew(boxes, settings, ResultLoopError, match, followed_once)


async def test_a_job_failed_by_salesforces_internal_error_is_made_again(
    boxes: Sandboxes, settings: Settings
) -> None:
    boxes.salesforce.faults.inject(Fault.QUERY_INTERNAL_ERROR)
    assert (await run_pipeline(settings)).completed
    assert boxes.salesforce.stats.query_jobs_created == len(FLOWS) + 1
    _assert_landed_once(boxes, settings)


async def test_a_stop_while_the_job_runs_aborts_it_and_leaves_the_extraction_to_do(
    boxes: Sandboxes, settings: Settings
) -> None:
    stop = anyio.Event()
    stop.set()  # before the job completes (the sandbox's job needs two polls)
    async with (
        open_store(settings.run.state_dir / "checkpoint.sqlite") as store,
        connect_salesforce(settings.salesforce) as http,
    ):
        spec = extract_specs((await discover(http, settings)).columns)[0]
        run = await store.runs.start(fingerprint(settings))
        await extract_flow(store, http, settings, run, spec, FlowCounters(spec.flow), stop)
    progress, staged = await latest_extraction(settings, spec.flow)
    assert (progress.done, progress.job_id, staged) == (False, None, 0)
    assert boxes.salesforce.stats.requests["query_patch"] == 1  # the job was aborted
    assert boxes.salesforce.stats.requests["query_results"] == 0

    assert (await run_pipeline(settings)).completed
    _assert_landed_once(boxes, settings)


async def test_a_page_that_fails_while_the_one_before_is_staged_fails_after_it_as_itself(
    boxes: Sandboxes, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Page 2 is read (and refused) on a worker thread while page 1 is inserted: page 1 still commits.
    def page(locator: str | None, following: str, body: bytes, announced: int) -> Page:
        rows = CsvPage([b"Id,Name\n" + body], announced=announced)
        return Page("750X", locator, following, ("Id", "Name"), rows, rows_before=0)

    served = [page(None, "L2", b"001A,a\n001B,b\n", 2), page("L2", "L3", b"001C,c\n", 2)]

    @asynccontextmanager
    async def pages(*args: object, **kwargs: object) -> AsyncIterator[AsyncIterator[Page]]:
        async def each() -> AsyncIterator[Page]:
            for one in served:
                yield one
            raise AssertionError("no page is asked for after the one that failed")

        yield each()

    monkeypatch.setattr(extract_module, "extract", pages)
    spec = ExtractSpec(ACCOUNT, None, "SystemModstamp", ("Id", "Name"))
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        run = await store.runs.start(fingerprint(settings))
        with pytest.raises(RowCountMismatchError, match="announced 2 rows but held 1"):
            await extract_flow(store, cast(SalesforceHttp, None), settings, run, spec, FlowCounters(ACCOUNT))
        progress = await store.extraction.progress(run.run_id, ACCOUNT)
    assert progress is not None
    assert (progress.job_id, progress.locator, progress.pages_staged, progress.rows_staged) == (
        "750X",
        "L2",
        1,
        2,
    )


async def test_an_empty_window_reads_nothing_and_leaves_the_marks(
    boxes: Sandboxes, settings: Settings
) -> None:
    """A clock behind the last run's start: each window is empty, so the run reads nothing, ends,
    and leaves the marks for the run after the clock is right (before, a ValueError left the run
    running, and every later run continued it into the same error)."""
    assert (await run_pipeline(settings)).completed
    jobs = boxes.salesforce.stats.query_jobs_created
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        first = await store.runs.latest()
        assert first is not None
        for flow in FLOWS:
            await store.runs.advance_high_water_mark(first.run_id, flow, ahead)

    result = await run_pipeline(settings)

    assert result.completed
    assert boxes.salesforce.stats.query_jobs_created == jobs
    assert all(result.metrics.flow(flow).extracted == 0 for flow in FLOWS)
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        assert [await store.runs.high_water_mark(flow) for flow in FLOWS] == [ahead] * len(FLOWS)
