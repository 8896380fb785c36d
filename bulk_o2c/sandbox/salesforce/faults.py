"""Faults a test asks for: failed requests, broken result downloads, locked rows.

Rules:

- ``inject(fault, count, endpoint)`` arms a fault for the next ``count`` requests to ``endpoint`` (a
  route name such as ``query_results``, or None for any request). Armed faults fire in the order
  they were injected.
- SERVICE_UNAVAILABLE (503), SERVER_ERROR (500) and CONCURRENT_LIMIT (403 REQUEST_LIMIT_EXCEEDED,
  ConcurrentRequests) replace the response before authentication; the request does not count
  against the API allowance and changes nothing.
- RESET_MID_BODY fires only on a CSV download (query results page, ingest results): the server
  sends the headers and part of the body, then closes the connection. Nothing about the job
  changes, so fetching the same locator again returns the whole page.
- ANSWER_LOST lets the request take effect, then closes the connection before any answer: the
  client cannot tell it from a request that never arrived, retries it, and meets the state its
  first attempt left (a closed upload, a created job).
- MISCOUNTED_PAGE fires only on a query results page: its ``Sforce-NumberOfRecords`` announces
  one row more than the page holds (the job and the page's rows are unchanged).
- The query-job faults are armed for the next ``count`` query jobs created (endpoint None or
  ``query_create``), each job taking every kind armed: QUERY_INTERNAL_ERROR ends the job Failed
  with Salesforce's internal error ("Unexpected exception ... contact support"); SHORT_LAST_PAGE
  leaves the final row out of the job's last page (``Sforce-NumberOfRecords`` agrees with the page,
  ``numberRecordsProcessed`` does not); LOOPING_LOCATOR answers every page fetched with a locator
  with that same locator as the next one (the pages go round forever); LOOPING_LISTING answers
  every ``resultPages`` listing fetched with a locator with its own URL as ``nextRecordsUrl``.
- ``lock_records(ids, times)`` makes the next ``times`` attempts to write each record fail with
  UNABLE_TO_LOCK_ROW in an ingest job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Fault(enum.StrEnum):
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVER_ERROR = "server_error"
    CONCURRENT_LIMIT = "concurrent_limit"
    RESET_MID_BODY = "reset_mid_body"
    ANSWER_LOST = "answer_lost"
    MISCOUNTED_PAGE = "miscounted_page"
    QUERY_INTERNAL_ERROR = "query_internal_error"
    SHORT_LAST_PAGE = "short_last_page"
    LOOPING_LOCATOR = "looping_locator"
    LOOPING_LISTING = "looping_listing"


HTTP_FAULTS = frozenset({Fault.SERVICE_UNAVAILABLE, Fault.SERVER_ERROR, Fault.CONCURRENT_LIMIT})
QUERY_JOB_FAULTS = frozenset(
    {Fault.QUERY_INTERNAL_ERROR, Fault.SHORT_LAST_PAGE, Fault.LOOPING_LOCATOR, Fault.LOOPING_LISTING}
)
QUERY_CREATE_ENDPOINT = "query_create"
QUERY_RESULTS_ENDPOINT = "query_results"
DOWNLOAD_ENDPOINTS = frozenset(
    {"query_results", "ingest_successful_results", "ingest_failed_results", "ingest_unprocessed_records"}
)


@dataclass(slots=True)
class _Armed:
    fault: Fault
    remaining: int
    endpoint: str | None


class FaultPlan:
    def __init__(self) -> None:
        self._armed: list[_Armed] = []
        self._locks: dict[str, int] = {}

    def inject(self, fault: Fault, count: int = 1, endpoint: str | None = None) -> None:
        if count < 1:
            raise ValueError("a fault is injected for at least one request")
        if fault is Fault.RESET_MID_BODY and endpoint is not None and endpoint not in DOWNLOAD_ENDPOINTS:
            raise ValueError(f"a mid-body reset needs a CSV download endpoint, not {endpoint}")
        if fault is Fault.MISCOUNTED_PAGE and endpoint not in (None, QUERY_RESULTS_ENDPOINT):
            raise ValueError(f"a miscounted page needs the query results endpoint, not {endpoint}")
        if fault in QUERY_JOB_FAULTS and endpoint not in (None, QUERY_CREATE_ENDPOINT):
            raise ValueError(f"{fault} is armed for query jobs created, not requests to {endpoint}")
        self._armed.append(_Armed(fault, count, endpoint))

    def lock_records(self, record_ids: Iterable[str], times: int = 1) -> None:
        for record_id in record_ids:
            self._locks[record_id] = self._locks.get(record_id, 0) + times

    def take(self, endpoint: str, kinds: frozenset[Fault]) -> Fault | None:
        for armed in self._armed:
            if armed.fault in kinds and armed.endpoint in (None, endpoint):
                if armed.fault is Fault.RESET_MID_BODY and endpoint not in DOWNLOAD_ENDPOINTS:
                    continue
                armed.remaining -= 1
                if armed.remaining == 0:
                    self._armed.remove(armed)
                return armed.fault
        return None

    def take_query_job_faults(self) -> frozenset[Fault]:
        """Every query-job fault armed, taken once each, for the query job being created."""
        taken: set[Fault] = set()
        while (fault := self.take(QUERY_CREATE_ENDPOINT, QUERY_JOB_FAULTS - taken)) is not None:
            taken.add(fault)
        return frozenset(taken)

    def take_lock(self, record_id: str) -> bool:
        left = self._locks.get(record_id, 0)
        if left == 0:
            return False
        if left == 1:
            del self._locks[record_id]
        else:
            self._locks[record_id] = left - 1
        return True

    @property
    def pending(self) -> int:
        return sum(armed.remaining for armed in self._armed)
