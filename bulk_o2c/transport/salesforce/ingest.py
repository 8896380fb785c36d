"""Upsert rows into Salesforce with Bulk API 2.0 ingest jobs, and say what became of every row.

Rules this module owns (wire formats live in ``protocol.salesforce.ingest*``):

- Rows are read lazily and cut into uploads by ``UploadChunker``; each upload is one job:
  create, PUT (201), PATCH ``UploadComplete``, poll, read the three result CSVs, delete. Jobs run
  one after another, so at most one upload (``max_upload_bytes``, 100 MB by default) is in memory.
- ``UploadComplete`` is sent with retries; a refusal of it (a retry whose first attempt took effect
  and whose answer was lost is refused with ``INVALIDJOBSTATE``) is settled by reading the job: if
  its upload is closed the job goes on, otherwise the refusal stands.
- Jobs are polled with ``polling`` (capped exponential backoff, ``polling.py``). A job still
  running after its timeout is aborted and then read like any aborted job: rows it wrote keep
  their outcome, the rest fail as aborted.
- Result CSVs are streamed through ``CsvPageReader`` and joined to the upload by external id, so
  every row ends with exactly one outcome. A 204 or an empty body means "no rows". For a Failed
  or Aborted job a result CSV that cannot be fetched counts as empty: the job's own
  ``errorMessage`` then explains its rows.
- Rows that failed with a lock error are sent again in a NEW job, byte for byte as first encoded,
  at most ``max_lock_retries`` times; the last outcome stands.
- A job is deleted once its results are read. A failed delete is logged, not raised: the
  outcomes are known, and Salesforce removes finished jobs after seven days anyway.
- Whatever interrupts a job before it ends, cancellation included, aborts it (shielded from
  cancellation, bounded in time) before the error goes on, so no job is left to run unwatched.
- A job that fails as a whole (``Failed`` with no row processed: a header naming a field the org
  lacks, ``InvalidBatch : Field name not found : X``) is a setup fault, not an outcome of its rows:
  ``JobFailedError`` carries Salesforce's ``errorMessage`` and no row gets an outcome.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import aiohttp
import anyio

from bulk_o2c.errors import BulkO2CError, PermanentError, TransientError
from bulk_o2c.protocol.salesforce.csv_stream import CsvPageReader
from bulk_o2c.protocol.salesforce.errors import RequestRejectedError
from bulk_o2c.protocol.salesforce.ingest import (
    INGEST_JOBS_PATH,
    UPLOAD_CLOSED_STATES,
    UPLOAD_COMPLETE_BODY,
    IngestJobInfo,
    ResultSet,
    UpsertJob,
    job_path,
    results_path,
    upload_path,
)
from bulk_o2c.protocol.salesforce.ingest_results import (
    Failed,
    OutcomeJoin,
    ResultColumns,
    RowOutcome,
    Succeeded,
    Unprocessed,
)
from bulk_o2c.protocol.salesforce.ingest_upload import (
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_MAX_UPLOAD_ROWS,
    Row,
    Upload,
    UploadChunker,
    UploadEncoder,
)
from bulk_o2c.protocol.salesforce.jobs import ABORT_BODY, JobState
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.polling import Polling, poll_until

log = logging.getLogger(__name__)

# Abort and delete are courtesy calls on the way out; they must not hold a failing run for long.
CLEANUP_TIMEOUT_S: Final = 30.0
_DOWNLOAD_CHUNK_BYTES: Final = 64 * 1024


class JobFailedError(PermanentError):
    """Salesforce failed an ingest job as a whole; the message is its own ``errorMessage``."""


@dataclass(slots=True)
class IngestReport:
    """Per-row outcomes keyed by external id, and the jobs that produced them."""

    outcomes: dict[str, RowOutcome] = field(default_factory=dict)
    job_ids: list[str] = field(default_factory=list)
    lock_retried_rows: int = 0  # row sends repeated because of lock errors, over all rounds

    @property
    def created(self) -> int:
        return sum(1 for o in self.outcomes.values() if isinstance(o, Succeeded) and o.created)

    @property
    def updated(self) -> int:
        return sum(1 for o in self.outcomes.values() if isinstance(o, Succeeded) and not o.created)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes.values() if isinstance(o, Failed))

    @property
    def unprocessed(self) -> int:
        return sum(1 for o in self.outcomes.values() if isinstance(o, Unprocessed))

    @property
    def total(self) -> int:
        return len(self.outcomes)


async def upsert_rows(
    http: SalesforceHttp,
    *,
    object_name: str,
    external_id_field: str,
    fields: Sequence[str],
    rows: AsyncIterable[Row] | Iterable[Row],
    polling: Polling,
    max_lock_retries: int = 3,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_upload_rows: int = DEFAULT_MAX_UPLOAD_ROWS,
) -> IngestReport:
    """Upsert ``rows`` into ``object_name`` matched on ``external_id_field``.

    Cells follow ``protocol.salesforce.ingest_upload``: ``None`` clears a field, ``""`` or a
    missing key leaves it unchanged. Each external id may appear once.
    """
    if max_lock_retries < 0:
        raise ValueError("max_lock_retries cannot be negative")
    job = UpsertJob(object_name, external_id_field)
    chunker = UploadChunker(UploadEncoder(job, fields), max_bytes=max_upload_bytes, max_rows=max_upload_rows)
    runner = _JobRunner(http, job, polling)
    report = IngestReport()

    async def send(upload: Upload) -> None:
        outcomes = await runner.run(upload, report)
        for round_number in range(1, max_lock_retries + 1):
            locked = [key for key, outcome in outcomes.items() if _is_locked(outcome)]
            if not locked:
                return
            log.info(
                "%s: %d row(s) hit a lock; sending them again in a new job (round %d of %d)",
                object_name,
                len(locked),
                round_number,
                max_lock_retries,
            )
            report.lock_retried_rows += len(locked)
            outcomes = await runner.run(upload.subset(locked), report)

    if isinstance(rows, AsyncIterable):
        async for row in rows:
            if (finished := chunker.push(row)) is not None:
                await send(finished)
    else:
        for row in rows:
            if (finished := chunker.push(row)) is not None:
                await send(finished)
    if (last := chunker.flush()) is not None:
        await send(last)
    return report


def _is_locked(outcome: RowOutcome) -> bool:
    return isinstance(outcome, Failed) and outcome.error.is_lock_failure


class _JobRunner:
    """Takes one upload through one job, from creation to deletion."""

    def __init__(self, http: SalesforceHttp, job: UpsertJob, polling: Polling) -> None:
        self._http = http
        self._job = job
        self._polling = polling

    async def run(self, upload: Upload, report: IngestReport) -> dict[str, RowOutcome]:
        """The outcome of each of the upload's rows; they are also recorded in ``report``."""
        created = await self._http.request_json(
            "POST", INGEST_JOBS_PATH, json=self._job.create_body(), expected=(200, 201)
        )
        job_id = IngestJobInfo.from_json(created).id
        report.job_ids.append(job_id)
        try:
            await self._http.upload_csv(upload_path(job_id), upload.body)
            await self._close_upload(job_id)
            final = await self._wait(job_id)
        except BaseException:
            await self._abort_quietly(job_id)
            raise
        if final.state is JobState.FAILED and final.records_processed == 0:
            await self._delete_quietly(job_id)
            reason = final.error_message or "no reason given"
            raise JobFailedError(
                f"Salesforce failed the {self._job.object_name} ingest job as a whole: {reason}"
            )
        outcomes = await self._outcomes(final, upload)
        log.info(
            "ingest job %s (%s) %s: %d row(s), %d processed, %d failed by its count",
            job_id,
            self._job.object_name,
            final.state,
            upload.row_count,
            final.records_processed,
            final.records_failed,
        )
        report.outcomes.update(outcomes)
        await self._delete_quietly(job_id)
        return outcomes

    async def _fetch(self, job_id: str) -> IngestJobInfo:
        return IngestJobInfo.from_json(await self._http.request_json("GET", job_path(job_id)), asked=job_id)

    async def _close_upload(self, job_id: str) -> None:
        try:
            await self._http.request_json("PATCH", job_path(job_id), json=UPLOAD_COMPLETE_BODY)
        except RequestRejectedError as refusal:
            info = await self._fetch(job_id)
            if info.state not in UPLOAD_CLOSED_STATES:
                raise
            log.info("ingest job %s is already %s; its upload was closed (%s)", job_id, info.state, refusal)

    async def _wait(self, job_id: str) -> IngestJobInfo:
        found = await poll_until(
            lambda: self._fetch(job_id), lambda info: info.state.is_terminal, self._polling
        )
        return found if found is not None else await self._abort_after_timeout(job_id)

    async def _abort_after_timeout(self, job_id: str) -> IngestJobInfo:
        log.warning("ingest job %s still running after %.0f s; aborting it", job_id, self._polling.timeout_s)
        try:
            info = IngestJobInfo.from_json(
                await self._http.request_json("PATCH", job_path(job_id), json=ABORT_BODY), asked=job_id
            )
        except PermanentError:
            # It may have finished between the last poll and the abort; look again.
            info = await self._fetch(job_id)
        waited = f"{self._polling.timeout_s:.0f} s"
        if not info.state.is_terminal:
            raise TransientError(f"ingest job {job_id} outlived its {waited} and could not be aborted")
        if info.state is JobState.ABORTED:
            return replace(info, error_message=f"aborted by bulk-o2c after {waited} unfinished")
        return info

    async def _outcomes(self, info: IngestJobInfo, upload: Upload) -> dict[str, RowOutcome]:
        join = OutcomeJoin(upload.external_ids)
        for result_set in ResultSet:
            try:
                found = await self._read(info.id, result_set)
            except PermanentError as exc:
                if info.state is JobState.JOB_COMPLETE:
                    raise
                log.warning("ingest job %s is %s and has no %s: %s", info.id, info.state, result_set, exc)
                continue
            for external_id, outcome in found:
                join.add(external_id, outcome)
        return join.finish(info)

    async def _read(self, job_id: str, result_set: ResultSet) -> list[tuple[str, RowOutcome]]:
        external_id_field = self._job.external_id_field
        delimiter = self._job.delimiter

        async def consume(
            resp: aiohttp.ClientResponse, body: AsyncIterator[bytes]
        ) -> list[tuple[str, RowOutcome]]:
            found: list[tuple[str, RowOutcome]] = []
            if resp.status == 204:
                return found
            reader = CsvPageReader(delimiter)
            columns: ResultColumns | None = None

            def take(rows: list[list[str]]) -> None:
                nonlocal columns
                if not rows:
                    return
                if columns is None:
                    assert reader.header is not None  # rows only come after the header
                    columns = ResultColumns.from_header(result_set, reader.header, external_id_field)
                found.extend(map(columns.outcome, rows))

            async for chunk in body:
                take(reader.feed(chunk))
            take(reader.close())
            return found

        return await self._http.download(
            results_path(job_id, result_set), consume, expected=(200, 204), chunk_bytes=_DOWNLOAD_CHUNK_BYTES
        )

    async def _abort_quietly(self, job_id: str) -> None:
        with anyio.move_on_after(CLEANUP_TIMEOUT_S, shield=True):
            try:
                await self._http.request_json("PATCH", job_path(job_id), json=ABORT_BODY)
            except BulkO2CError as exc:
                log.warning("could not abort ingest job %s: %s", job_id, exc)
                return
            log.info("aborted ingest job %s", job_id)

    async def _delete_quietly(self, job_id: str) -> None:
        with anyio.move_on_after(CLEANUP_TIMEOUT_S, shield=True):
            try:
                await self._http.request_json("DELETE", job_path(job_id), expected=(204,))
            except BulkO2CError as exc:
                log.warning("could not delete ingest job %s: %s", job_id, exc)
