"""Bulk API 2.0 query jobs under /services/data/vXX.X/jobs/query.

Rules this module owns:

- Create (POST) answers 200 with JobInfo in state UploadComplete. The SOQL is checked at once
  (400 MALFORMED_QUERY / INVALIDENTITY / INVALID_FIELD); ``operation`` is query or queryAll (the
  same rows: the sandbox deletes nothing), ``contentType`` CSV, ``columnDelimiter`` and
  ``lineEnding`` as in :mod:`csv_format`. A background task counts the result set meanwhile.
- States: UploadComplete -> InProgress -> JobComplete, one step each time the pacer says the state
  has lasted long enough (see :mod:`job_pacing`); JobComplete also waits for the count. A seeded
  share of jobs ends Failed instead, with or without ``errorMessage``. Aborted only by the client
  (PATCH ``{"state": "Aborted"}``, allowed from UploadComplete and InProgress). A job takes the
  query-job faults armed when it is created (see :mod:`faults`).
- Results (GET .../results) before JobComplete: 412 JOB_NOT_COMPLETE. Otherwise a complete CSV
  page with its own header, at most ``maxRecords`` rows (and ``page_size_cap``), after
  ``page_latency_s``; ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (base64 of the slot to resume
  from, the literal ``null`` after the last page).
- resultPages (API 58.0+) lists up to ``result_pages_per_call`` page links in the configured shape.
- DELETE answers 204 in a terminal state, else 400 API_ERROR; a deleted job is gone (404).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from bulk_o2c.sandbox.salesforce.api_errors import ApiError
from bulk_o2c.sandbox.salesforce.dataset import Row
from bulk_o2c.sandbox.salesforce.faults import Fault
from bulk_o2c.sandbox.salesforce.job_requests import api_version, dialect_of, job_id, json_body
from bulk_o2c.sandbox.salesforce.job_service import TERMINAL, BulkJob, JobService
from bulk_o2c.sandbox.salesforce.result_set import ResultSet
from bulk_o2c.sandbox.salesforce.soql import SoqlError, SoqlQuery, parse_soql
from bulk_o2c.sandbox.salesforce.streaming import send_csv

_NEXT_STATE = {"UploadComplete": "InProgress", "InProgress": "JobComplete"}
_FAILURE_MESSAGE = (
    "Unexpected exception encountered in query processing. "
    "Please contact support with the following id: 1234567890-12345 (-1234567890)"
)
QUERY_MIN_API_VERSION = 47.0
RESULT_PAGES_MIN_API_VERSION = 58.0


def encode_locator(slot: int) -> str:
    return base64.urlsafe_b64encode(str(slot).encode("ascii")).decode("ascii").rstrip("=")


def decode_locator(locator: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(locator + "=" * (-len(locator) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text) if text.isdigit() else None


def state_code(state: str) -> str:
    """``InProgress`` -> ``IN_PROGRESS``, as the JOB_NOT_COMPLETE message spells states."""
    return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(state)).upper()


@dataclass(eq=False, kw_only=True)
class QueryJob(BulkJob):
    JOB_TYPE: ClassVar[str] = "V2Query"

    query: SoqlQuery
    fails: bool
    results: ResultSet
    faults: frozenset[Fault] = frozenset()
    state: str = "UploadComplete"
    count: int | None = None

    @property
    def object_name(self) -> str:
        return self.query.sobject

    def details(self) -> dict[str, Any]:
        return {
            "numberRecordsProcessed": (self.count or 0) if self.state == "JobComplete" else 0,
            "totalProcessingTime": 0,
            "isPkChunkingSupported": True,
        }


class QueryJobService(JobService[QueryJob]):
    def routes(self) -> list[web.RouteDef]:
        base = "/services/data/{version:v\\d+\\.\\d}/jobs/query"
        return [
            web.post(base, self.create, name="query_create"),
            web.get(base + "/{job_id}", self.get, name="query_get"),
            web.patch(base + "/{job_id}", self.patch, name="query_patch"),
            web.delete(base + "/{job_id}", self.delete, name="query_delete"),
            web.get(base + "/{job_id}/results", self.results, name="query_results"),
            web.get(base + "/{job_id}/resultPages", self.result_pages, name="query_result_pages"),
        ]

    # -- lifecycle -----------------------------------------------------------------------------

    def _advance(self, job: QueryJob, polled: bool) -> None:
        if polled:
            job.pacer.poll()
        while job.state in _NEXT_STATE and job.pacer.due():
            following = _NEXT_STATE[job.state]
            if following == "JobComplete":
                if job.fails:
                    following = "Failed"
                    internal = Fault.QUERY_INTERNAL_ERROR in job.faults
                    has_message = internal or self._config.failed_query_has_message
                    job.error_message = _FAILURE_MESSAGE if has_message else None
                elif job.count is None:
                    return
            self._enter(job, following)

    async def _count(self, job: QueryJob) -> None:
        job.count = await job.results.count()

    # -- handlers ------------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        version = api_version(request, QUERY_MIN_API_VERSION)
        body = await json_body(request)
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        text = body.get("query")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "INVALIDJOB", "InvalidJob : A query is required")
        dialect = dialect_of(body)
        try:
            query = parse_soql(text, self._objects)
        except SoqlError as error:
            raise ApiError(400, error.error_code, error.message) from None
        number = self._next_job_number()
        failure_draw = random.Random(self._config.dataset.seed * 1_000_003 + number).random()
        faults = self._faults.take_query_job_faults()
        for fault in faults:
            self._stats.faults_served[fault] += 1
        job = QueryJob(
            id=job_id(number),
            operation=operation,
            query=query,
            dialect=dialect,
            api_version=version,
            created_ms=self._now_ms(),
            pacer=self._pacer(),
            fails=failure_draw < self._config.failed_query_share or Fault.QUERY_INTERNAL_ERROR in faults,
            faults=faults,
            results=ResultSet(self._dataset, query, self._overlay),
        )
        job.task = asyncio.create_task(self._count(job))
        self._jobs[job.id] = job
        self._stats.query_jobs_created += 1
        return web.json_response(job.info())

    async def patch(self, request: web.Request) -> web.Response:
        job = self._job(request)
        body = await json_body(request)
        if body.get("state") != "Aborted":
            raise ApiError(400, "INVALIDJOB", "InvalidJob : A query job can only be set to Aborted")
        self._advance(job, polled=False)
        if job.state in TERMINAL:
            raise ApiError(
                400, "API_ERROR", "Error encountered when aborting the job because the job is terminated"
            )
        self._enter(job, "Aborted")
        return web.json_response(job.info())

    async def delete(self, request: web.Request) -> web.Response:
        job = self._job(request)
        self._advance(job, polled=False)
        if job.state not in TERMINAL:
            raise ApiError(
                400, "API_ERROR", "Error encountered when deleting the job because the job is not terminated"
            )
        return self._delete(job)

    def _complete_job(self, request: web.Request) -> QueryJob:
        job = self._job(request)
        self._advance(job, polled=False)
        if job.state != "JobComplete":
            raise ApiError(
                412,
                "JOB_NOT_COMPLETE",
                "can only download query results of successfully completed bulk job with status: "
                f"JOB_COMPLETE. Current status: {state_code(job.state)}",
            )
        return job

    def _start_slot(self, request: web.Request) -> int:
        locator = request.query.get("locator", "")
        if not locator:
            return 0
        slot = decode_locator(locator)
        if slot is None:
            raise ApiError(400, "INVALID_LOCATOR", f"Invalid locator: {locator[:40]}")
        return slot

    def _page_size(self, request: web.Request) -> int:
        raw = request.query.get("maxRecords")
        size = self._config.default_page_size
        if raw is not None:
            if not raw.isdigit() or int(raw) < 1:
                raise ApiError(400, "INVALIDREQUEST", "maxRecords must be a positive integer")
            size = int(raw)
        cap = self._config.page_size_cap
        return min(size, cap) if cap is not None else size

    async def results(self, request: web.Request) -> web.StreamResponse:
        job = self._complete_job(request)
        slots, next_slot = job.results.page(self._start_slot(request), self._page_size(request))
        if self._config.page_latency_s > 0:
            await asyncio.sleep(self._config.page_latency_s)
        reset = self._take_reset("query_results")
        following = None if next_slot is None else encode_locator(next_slot)
        if next_slot is None and Fault.SHORT_LAST_PAGE in job.faults:
            slots = slots[:-1]
        elif following is not None and Fault.LOOPING_LOCATOR in job.faults:
            following = request.query.get("locator") or following
        miscounted = self._faults.take("query_results", frozenset({Fault.MISCOUNTED_PAGE})) is not None
        if miscounted:
            self._stats.faults_served[Fault.MISCOUNTED_PAGE] += 1
        headers = {
            "Sforce-NumberOfRecords": str(len(slots) + miscounted),
            "Sforce-Locator": following or "null",
        }
        response = await send_csv(
            request, self._lines(job, slots), headers=headers, stats=self._stats, reset=reset
        )
        if not reset:
            self._stats.pages_served += 1
            self._stats.rows_served += len(slots)
        return response

    @staticmethod
    def _lines(job: QueryJob, slots: list[int]) -> Iterator[str]:
        parents: dict[tuple[str, str], Row] = {}
        dialect = job.dialect
        yield dialect.line(job.results.header)
        for slot in slots:
            yield dialect.line(job.results.values(slot, parents))

    async def result_pages(self, request: web.Request) -> web.Response:
        version = api_version(request, RESULT_PAGES_MIN_API_VERSION)
        job = self._complete_job(request)
        size = self._page_size(request)
        start: int | None = self._start_slot(request)
        starts: list[int] = []
        for _ in itertools.repeat(None, self._config.result_pages_per_call):
            if start is None:
                break
            starts.append(start)
            start = job.results.measure(start, size)
        prefix = f"/services/data/v{version}/"
        links = [f"jobs/query/{job.id}/results?locator={encode_locator(s)}&maxRecords={size}" for s in starts]
        if start is not None and "locator" in request.query and Fault.LOOPING_LISTING in job.faults:
            start = self._start_slot(request)  # this listing names itself as the next one
        following = (
            None
            if start is None
            else f"jobs/query/{job.id}/resultPages?locator={encode_locator(start)}&maxRecords={size}"
        )
        if self._config.result_pages_shape == "doc":
            return web.json_response(
                {
                    "resultPages": [{"resultUrl": prefix + link} for link in links],
                    "nextRecordsUrl": None if following is None else prefix + following,
                    "done": following is None,
                }
            )
        return web.json_response(
            {
                "resultChunks": [{"resultLink": link} for link in links],
                "nextRecordsUrl": following,
                "done": following is None,
            }
        )
