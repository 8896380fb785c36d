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


HTTP_FAULTS = frozenset({Fault.SERVICE_UNAVAILABLE, Fault.SERVER_ERROR, Fault.CONCURRENT_LIMIT})
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
