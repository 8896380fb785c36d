"""Extract one flow into the checkpoint's staging table, page by page, resumable mid-job.

Rules this stage owns:
- The window is fixed when the flow's extraction begins and saved with it; a resumed run reads
  the same window even if the high-water mark or the clock moved since, and never computes another
  (a reopened older run's would be empty: later runs moved the mark past its start).
- A page's rows and the locator of the page after it commit in one transaction
  (``stage_page``): a kill between pages loses nothing and stages nothing twice.
- A resumed extraction continues the saved job from the saved locator; one killed before its
  first page starts a new job (the orphan expires on its own after seven days).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bulk_o2c.config import SalesforceSettings, Settings
from bulk_o2c.pipeline.flows import ExtractSpec
from bulk_o2c.pipeline.metrics import FlowCounters
from bulk_o2c.protocol.salesforce.soql import DeltaWindow, HighWaterMark, select
from bulk_o2c.store.runs import RunInfo
from bulk_o2c.store.store import CheckpointStore
from bulk_o2c.transport.salesforce.bulk_query import Resume, extract
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.polling import Polling

log = logging.getLogger(__name__)


async def extract_flow(
    store: CheckpointStore,
    http: SalesforceHttp,
    settings: Settings,
    run: RunInfo,
    spec: ExtractSpec,
    counters: FlowCounters,
) -> None:
    """Extract ``spec.flow`` for ``run``: from the flow's high-water mark (less the overlap) to the
    run's start, or, resumed, over the window saved when it began."""
    run_id = run.run_id
    progress = await store.extraction.progress(run_id, spec.flow)
    if progress is None:
        # Only now: a run reopened after later runs moved the mark (a DLQ retry of an older run)
        # has its windows saved, and the mark has gone past its start.
        mark = HighWaterMark.from_text(await store.runs.high_water_mark(spec.flow))
        window = mark.window(
            datetime.fromisoformat(run.started_at),
            overlap=timedelta(seconds=settings.run.delta_overlap_s),
            cursor_field=spec.window_field,
        )
        progress = await store.extraction.begin(
            run_id,
            spec.flow,
            window_start=None if window.start is None else window.start.isoformat(),
            window_end=window.end.isoformat(),
        )
    counters.extracted = progress.rows_staged
    if progress.done:
        counters.expected = progress.rows_staged
        return
    saved = DeltaWindow(
        start=None if progress.window_start is None else datetime.fromisoformat(progress.window_start),
        end=datetime.fromisoformat(progress.window_end),
        cursor_field=spec.window_field,
    )
    resume = None
    if progress.job_id is not None and progress.pages_staged > 0:
        assert progress.locator is not None  # staged pages and not done: the next page's locator
        resume = Resume(progress.job_id, progress.locator, progress.rows_staged)
        log.info(
            "resuming %s extraction: job %s after %d rows", spec.flow, progress.job_id, progress.rows_staged
        )
    job_id = progress.job_id if resume is not None else None
    pages = extract(
        http,
        select(spec.flow, spec.columns, saved.where()),
        page_size=settings.salesforce.page_size,
        polling=polling_for(settings.salesforce),
        resume=resume,
    )
    # The saved locator is the one the next page was asked with: None for a job's first page, even
    # when that page came from a parallel result link that carries a locator of its own.
    after = resume.locator if resume is not None else None
    async for page in pages:
        if job_id != page.job_id:
            await store.extraction.set_job(run_id, spec.flow, page.job_id)
            job_id = page.job_id
        await store.extraction.stage_page(
            run_id,
            spec.flow,
            page.header,
            page.rows,
            after=after,
            next_locator=page.next_locator,
            parent_column=spec.parent_column,
        )
        after = page.next_locator
        counters.extracted += len(page.rows)
    if job_id is None:
        await store.extraction.finish(run_id, spec.flow)
    counters.expected = counters.extracted


def polling_for(settings: SalesforceSettings) -> Polling:
    return Polling(settings.poll_initial_s, settings.poll_max_s, settings.poll_timeout_s)
