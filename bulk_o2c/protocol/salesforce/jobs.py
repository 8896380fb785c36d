"""Bulk API 2.0 query jobs: the create body, JobInfo, results paging and parallel result pages.

Rules this module owns:

- A job is created with ``operation`` ``query`` (live rows) or ``queryAll`` (also deleted and
  archived rows), ``contentType`` CSV, and the job's ``columnDelimiter`` and ``lineEnding``.
- States: ``UploadComplete`` -> ``InProgress`` -> ``JobComplete`` | ``Failed``; ``Aborted`` only by
  the client. Those last three are terminal. A Failed query job may carry no ``errorMessage``.
- A Failed job whose ``errorMessage`` is Salesforce's internal error ("Unexpected exception
  encountered in query processing. Please contact support ...") failed on Salesforce's side, not
  on the query: the same query may succeed as a new job (``is_internal_failure``).
- Results are paged with an explicit ``maxRecords`` (the server's default is undocumented) and the
  ``locator`` of the previous page's ``Sforce-Locator`` header, omitted for the first page. The
  literal string ``null`` in that header ends paging; a missing header is a broken answer, not an
  end, because treating it as one is how clients truncate silently.
- ``resultPages`` (API 58.0+) answers in shapes that disagree between docs and the live API: the
  list is ``resultPages`` or ``resultChunks``, each entry's link ``resultUrl`` or ``resultLink``,
  the continuation ``nextRecordsUrl`` or ``nextRecordUrl`` (possibly null), plus ``done``. A link
  starting with ``/services/`` is a path on the instance; any other relative link is relative to
  ``/services/data/vXX.X/``; an absolute URL is kept (the transport checks its host). Every link
  and continuation must name the job it lists (``.../jobs/query/<job id>/...``): one naming another
  job would stage that job's rows as this one's.
- Job ids are alphanumeric: anything else would build another URL (the ``jobs/query//750`` 404).
  A JobInfo asked for by id must be about that job: another job's state and counts would be taken
  for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError

QueryOperation = Literal["query", "queryAll"]
ColumnDelimiterName = Literal["BACKQUOTE", "CARET", "COMMA", "PIPE", "SEMICOLON", "TAB"]
LineEndingName = Literal["LF", "CRLF"]

COLUMN_DELIMITERS: Mapping[str, str] = {
    "BACKQUOTE": "`",
    "CARET": "^",
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
LINE_ENDINGS = frozenset({"LF", "CRLF"})
END_OF_RESULTS = "null"
LOCATOR_HEADER = "Sforce-Locator"
RECORD_COUNT_HEADER = "Sforce-NumberOfRecords"

_JOB_ID_RE = re.compile(r"^[A-Za-z0-9]+$")


class JobState(StrEnum):
    OPEN = "Open"
    UPLOAD_COMPLETE = "UploadComplete"
    IN_PROGRESS = "InProgress"
    JOB_COMPLETE = "JobComplete"
    FAILED = "Failed"
    ABORTED = "Aborted"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.JOB_COMPLETE, JobState.FAILED, JobState.ABORTED})


@dataclass(frozen=True, slots=True)
class JobInfo:
    id: str
    state: JobState
    operation: str
    object: str | None
    number_records_processed: int
    error_message: str | None
    column_delimiter: str
    line_ending: str
    api_version: str | None
    retries: int
    total_processing_time_ms: int


def create_query_job_body(
    soql: str,
    *,
    operation: QueryOperation = "query",
    column_delimiter: ColumnDelimiterName = "COMMA",
    line_ending: LineEndingName = "LF",
) -> dict[str, str]:
    if operation not in ("query", "queryAll"):
        raise ValueError(f"a query job's operation is query or queryAll, not {operation!r}")
    if column_delimiter not in COLUMN_DELIMITERS:
        raise ValueError(f"unknown column delimiter {column_delimiter!r}")
    if line_ending not in LINE_ENDINGS:
        raise ValueError(f"unknown line ending {line_ending!r}")
    if not soql.strip():
        raise ValueError("empty query")
    return {
        "operation": operation,
        "query": soql,
        "contentType": "CSV",
        "columnDelimiter": column_delimiter,
        "lineEnding": line_ending,
    }


ABORT_BODY: Mapping[str, str] = {"state": "Aborted"}


def job_path(job_id: str) -> str:
    if not _JOB_ID_RE.match(job_id):
        raise ValueError(f"{job_id!r} is not a Bulk API job id")
    return f"jobs/query/{job_id}"


def results_path(job_id: str) -> str:
    return f"{job_path(job_id)}/results"


def result_pages_path(job_id: str) -> str:
    return f"{job_path(job_id)}/resultPages"


def results_params(max_records: int, locator: str | None) -> dict[str, str]:
    """Query parameters of one results page: always ``maxRecords``, ``locator`` after the first."""
    if max_records < 1:
        raise ValueError("maxRecords must be at least 1")
    if locator == END_OF_RESULTS:
        raise ValueError("the 'null' locator ends paging; there is no page to fetch")
    params = {"maxRecords": str(max_records)}
    if locator is not None:
        if not locator:
            raise ValueError("empty locator")
        params["locator"] = locator
    return params


def next_locator(header_value: str | None) -> str | None:
    """The locator of the next page from ``Sforce-Locator``; None when this was the last page."""
    if header_value is None or not header_value.strip():
        raise SalesforceProtocolError(
            f"a results page came without a {LOCATOR_HEADER} header; refusing to guess that it was the last",
            status=200,
        )
    value = header_value.strip()
    return None if value == END_OF_RESULTS else value


def page_record_count(header_value: str | None) -> int | None:
    """``Sforce-NumberOfRecords`` of a results page, when the server sent it."""
    if header_value is None:
        return None
    try:
        count = int(header_value.strip())
    except ValueError:
        raise SalesforceProtocolError(
            f"{RECORD_COUNT_HEADER} is not a number: {header_value[:40]!r}", status=200
        ) from None
    if count < 0:
        raise SalesforceProtocolError(f"{RECORD_COUNT_HEADER} is negative", status=200)
    return count


def parse_job_info(data: Any, *, asked: str | None = None) -> JobInfo:
    """A query JobInfo; ``asked``: the job the request named, which the answer must be about."""
    if not isinstance(data, dict):
        raise SalesforceProtocolError("a JobInfo answer is not a JSON object", status=200)
    job_id = data.get("id")
    state = data.get("state")
    if not isinstance(job_id, str) or not _JOB_ID_RE.match(job_id):
        raise SalesforceProtocolError("a JobInfo answer has no usable id", status=200)
    if asked is not None and job_id != asked:
        raise SalesforceProtocolError(
            f"asked about query job {asked}, the answer is about {job_id}", status=200
        )
    try:
        job_state = JobState(str(state))
    except ValueError:
        raise SalesforceProtocolError(f"job {job_id} is in an unknown state {state!r}", status=200) from None
    error_message = data.get("errorMessage")
    api_version = data.get("apiVersion")
    sobject = data.get("object")
    return JobInfo(
        id=job_id,
        state=job_state,
        operation=str(data.get("operation") or ""),
        object=sobject if isinstance(sobject, str) else None,
        number_records_processed=_count(data, "numberRecordsProcessed"),
        error_message=(error_message.strip() or None) if isinstance(error_message, str) else None,
        column_delimiter=str(data.get("columnDelimiter") or "COMMA"),
        line_ending=str(data.get("lineEnding") or "LF"),
        api_version=_version(api_version),
        retries=_count(data, "retries"),
        total_processing_time_ms=_count(data, "totalProcessingTime"),
    )


_INTERNAL_ERROR_MARK = "unexpected exception"


def is_internal_failure(info: JobInfo) -> bool:
    """A Failed job that Salesforce's internal error ended: worth creating again."""
    message = info.error_message or ""
    return info.state is JobState.FAILED and message.lower().startswith(_INTERNAL_ERROR_MARK)


def failure_description(info: JobInfo) -> str:
    """What to tell the user about a Failed or Aborted job."""
    if info.state is JobState.ABORTED:
        return f"query job {info.id} was aborted"
    reason = info.error_message or "Salesforce gave no errorMessage (query jobs often do not)"
    return f"query job {info.id} failed after {info.retries} internal retries: {reason}"


@dataclass(frozen=True, slots=True)
class ResultPageLink:
    """One page of a ``resultPages`` answer: where to GET it and the locator in that link, if any."""

    url: str
    locator: str | None


@dataclass(frozen=True, slots=True)
class ResultPagesBatch:
    pages: tuple[ResultPageLink, ...]
    next_url: str | None

    @property
    def done(self) -> bool:
        return self.next_url is None


def resolve_link(link: str, api_version: str) -> str:
    """A path on the instance (``/services/...``) or an absolute URL, from any link the API gives."""
    link = link.strip()
    if not link:
        raise SalesforceProtocolError("empty link in a resultPages answer", status=200)
    if urlsplit(link).scheme:
        return link
    if link.startswith("/services/"):
        return link
    return f"/services/data/v{api_version}/{link.lstrip('/')}"


def parse_result_pages(data: Any, *, api_version: str, job_id: str) -> ResultPagesBatch:
    if not isinstance(data, dict):
        raise SalesforceProtocolError("a resultPages answer is not a JSON object", status=200)
    entries = data.get("resultPages", data.get("resultChunks"))
    if not isinstance(entries, list):
        raise SalesforceProtocolError("a resultPages answer lists no resultPages or resultChunks", status=200)
    pages = []
    for entry in entries:
        link = entry.get("resultUrl", entry.get("resultLink")) if isinstance(entry, dict) else None
        if not isinstance(link, str):
            raise SalesforceProtocolError("a result page has no resultUrl or resultLink", status=200)
        url = _own_link(resolve_link(link, api_version), job_id)
        pages.append(ResultPageLink(url=url, locator=_locator_of(url)))
    next_url = data.get("nextRecordsUrl", data.get("nextRecordUrl"))
    done = data.get("done") is True or not isinstance(next_url, str) or not next_url.strip()
    return ResultPagesBatch(
        pages=tuple(pages),
        next_url=None if done else _own_link(resolve_link(str(next_url), api_version), job_id),
    )


def _own_link(url: str, job_id: str) -> str:
    segments = urlsplit(url).path.split("/")
    own = any(segments[i : i + 3] == ["jobs", "query", job_id] for i in range(len(segments)))
    if not own:
        raise SalesforceProtocolError(
            f"a resultPages link of query job {job_id} names another job or place: {url[:200]!r}", status=200
        )
    return url


def _locator_of(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("locator")
    return values[0] if values else None


def _version(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return f"{float(value):.1f}"
    except ValueError:
        return None


def _count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SalesforceProtocolError(f"JobInfo {key} is not a number", status=200)
    try:
        return int(value)
    except ValueError:
        raise SalesforceProtocolError(f"JobInfo {key} is not a number", status=200) from None
