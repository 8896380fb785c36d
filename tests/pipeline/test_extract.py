"""Extraction inside whole runs against the sandbox org: result pages that cannot be trusted.

A short last page, a looping listing and a job that Salesforce fails internally each reach the
checkpoint only as a job forgotten or made again: the end is committed by a job whose rows add up,
counts are never inflated, and the run (at once or when continued) lands every record once.
"""

from __future__ import annotations

import anyio
import pytest

from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.config import Settings
from bulk_o2c.pipeline.extract import SHORT_READ_JOBS
from bulk_o2c.pipeline.flows import ACCOUNT, extract_specs
from bulk_o2c.pipeline.run import run_pipeline
from bulk_o2c.protocol.salesforce.result_walk import ResultLoopError, ShortReadError
from bulk_o2c.sandbox.salesforce.faults import Fault
from bulk_o2c.store.extraction import ExtractionProgress
from bulk_o2c.store.store import open_store
from tests.support.runs import ACCOUNTS, expected


async def _extraction(settings: Settings, flow: str) -> tuple[ExtractionProgress, int]:
    """The flow's extraction progress in the latest run, and the rows staged for it."""
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        run = await store.runs.latest()
        assert run is not None
        progress = await store.extraction.progress(run.run_id, flow)
        staged = (await store.staging.counts(run.run_id)).get(flow, {})
    assert progress is not None
    return progress, sum(staged.values())


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
    assert boxes.salesforce.stats.query_jobs_created == len(extract_specs(settings)) + 1
    progress, staged = await _extraction(settings, ACCOUNT)
    assert (progress.done, progress.rows_staged, staged) == (True, ACCOUNTS, ACCOUNTS)
    assert result.metrics.flow(ACCOUNT).extracted == ACCOUNTS
    _assert_landed_once(boxes, settings)


async def test_short_reads_stop_after_the_bound_and_the_next_run_reads_a_new_job(
    boxes: Sandboxes, settings: Settings
) -> None:
    boxes.salesforce.faults.inject(Fault.SHORT_LAST_PAGE, count=SHORT_READ_JOBS)
    with pytest.raises(ExceptionGroup) as raised:
        await run_pipeline(settings)
    assert raised.group_contains(
        ShortReadError, match=f"Account: .*\\({SHORT_READ_JOBS} query jobs in a row\\)"
    )
    assert boxes.salesforce.stats.query_jobs_created == SHORT_READ_JOBS
    progress, staged = await _extraction(settings, ACCOUNT)
    assert (progress.done, progress.job_id, progress.rows_staged, staged) == (False, None, 0, 0)

    assert (await run_pipeline(settings)).completed
    progress, staged = await _extraction(settings, ACCOUNT)
    assert (progress.rows_staged, staged) == (ACCOUNTS, ACCOUNTS)
    _assert_landed_once(boxes, settings)


async def test_a_looping_listing_stops_the_run_and_the_next_run_reads_a_new_job(
    boxes: Sandboxes, settings: Settings
) -> None:
    # 240 accounts in pages of 60, five links a listing: only a listing asked with a locator loops.
    settings = settings.model_copy(
        update={"salesforce": settings.salesforce.model_copy(update={"page_size": 20})}
    )
    boxes.salesforce.faults.inject(Fault.LOOPING_LISTING)
    with anyio.fail_after(30), pytest.raises(ExceptionGroup) as raised:  # followed, it never ends
        await run_pipeline(settings)
    assert raised.group_contains(ResultLoopError, match="resultPages listing .* came back")
    assert boxes.salesforce.stats.rows_served <= ACCOUNTS  # followed once, not round and round
    progress, staged = await _extraction(settings, ACCOUNT)
    assert (progress.done, progress.job_id, progress.rows_staged, staged) == (False, None, 0, 0)

    assert (await run_pipeline(settings)).completed
    progress, staged = await _extraction(settings, ACCOUNT)
    assert (progress.rows_staged, staged) == (ACCOUNTS, ACCOUNTS)
    _assert_landed_once(boxes, settings)


async def test_a_job_failed_by_salesforces_internal_error_is_made_again(
    boxes: Sandboxes, settings: Settings
) -> None:
    boxes.salesforce.faults.inject(Fault.QUERY_INTERNAL_ERROR)
    assert (await run_pipeline(settings)).completed
    assert boxes.salesforce.stats.query_jobs_created == len(extract_specs(settings)) + 1
    _assert_landed_once(boxes, settings)
