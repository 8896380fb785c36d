"""Extract one flow into the checkpoint's staging table, page by page, resumable mid-job.

Rules this stage owns:
- The window is fixed when the flow's extraction begins and saved with it; a resumed run reads
  the same window even if the high-water mark or the clock moved since, and never computes another
  (a reopened older run's would be empty: later runs moved the mark past its start).
- A page's rows and the locator of the page after it commit in one transaction
  (``stage_encoded``): a kill between pages loses nothing and stages nothing twice. The page is
  read, checked and encoded before that transaction opens (``encode_page``), the next page while
  this one is inserted; a page that fails is raised after every page before it is staged.
- A resumed extraction continues the saved job from the saved locator; one killed before its
  first page starts a new job (the orphan expires on its own after seven days).
- A job whose results cannot be trusted is forgotten with the rows staged from it (``restart``),
  so the extraction's end is only ever committed by a job whose rows add up. A short read (the
  last page leaves the job's ``numberRecordsProcessed`` short) is read again from a new job, up to
  ``SHORT_READ_JOBS`` jobs in all; a loop or an overrun stops the run at once (the server repeats
  itself, a new job now is unlikely to help). Either way the next run starts a new job.
- ``stop`` (the first SIGINT or SIGTERM) ends the extraction at the next page boundary: the pages
  staged so far stay, and the next run continues from the saved locator. Set while the query job
  still runs, it aborts the job at once; the next run starts a new one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from bulk_o2c.config import SalesforceSettings, Settings
from bulk_o2c.pipeline.flows import ExtractSpec
from bulk_o2c.pipeline.metrics import FlowCounters
from bulk_o2c.protocol.salesforce.result_walk import ShortReadError, UntrustedResultsError
from bulk_o2c.protocol.salesforce.soql import DeltaWindow, HighWaterMark, select
from bulk_o2c.store.extraction import EncodedPage, ExtractionProgress, encode_page
from bulk_o2c.store.runs import RunInfo
from bulk_o2c.store.store import CheckpointStore
from bulk_o2c.tasks import task_group
from bulk_o2c.transport.salesforce.bulk_query import Page, Resume, extract
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.polling import Polling

log = logging.getLogger(__name__)


SHORT_READ_JOBS = 3  # jobs one extraction reads before a short read stops the run


async def extract_flow(
    store: CheckpointStore,
    http: SalesforceHttp,
    settings: Settings,
    run: RunInfo,
    spec: ExtractSpec,
    counters: FlowCounters,
    stop: anyio.Event | None = None,
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
    window = _saved_window(progress, spec)
    if window.empty and not progress.done:
        log.warning(
            "%s: the delta window %s is empty: this machine's clock is behind the last run's start by "
            "more than run.delta_overlap_s, or the last run started this second; nothing is read, "
            "and the flow's high-water mark stays where it was",
            spec.flow,
            window.describe(),
        )
        await store.extraction.finish(run_id, spec.flow)
        finished = await store.extraction.progress(run_id, spec.flow)
        assert finished is not None  # begun above
        progress = finished
    for attempt in range(1, SHORT_READ_JOBS + 1):
        counters.extracted = progress.rows_staged
        if progress.done:
            counters.expected = progress.rows_staged
            return
        try:
            await _read_job(store, http, settings, run_id, spec, progress, counters, stop)
            return
        except UntrustedResultsError as exc:
            await store.extraction.restart(run_id, spec.flow, exc.job_id)
            counters.extracted = 0
            retry = isinstance(exc, ShortReadError) and attempt < SHORT_READ_JOBS
            if not retry:
                gave_up = f" ({attempt} query jobs in a row)" if isinstance(exc, ShortReadError) else ""
                raise type(exc)(
                    f"{spec.flow}: {exc}{gave_up}; its rows were set aside, and the next run reads "
                    "the flow again with a new query job",
                    job_id=exc.job_id,
                ) from None
            log.warning("%s: %s; reading it again with a new query job", spec.flow, exc)
        restarted = await store.extraction.progress(run_id, spec.flow)
        assert restarted is not None  # begun above
        progress = restarted


def _saved_window(progress: ExtractionProgress, spec: ExtractSpec) -> DeltaWindow:
    return DeltaWindow(
        start=None if progress.window_start is None else datetime.fromisoformat(progress.window_start),
        end=datetime.fromisoformat(progress.window_end),
        cursor_field=spec.window_field,
    )


async def _read_job(
    store: CheckpointStore,
    http: SalesforceHttp,
    settings: Settings,
    run_id: str,
    spec: ExtractSpec,
    progress: ExtractionProgress,
    counters: FlowCounters,
    stop: anyio.Event | None,
) -> None:
    """Stage the pages of the saved job from the saved locator, or of a new job."""
    saved = _saved_window(progress, spec)
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
        stop=stop,
    )
    # The saved locator is the one the next page was asked with: None for a job's first page, even
    # when that page came from a parallel result link that carries a locator of its own.
    after = resume.locator if resume is not None else None
    failure: Exception | None = None

    async def encode(send: MemoryObjectSendStream[tuple[Page, EncodedPage]]) -> None:
        """Read and encode the pages ahead, one page ahead of staging, so that parsing a page and
        inserting the one before it use both cores. A page that fails ends the stream and is
        raised once every page before it is staged."""
        nonlocal failure
        async with send:
            try:
                async with pages as each:
                    async for page in each:
                        encoded = await anyio.to_thread.run_sync(
                            encode_page, page.header, page.rows, spec.parent_column
                        )
                        await send.send((page, encoded))
            except Exception as exc:  # raised below, once the pages before it are staged
                failure = exc

    send, receive = anyio.create_memory_object_stream[tuple[Page, EncodedPage]]()
    async with task_group() as tg, receive:
        tg.start_soon(encode, send)
        async for page, encoded in receive:
            if job_id != page.job_id:
                await store.extraction.set_job(run_id, spec.flow, page.job_id)
                job_id = page.job_id
            counters.extracted += await store.extraction.stage_encoded(
                run_id, spec.flow, encoded, after=after, next_locator=page.next_locator
            )
            after = page.next_locator
            if stop is not None and stop.is_set() and after is not None:
                log.info("%s extraction stopped after %d rows", spec.flow, counters.extracted)
                tg.cancel_scope.cancel()
                return
    if failure is not None:
        raise failure
    if stop is not None and stop.is_set() and (job_id is None or after is not None):
        return  # stopped while the job ran (it was aborted): no page said where the results end
    if job_id is None:
        await store.extraction.finish(run_id, spec.flow)
    counters.expected = counters.extracted


def polling_for(settings: SalesforceSettings) -> Polling:
    return Polling(settings.poll_initial_s, settings.poll_max_s, settings.poll_timeout_s)
