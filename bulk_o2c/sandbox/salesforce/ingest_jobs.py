"""Bulk API 2.0 ingest jobs (upsert / update by Id) under /services/data/vXX.X/jobs/ingest.

Rules this module owns:

- Create answers 200 with JobInfo in state Open and ``contentUrl`` without a leading slash. The
  sandbox supports ``upsert`` (``externalIdFieldName`` must be ``Id``) and ``update``.
- PUT .../batches takes ``text/csv`` while the job is Open and answers 201 with no body; an upload
  over ``max_upload_bytes`` is refused whole (400). Several uploads to one job are accepted and
  must share one header.
- PATCH ``UploadComplete`` closes the upload; the pacer then moves the job to InProgress, where the
  rows are applied, and to JobComplete once they all are. A job-level problem (undecodable or
  unparsable CSV, a line ending that contradicts the job, an unknown header field, no Id column)
  makes the job Failed with ``errorMessage`` and writes nothing. PATCH ``Aborted`` stops it; rows
  not yet applied become unprocessed. Any other move answers 400 INVALIDJOBSTATE, as Salesforce
  does to a repeated ``UploadComplete``.
- A row: ``Id`` must name a record of the object (else INVALID_CROSS_REFERENCE_KEY); an empty value
  leaves the field as it is; ``#N/A`` sets it to null; a non-empty value for a field the
  integration may not write fails the row (INVALID_FIELD_FOR_INSERT_UPDATE); an injected or seeded
  lock fails it with UNABLE_TO_LOCK_ROW. A successful row is written through :mod:`writes`
  (SystemModstamp moves, as in Salesforce); a written OrderItem moves its Order's SystemModstamp
  too, because the order's TotalAmount rolls its lines up.
- successfulResults/ (``sf__Id``, ``sf__Created``, the uploaded columns), failedResults/
  (``sf__Id``, ``sf__Error`` as ``CODE:message``, the uploaded columns) and unprocessedrecords/ (the
  uploaded columns) are served once the job is terminal, shuffled with the seeded RNG: row order
  is deliberately not the upload order, so clients must join on Id.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from bulk_o2c.sandbox.salesforce.api_errors import ApiError
from bulk_o2c.sandbox.salesforce.dataset import INTEGRATION_USER_ID
from bulk_o2c.sandbox.salesforce.job_requests import api_version, dialect_of, job_id, json_body
from bulk_o2c.sandbox.salesforce.job_service import TERMINAL, BulkJob, JobService
from bulk_o2c.sandbox.salesforce.schema import ORDER, ORDER_ITEM, SObject, object_named
from bulk_o2c.sandbox.salesforce.streaming import send_csv

INGEST_MIN_API_VERSION = 41.0
NULL_MARKER = "#N/A"
_DELETABLE = TERMINAL | {"UploadComplete"}
_ABORTABLE = frozenset({"Open", "UploadComplete", "InProgress"})
_YIELD_EVERY = 2_000
LOCK_FAILURE = "unable_to_lock_row"
"""The ``faults_served`` key counting rows failed with UNABLE_TO_LOCK_ROW."""


class _BatchError(Exception):
    """A problem with the uploaded data as a whole: the job fails and nothing is written."""


@dataclass(eq=False, kw_only=True)
class IngestJob(BulkJob):
    JOB_TYPE: ClassVar[str] = "V2Ingest"

    number: int
    sobject: SObject
    external_id_field: str | None
    state: str = "Open"
    uploads: list[bytes] = field(default_factory=list, repr=False)
    header: list[str] = field(default_factory=list)
    successes: list[list[str | None]] = field(default_factory=list, repr=False)
    failures: list[list[str | None]] = field(default_factory=list, repr=False)
    unprocessed: list[list[str | None]] = field(default_factory=list, repr=False)
    processing_ms: int = 0

    @property
    def object_name(self) -> str:
        return self.sobject.name

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "contentUrl": f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches",
            "numberRecordsProcessed": len(self.successes) + len(self.failures),
            "numberRecordsFailed": len(self.failures),
            "totalProcessingTime": self.processing_ms,
            "apiActiveProcessingTime": self.processing_ms,
            "apexProcessingTime": 0,
        }
        if self.external_id_field is not None:
            details["externalIdFieldName"] = self.external_id_field
        return details


class IngestJobService(JobService[IngestJob]):
    def routes(self) -> list[web.RouteDef]:
        base = "/services/data/{version:v\\d+\\.\\d}/jobs/ingest"
        job = base + "/{job_id}"
        return [
            web.post(base, self.create, name="ingest_create"),
            web.get(job, self.get, name="ingest_get"),
            web.patch(job, self.patch, name="ingest_patch"),
            web.delete(job, self.delete, name="ingest_delete"),
            web.put(job + "/batches", self.upload, name="ingest_upload"),
            web.get(
                job + "/successfulResults{slash:/?}",
                self.successful_results,
                name="ingest_successful_results",
            ),
            web.get(job + "/failedResults{slash:/?}", self.failed_results, name="ingest_failed_results"),
            web.get(
                job + "/unprocessedrecords{slash:/?}",
                self.unprocessed_records,
                name="ingest_unprocessed_records",
            ),
        ]

    # -- lifecycle -----------------------------------------------------------------------------

    def _advance(self, job: IngestJob, polled: bool) -> None:
        if polled:
            job.pacer.poll()
        while job.pacer.due():
            if job.state == "UploadComplete":
                self._enter(job, "InProgress")
                job.task = asyncio.create_task(self._process(job))
            elif job.state == "InProgress" and job.task is not None and job.task.done():
                self._enter(job, "Failed" if job.error_message is not None else "JobComplete")
            else:
                return

    async def _process(self, job: IngestJob) -> None:
        started = self._clock.now()
        try:
            fields, rows = self._parse(job)
        except _BatchError as error:
            job.error_message = str(error)
            return
        draws = random.Random(self._config.dataset.seed * 1_000_003 + job.number)
        for index, values in enumerate(rows):
            if job.state == "Aborted":
                job.unprocessed.extend(rows[index:])
                break
            self._apply(job, fields, values, draws)
            if index % _YIELD_EVERY == _YIELD_EVERY - 1:
                await asyncio.sleep(0)
        draws.shuffle(job.successes)
        draws.shuffle(job.failures)
        job.processing_ms = int((self._clock.now() - started) * 1000)

    @staticmethod
    def _field(job: IngestJob, name: str) -> str:
        canonical = job.sobject.field_named(name)
        if canonical is None:
            raise _BatchError(f"InvalidBatch : Field name not found : {name}")
        return canonical

    def _parse(self, job: IngestJob) -> tuple[list[str], list[list[str | None]]]:
        """The canonical field of each column and the data rows of every upload."""
        rows: list[list[str | None]] = []
        header: list[str] | None = None
        for upload in job.uploads:
            try:
                text = upload.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise _BatchError("ClientInputError : The uploaded data is not UTF-8") from None
            self._check_line_ending(job, text)
            try:
                parsed = list(
                    csv.reader(io.StringIO(text, newline=""), delimiter=job.dialect.delimiter, strict=True)
                )
            except csv.Error as error:
                raise _BatchError(f"ClientInputError : Failed to parse CSV: {error}") from None
            if not parsed:
                continue
            if header is None:
                header = parsed[0]
            elif parsed[0] != header:
                raise _BatchError("InvalidBatch : Every upload to a job must have the same header")
            for number, row in enumerate(parsed[1:], start=2):
                if len(row) != len(header):
                    raise _BatchError(
                        f"ClientInputError : Row {number} has {len(row)} fields, the header {len(header)}"
                    )
                rows.append(list(row))
        job.header = header or []
        fields = [self._field(job, name) for name in job.header]
        if rows and "Id" not in fields:
            raise _BatchError("InvalidBatch : Field name not provided: Id")
        return fields, rows

    @staticmethod
    def _check_line_ending(job: IngestJob, text: str) -> None:
        end = text.find("\n")
        if end < 0:
            return
        crlf = end > 0 and text[end - 1] == "\r"
        if crlf != (job.dialect.line_ending_name == "CRLF"):
            raise _BatchError(
                "ClientInputError : LineEnding is invalid on user data. "
                f"Current LineEnding setting is {job.dialect.line_ending_name}"
            )

    def _apply(
        self, job: IngestJob, fields: list[str], values: list[str | None], draws: random.Random
    ) -> None:
        record = dict(zip(fields, values, strict=True))
        slot = self._dataset.slot_of(job.sobject.name, record["Id"] or "")
        if slot is None:
            job.failures.append(["", "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--", *values])
            return
        record_id = self._dataset.record_id(job.sobject.name, slot)
        changes: dict[str, str | None] = {}
        for name, value in record.items():
            if name == "Id" or not value:
                continue
            if name not in job.sobject.writable:
                job.failures.append([record_id, _not_writable(name), *values])
                return
            changes[name] = None if value == NULL_MARKER else value
        locked = draws.random() < self._config.lock_failure_share
        if self._faults.take_lock(record_id) or locked:
            self._stats.faults_served[LOCK_FAILURE] += 1
            job.failures.append(
                [
                    record_id,
                    f"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: "
                    f"{record_id}",
                    *values,
                ]
            )
            return
        now_ms = self._now_ms()
        self._overlay.write(job.sobject.name, slot, changes, now_ms, INTEGRATION_USER_ID)
        if job.sobject.name == ORDER_ITEM.name:
            order_slot = self._dataset.parent_slot(ORDER_ITEM.name, slot, "Order")
            self._overlay.write(ORDER.name, order_slot, {}, now_ms, INTEGRATION_USER_ID)
        self._stats.rows_written += 1
        job.successes.append([record_id, "false", *values])

    # -- handlers ------------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        version = api_version(request, INGEST_MIN_API_VERSION)
        body = await json_body(request)
        name = body.get("object")
        sobject = object_named(name, self._objects) if isinstance(name, str) else None
        if sobject is None:
            raise ApiError(400, "INVALIDENTITY", f"Entity '{name}' is not supported by the Bulk API.")
        operation = body.get("operation")
        if operation not in ("upsert", "update"):
            raise ApiError(
                400, "INVALIDJOB", f"InvalidJob : The sandbox supports upsert and update, not {operation}"
            )
        external_id = body.get("externalIdFieldName")
        if operation == "upsert" and (not isinstance(external_id, str) or external_id.lower() != "id"):
            raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid External ID field: {external_id}")
        number = self._next_job_number()
        job = IngestJob(
            number=number,
            id=job_id(number),
            sobject=sobject,
            operation=operation,
            external_id_field="Id" if operation == "upsert" else None,
            dialect=dialect_of(body),
            api_version=version,
            created_ms=self._now_ms(),
            pacer=self._pacer(),
        )
        self._jobs[job.id] = job
        self._stats.ingest_jobs_created += 1
        return web.json_response(job.info())

    async def upload(self, request: web.Request) -> web.Response:
        job = self._job(request)
        if job.state != "Open":
            raise ApiError(
                400, "API_ERROR", f"Data can only be uploaded to an Open job; the job is {job.state}"
            )
        if request.content_type != "text/csv":
            raise ApiError(400, "INVALIDJOB", "InvalidJob : Content-Type must be text/csv")
        limit = self._config.max_upload_bytes
        too_large = ApiError(
            400, "ClientInputError", f"Failed to read request. Exceeded max size limit of {limit}"
        )
        if request.content_length is not None and request.content_length > limit:
            raise too_large
        data = bytearray()
        async for chunk in request.content.iter_chunked(1 << 16):
            data += chunk
            if len(data) > limit:
                raise too_large
        job.uploads.append(bytes(data))
        return web.Response(status=201)

    async def patch(self, request: web.Request) -> web.Response:
        job = self._job(request)
        wanted = (await json_body(request)).get("state")
        self._advance(job, polled=False)
        if wanted == "UploadComplete" and job.state == "Open":
            self._enter(job, "UploadComplete")
        elif wanted == "Aborted" and job.state in _ABORTABLE:
            if job.task is None:
                try:
                    job.unprocessed = self._parse(job)[1]
                except _BatchError:
                    job.unprocessed = []
            self._enter(job, "Aborted")
        else:
            raise ApiError(400, "INVALIDJOBSTATE", f"The job cannot go from {job.state} to {wanted}")
        return web.json_response(job.info())

    async def delete(self, request: web.Request) -> web.Response:
        job = self._job(request)
        self._advance(job, polled=False)
        if job.state not in _DELETABLE:
            raise ApiError(
                400, "API_ERROR", f"Error encountered when deleting the job because the job is {job.state}"
            )
        return self._delete(job)

    async def _results(
        self, request: web.Request, endpoint: str, columns: list[str], rows: Callable[[IngestJob], list[Any]]
    ) -> web.StreamResponse:
        job = self._job(request)
        self._advance(job, polled=False)
        if job.state not in TERMINAL:
            raise ApiError(
                400, "API_ERROR", f"Results are available once the job is complete; it is {job.state}"
            )
        reset = self._take_reset(endpoint)

        def lines() -> Iterator[str]:
            yield job.dialect.line([*columns, *job.header])
            for row in rows(job):
                yield job.dialect.line(row)

        return await send_csv(request, lines(), headers={}, stats=self._stats, reset=reset)

    async def successful_results(self, request: web.Request) -> web.StreamResponse:
        return await self._results(
            request, "ingest_successful_results", ["sf__Id", "sf__Created"], lambda job: job.successes
        )

    async def failed_results(self, request: web.Request) -> web.StreamResponse:
        return await self._results(
            request, "ingest_failed_results", ["sf__Id", "sf__Error"], lambda job: job.failures
        )

    async def unprocessed_records(self, request: web.Request) -> web.StreamResponse:
        return await self._results(request, "ingest_unprocessed_records", [], lambda job: job.unprocessed)


def _not_writable(name: str) -> str:
    return (
        f"INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: {name}. "
        "Please check the security settings of this field and verify that it is read/write "
        f"for your profile or permission set.:{name} --"
    )
