"""Bulk API 2.0 query extraction: create the job, wait for it, stream its CSV pages, clean up.

Rules this module owns:

- The job is polled with ``polling`` (capped exponential backoff, transport/salesforce/polling.py).
  ``Failed`` (with or without ``errorMessage``) and ``Aborted`` raise
  ``QueryJobFailedError``; a job still running at the deadline is aborted and raises
  ``QueryJobTimeoutError``. Cancellation while the job runs aborts it too.
- Pages come one at a time, each with ``job_id``, the locator that fetched it and the locator of
  the next page: a caller that checkpoints after each page can resume mid-job from
  ``Resume(job_id, next_locator)``. Results live as long as the job (7 days).
- A page's rows are a ``CsvPage``: the body's bytes as they travelled (gzip is not undone on
  arrival), inflated and parsed as the caller reads them. Parsed rows cost several times their
  bytes, so memory stays at a few compressed page bodies whatever the job's size, and a caller
  that streams the rows into storage never holds a parsed page. A body in any encoding but gzip or
  identity is refused.
- Each page's row count is checked against ``Sforce-NumberOfRecords`` whenever its rows are read
  (and before the next page is yielded). The walk (protocol/salesforce/result_walk.py) counts the
  rows against the job's ``numberRecordsProcessed`` as they are read, the last page's included, so
  a short read or an overrun raises from inside the caller's read of the page that shows it, and
  it refuses a locator, listing or page link followed before (a loop). A short read is an error,
  never a silent truncation.
- A job that ends Failed with Salesforce's internal error is created again, up to
  ``job_attempts`` jobs in all (``QueryJobInternalError`` after the last).
- ``stop`` set while the job is still running (a job can run for minutes) aborts it and yields
  nothing: the caller's next run starts a new job. Once pages come, stopping is the caller's.
- Every page's header must equal the first page's; it is checked before the page is yielded.
- ``extract`` is an async context manager: the pages are read inside its block, and the
  downloads run in a task group of the block's own (no task outlives it; leaving the block cancels
  the pages still downloading). A page that fails to download fails in its turn, after the pages
  before it were read, as the page's own error: a download never raises into the task group,
  which would cancel the caller in the middle of the page before.
- With ``parallel_pages`` (API 58.0+) the ``resultPages`` listing is fetched and up to
  ``max_parallel`` pages download at once, yielded in page order (so at most that many bodies are
  held besides the one yielded). The next listing is asked for as soon as every link in hand has
  started downloading, so pages already downloaded are not held back while it comes; only the last
  page of a listing, whose resume locator is in the next one, waits for it. A listing that is
  missing (404), refused or unreadable before any
  page was yielded falls back to sequential locator paging; a resumed extraction always pages by
  locator. The listing is asked for ``maxRecords`` too (whether Salesforce honours it there is not
  documented).
- The job is deleted once every page has been read. A job whose reading stops early (the consumer
  left, the process was cancelled, a page was bad) is kept so that it can be resumed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing, asynccontextmanager, suppress
from dataclasses import dataclass, replace
from functools import partial
from typing import Generic, NamedTuple, TypeVar

import aiohttp
import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

from bulk_o2c.errors import BulkO2CError, PermanentError
from bulk_o2c.protocol.salesforce.csv_stream import CsvHeaderMismatchError, CsvPage, Row
from bulk_o2c.protocol.salesforce.errors import RequestRejectedError, SalesforceProtocolError
from bulk_o2c.protocol.salesforce.jobs import (
    ABORT_BODY,
    COLUMN_DELIMITERS,
    LOCATOR_HEADER,
    RECORD_COUNT_HEADER,
    ColumnDelimiterName,
    JobInfo,
    JobState,
    LineEndingName,
    QueryOperation,
    ResultPageLink,
    ResultPagesBatch,
    create_query_job_body,
    failure_description,
    is_internal_failure,
    job_path,
    next_locator,
    page_record_count,
    parse_job_info,
    parse_result_pages,
    result_pages_path,
    results_params,
    results_path,
)
from bulk_o2c.protocol.salesforce.result_walk import ResultWalk
from bulk_o2c.tasks import task_group
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.polling import Polling, poll_until

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_MAX_PARALLEL = 5
DEFAULT_JOB_ATTEMPTS = 3  # query jobs created for one extraction while Salesforce fails internally
CLEANUP_TIMEOUT_S = 30.0
# resultPages arrived in API 58.0; older versions can only page by locator.
RESULT_PAGES_MIN_VERSION = 58.0


class QueryJobFailedError(PermanentError):
    """The query job ended Failed or Aborted."""


class QueryJobInternalError(QueryJobFailedError):
    """The query job failed with Salesforce's internal error ("Unexpected exception ...")."""


class QueryJobTimeoutError(PermanentError):
    """The job did not finish within the polling timeout; it was aborted."""


class Resume(NamedTuple):
    job_id: str
    locator: str
    # Rows read before ``locator``: with it the job's total is still checked, without it it cannot be.
    rows_done: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    job_id: str
    locator: str | None  # the locator that fetched this page; None for the first page
    next_locator: str | None  # where to resume after this page; None when it was the last
    header: tuple[str, ...]
    rows: Sequence[Row]  # parsed as read; reading them to the end checks the job's totals
    rows_before: int  # rows of the job before this page (from the resume point if rows_done was unknown)


@dataclass(frozen=True, slots=True)
class _Body:
    chunks: list[bytes]
    gzip: bool  # Content-Encoding: gzip, still to undo
    announced: int | None  # Sforce-NumberOfRecords
    next_locator: str | None


@asynccontextmanager
async def extract(
    http: SalesforceHttp,
    soql: str,
    *,
    operation: QueryOperation = "query",
    page_size: int,
    column_delimiter: ColumnDelimiterName = "COMMA",
    line_ending: LineEndingName = "LF",
    polling: Polling,
    resume: Resume | tuple[str, str] | None = None,
    parallel_pages: bool = True,
    max_parallel: int = DEFAULT_MAX_PARALLEL,
    job_attempts: int = DEFAULT_JOB_ATTEMPTS,
    stop: anyio.Event | None = None,
) -> AsyncIterator[AsyncIterator[Page]]:
    """Run ``soql`` as a Bulk 2.0 query job (or resume one); the block reads its result pages in
    order, ``async with extract(...) as pages: async for page in pages``. Pages download in the
    block's task group and leaving the block cancels those still downloading. ``stop`` set while
    the job runs aborts it, and the pages end before the first one."""
    if max_parallel < 1 or job_attempts < 1:
        raise ValueError("max_parallel and job_attempts must be at least 1")
    delimiter = COLUMN_DELIMITERS[column_delimiter]
    if resume is not None:
        resume = Resume(*resume)
        job = _Job(http, resume.job_id, page_size)
        saved = parse_job_info(await http.request_json("GET", job_path(resume.job_id)), asked=resume.job_id)
        info = await job.wait(saved, polling, stop)
        if info is None:
            yield _no_pages()
            return
        expected = None if resume.rows_done is None else info.number_records_processed
        walk = ResultWalk(info.id, expected, rows_before=resume.rows_done or 0)
        resume_at: str | None = resume.locator
    else:
        body = create_query_job_body(
            soql, operation=operation, column_delimiter=column_delimiter, line_ending=line_ending
        )
        job, info = await _completed_job(http, body, page_size, polling, job_attempts, stop)
        if info is None:
            yield _no_pages()
            return
        walk = ResultWalk(info.id, info.number_records_processed)
        resume_at = None
    async with task_group() as downloads:
        bodies = (
            job.parallel_pages(downloads, max_parallel, walk)
            if resume is None and parallel_pages and job.can_list_pages
            else job.locator_pages(resume_at, walk)
        )
        async with aclosing(_pages(job, info, walk, bodies, delimiter)) as pages:
            yield pages
        downloads.cancel_scope.cancel()  # pages the block left unread


async def _no_pages() -> AsyncGenerator[Page, None]:
    return
    yield  # an async generator that ends at once


async def _pages(
    job: _Job,
    info: JobInfo,
    walk: ResultWalk,
    bodies: AsyncGenerator[tuple[str | None, _Body], None],
    delimiter: str,
) -> AsyncGenerator[Page, None]:
    header: tuple[str, ...] | None = None
    async with aclosing(bodies):
        async for locator, fetched in bodies:
            rows = CsvPage(
                fetched.chunks,
                delimiter,
                gzip=fetched.gzip,
                announced=fetched.announced,
                source=f"query job {info.id}: a page",
            )
            if rows.header is not None:
                if header is None:
                    header = rows.header
                elif rows.header != header:
                    raise CsvHeaderMismatchError(
                        f"query job {info.id}: page at locator {locator!r} has header {list(rows.header)}, "
                        f"the first page had {list(header)}"
                    )
            counted = walk.counted(rows, last=fetched.next_locator is None)
            yield Page(
                job_id=info.id,
                locator=locator,
                next_locator=fetched.next_locator,
                header=header or (),
                rows=counted,
                rows_before=walk.rows,
            )
            counted.read_through()  # counted (and checked) as the caller read it, or read now
            del rows, counted, fetched  # the caller's page is the only one held while the next downloads

    walk.end()  # a listing may end without a single page
    await job.delete()
    log.info(
        "Salesforce query job %s read (%d rows) and deleted", info.id, walk.rows, extra={"job_id": info.id}
    )


async def _completed_job(
    http: SalesforceHttp,
    body: dict[str, str],
    page_size: int,
    polling: Polling,
    attempts: int,
    stop: anyio.Event | None,
) -> tuple[_Job, JobInfo | None]:
    """A new job for ``body``, complete (None: stopped, and aborted); created again while Salesforce
    fails it internally."""
    for attempt in range(1, attempts + 1):
        info = parse_job_info(await http.request_json("POST", "jobs/query", json=body))
        log.info("Salesforce query job %s created", info.id, extra={"job_id": info.id})
        job = _Job(http, info.id, page_size)
        try:
            return job, await job.wait(info, polling, stop)
        except QueryJobInternalError as exc:
            if attempt == attempts:
                raise QueryJobInternalError(f"{exc}; gave up after {attempts} query jobs failed so") from None
            log.warning("%s; creating the job again (%d of %d)", exc, attempt + 1, attempts)
            await anyio.sleep(polling.initial_s)
    raise AssertionError("unreachable: the last attempt returns or raises")


class _Outcome(Generic[T]):
    """The value (or the error) of work started in a task group, taken in the order the caller
    chooses: pages download at once but are yielded, and fail, in page order. The work never
    raises into the task group, which would cancel the caller's block in the middle of a page."""

    def __init__(self, receive: MemoryObjectReceiveStream[T | Exception]) -> None:
        self._receive = receive

    @classmethod
    def soon(cls, group: TaskGroup, work: Callable[[], Awaitable[T]]) -> _Outcome[T]:
        send, receive = anyio.create_memory_object_stream[T | Exception](1)

        async def run() -> None:
            with send:
                try:
                    outcome: T | Exception = await work()
                except Exception as exc:  # taken (and raised) by result(), in the caller's order
                    outcome = exc
                with suppress(anyio.BrokenResourceError):  # the caller left without it
                    send.send_nowait(outcome)

        group.start_soon(run)
        return cls(receive)

    @property
    def ready(self) -> bool:
        return self._receive.statistics().current_buffer_used > 0

    async def result(self) -> T:
        with self._receive:
            outcome = await self._receive.receive()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self) -> None:
        self._receive.close()


class _Job:
    def __init__(self, http: SalesforceHttp, job_id: str, page_size: int) -> None:
        self._http = http
        self.id = job_id
        self._page_size = page_size

    @property
    def can_list_pages(self) -> bool:
        return float(self._http.api_version) >= RESULT_PAGES_MIN_VERSION

    async def wait(self, info: JobInfo, polling: Polling, stop: anyio.Event | None) -> JobInfo | None:
        """Poll until the job is terminal; JobComplete is returned, anything else raises. None: ``stop``
        came while the job ran, and it has been aborted."""

        async def fetch() -> JobInfo:
            return parse_job_info(await self._http.request_json("GET", job_path(self.id)), asked=self.id)

        try:
            found = await poll_until(
                fetch, lambda info: info.state.is_terminal, polling, known=info, stop=stop
            )
            if found is None:
                await self._abort()
                if stop is not None and stop.is_set():
                    log.info("query job %s aborted: asked to stop", self.id, extra={"job_id": self.id})
                    return None
                raise QueryJobTimeoutError(
                    f"query job {self.id} was still running after {polling.timeout_s:g} s; "
                    "it has been aborted"
                )
            info = found
        except QueryJobTimeoutError:
            raise
        except BaseException:
            # Cancelled (or the HTTP layer gave up) while Salesforce still works on the query.
            await self._abort()
            raise
        if info.state is not JobState.JOB_COMPLETE:
            await self.delete()
            if is_internal_failure(info):
                raise QueryJobInternalError(failure_description(info))
            raise QueryJobFailedError(failure_description(info))
        return info

    async def locator_pages(
        self, locator: str | None, walk: ResultWalk
    ) -> AsyncGenerator[tuple[str | None, _Body], None]:
        while True:
            if locator is not None:
                walk.follow("locator", locator)
            body = await self._fetch(
                results_path(self.id), results_params(self._page_size, locator), follow_locator=True
            )
            yield locator, body
            if body.next_locator is None:
                return
            locator = body.next_locator

    async def parallel_pages(
        self, downloads: TaskGroup, max_parallel: int, walk: ResultWalk
    ) -> AsyncGenerator[tuple[str | None, _Body], None]:
        try:
            batch = await self._listing(result_pages_path(self.id), walk)
            if any(link.locator is None for link in batch.pages[1:]):
                raise SalesforceProtocolError("result page links carry no locator to resume from", status=200)
        except (RequestRejectedError, SalesforceProtocolError) as exc:
            log.warning("resultPages unusable for job %s (%s); paging by locator", self.id, exc)
            async with aclosing(self.locator_pages(None, walk)) as pages:
                async for item in pages:
                    yield item
            return

        links = deque(batch.pages)
        next_listing = batch.next_url
        listing: _Outcome[ResultPagesBatch] | None = None
        pending: deque[tuple[ResultPageLink, _Outcome[_Body]]] = deque()

        def ask_listing() -> None:
            nonlocal listing
            if listing is None and next_listing is not None:
                listing = _Outcome.soon(downloads, partial(self._listing, next_listing, walk))

        async def take_listing() -> None:
            nonlocal listing, next_listing
            assert listing is not None
            batch = await listing.result()
            listing = None
            links.extend(batch.pages)
            next_listing = batch.next_url

        try:
            while True:
                if listing is not None and listing.ready:
                    await take_listing()
                while len(pending) < max_parallel and links:
                    link = links.popleft()
                    walk.follow("result page link", link.url)
                    fetch = partial(self._fetch, link.url, None, follow_locator=False)
                    pending.append((link, _Outcome.soon(downloads, fetch)))
                # The next listing is asked for in the background, so a page already downloaded
                # is staged while it comes instead of waiting for it.
                if not links:
                    ask_listing()
                if not pending:
                    if listing is None:
                        return
                    await take_listing()  # a listing without pages, and more to come
                    continue
                link, download = pending.popleft()
                body = await download.result()
                # The page after this one is in a listing still to come.
                while not pending and not links and (listing is not None or next_listing is not None):
                    ask_listing()
                    await take_listing()
                following = pending[0][0] if pending else (links[0] if links else None)
                if following is not None and following.locator is None:
                    raise SalesforceProtocolError(
                        f"a result page link of job {self.id} has no locator; it could not be resumed",
                        status=200,
                    )
                resume_at = None if following is None else following.locator
                yield link.locator, replace(body, next_locator=resume_at)
                del body
        finally:
            # Those still downloading are cancelled with ``downloads`` when the pages' block ends.
            for _, download in pending:
                download.close()
            if listing is not None:
                listing.close()

    async def _listing(self, url: str, walk: ResultWalk) -> ResultPagesBatch:
        walk.follow("resultPages listing", url)
        # Ask for our page size; a continuation link that already names one is left alone.
        params = None if "maxRecords=" in url else {"maxRecords": str(self._page_size)}
        answer = await self._http.request_json("GET", url, params=params)
        return parse_result_pages(answer, api_version=self._http.api_version, job_id=self.id)

    async def _fetch(self, url: str, params: dict[str, str] | None, *, follow_locator: bool) -> _Body:
        async def consume(resp: aiohttp.ClientResponse, body: AsyncIterator[bytes]) -> _Body:
            encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("gzip", "identity"):
                raise SalesforceProtocolError(
                    f"a results page of job {self.id} came in {encoding!r}, not gzip or identity",
                    status=resp.status,
                )
            chunks = [chunk async for chunk in body]
            announced = page_record_count(resp.headers.get(RECORD_COUNT_HEADER))
            locator = next_locator(resp.headers.get(LOCATOR_HEADER)) if follow_locator else None
            return _Body(chunks, encoding == "gzip", announced, locator)

        return await self._http.download(url, consume, params=params, decompress=False)

    async def delete(self) -> None:
        await self._cleanup("DELETE", expected=(204, 200))

    async def _abort(self) -> None:
        await self._cleanup("PATCH", expected=(200,), json=dict(ABORT_BODY))
        await self.delete()

    async def _cleanup(self, method: str, *, expected: tuple[int, ...], json: object | None = None) -> None:
        # Shielded: it runs while cancellation unwinds; bounded, so a dead network cannot hang it.
        with anyio.move_on_after(CLEANUP_TIMEOUT_S, shield=True):
            try:
                await self._http.request_json(method, job_path(self.id), json=json, expected=expected)
            except BulkO2CError as exc:
                log.warning("could not %s query job %s: %s", method, self.id, exc, extra={"job_id": self.id})
