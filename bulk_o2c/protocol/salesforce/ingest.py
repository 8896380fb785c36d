"""Bulk API 2.0 ingest jobs (upsert by external id): the job's requests and its JobInfo.

Rules this module owns (reference: salesforce-bulk2.md sections 2.1, 2.2, 2.4):

- Only ``upsert`` is spoken: a job names its object, the external id field it matches on,
  ``contentType`` CSV, and the line ending and column delimiter its one upload is written with.
- Paths are relative to ``/services/data/vXX.X/``. A job id goes into a path only after it is
  checked to be a Salesforce id (15 or 18 letters and digits), so a hostile JobInfo cannot steer
  requests elsewhere. The unprocessed-results path is spelled ``unprocessedrecords`` (lower-case r)
  as the documentation spells it.
- A job moves ``Open -> UploadComplete -> InProgress -> JobComplete | Failed``, or to ``Aborted``
  when a client aborts it (states, delimiters and the abort body are shared with query jobs and
  live in ``jobs``). ``JobComplete`` does not mean every row succeeded: ``numberRecordsFailed``
  counts the failures.
- Closing the upload is made idempotent by the job's state, not by the answer: a retried
  ``UploadComplete`` whose first attempt took effect is refused (400 ``INVALIDJOBSTATE``), and a
  job found in any state of ``UPLOAD_CLOSED_STATES`` has had its upload closed. ``Aborted`` is not
  one of them: a job can be aborted while still Open.
- JobInfo is parsed strictly where the client depends on it (``id``, ``state``) and leniently
  elsewhere: the counters default to 0 and ``errorMessage`` may be absent or empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError
from bulk_o2c.protocol.salesforce.jobs import (
    COLUMN_DELIMITERS,
    ColumnDelimiterName,
    JobState,
    LineEndingName,
)

LINE_TERMINATORS: Final[Mapping[LineEndingName, str]] = {"LF": "\n", "CRLF": "\r\n"}

INGEST_JOBS_PATH: Final = "jobs/ingest"
UPLOAD_COMPLETE_BODY: Final[Mapping[str, str]] = {"state": "UploadComplete"}
UPLOAD_CLOSED_STATES: Final = frozenset(
    {JobState.UPLOAD_COMPLETE, JobState.IN_PROGRESS, JobState.JOB_COMPLETE, JobState.FAILED}
)

_SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


class ResultSet(StrEnum):
    """The three result CSVs of an ingest job; the value is the path segment."""

    SUCCESSFUL = "successfulResults"
    FAILED = "failedResults"
    UNPROCESSED = "unprocessedrecords"


@dataclass(frozen=True, slots=True)
class UpsertJob:
    """What an upsert job is created with; the upload must be written with the same dialect."""

    object_name: str
    external_id_field: str
    line_ending: LineEndingName = "LF"
    column_delimiter: ColumnDelimiterName = "COMMA"

    def __post_init__(self) -> None:
        if not self.object_name or not self.external_id_field:
            raise ValueError("an upsert job needs an object name and an external id field")
        if self.line_ending not in LINE_TERMINATORS:
            raise ValueError(f"unknown lineEnding {self.line_ending!r}")
        if self.column_delimiter not in COLUMN_DELIMITERS:
            raise ValueError(f"unknown columnDelimiter {self.column_delimiter!r}")

    @property
    def line_terminator(self) -> str:
        return LINE_TERMINATORS[self.line_ending]

    @property
    def delimiter(self) -> str:
        return COLUMN_DELIMITERS[self.column_delimiter]

    def create_body(self) -> dict[str, str]:
        """The JSON body of ``POST jobs/ingest``."""
        return {
            "object": self.object_name,
            "externalIdFieldName": self.external_id_field,
            "operation": "upsert",
            "contentType": "CSV",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
        }


def job_path(job_id: str) -> str:
    """``jobs/ingest/{id}``: poll (GET), close or abort (PATCH), delete (DELETE)."""
    if _SALESFORCE_ID.fullmatch(job_id) is None:
        raise ValueError(f"not a Salesforce job id: {job_id!r}")
    return f"{INGEST_JOBS_PATH}/{job_id}"


def upload_path(job_id: str) -> str:
    """``jobs/ingest/{id}/batches``: the one CSV upload (PUT, 201)."""
    return f"{job_path(job_id)}/batches"


def results_path(job_id: str, result_set: ResultSet) -> str:
    """``jobs/ingest/{id}/<result set>/`` with the trailing slash the documentation shows."""
    return f"{job_path(job_id)}/{result_set.value}/"


@dataclass(frozen=True, slots=True)
class IngestJobInfo:
    """The parts of an ingest JobInfo the client acts on."""

    id: str
    state: JobState
    records_processed: int = 0
    records_failed: int = 0
    error_message: str | None = None

    @classmethod
    def from_json(cls, payload: object, *, asked: str | None = None) -> IngestJobInfo:
        """``asked``: the job the request named, which the answer must be about."""
        if not isinstance(payload, Mapping):
            raise SalesforceProtocolError(
                f"ingest JobInfo is not a JSON object: {type(payload).__name__}", status=200
            )
        job_id = payload.get("id")
        if not isinstance(job_id, str) or _SALESFORCE_ID.fullmatch(job_id) is None:
            raise SalesforceProtocolError(f"ingest JobInfo has no valid id: {job_id!r}", status=200)
        if asked is not None and job_id != asked:
            raise SalesforceProtocolError(
                f"asked about ingest job {asked}, the answer is about {job_id}", status=200
            )
        raw_state = payload.get("state")
        try:
            state = JobState(str(raw_state))
        except ValueError:
            raise SalesforceProtocolError(
                f"ingest job {job_id} has an unknown state {raw_state!r}", status=200
            ) from None
        error_message = payload.get("errorMessage")
        return cls(
            id=job_id,
            state=state,
            records_processed=_count(payload, "numberRecordsProcessed"),
            records_failed=_count(payload, "numberRecordsFailed"),
            error_message=error_message if isinstance(error_message, str) and error_message else None,
        )


def _count(payload: Mapping[str, object], key: str) -> int:
    value = payload.get(key, 0)
    # bool is an int subclass; a JSON true is no count.
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SalesforceProtocolError(f"ingest JobInfo {key} is not a count: {value!r}", status=200)
    return int(value)
