"""The fault injection plan: what goes wrong next, set by tests and benchmarks.

Rules this module owns:
- Counted faults are consumed in arrival order: "the next N requests" means the next N requests
  that pass authentication, ``getServerTime`` ones included; "the next N records" means the next N
  records the account processes, so a ``getServerTime`` (no records) never spends those.
  Setting a count replaces the pending one; ``clear()`` cancels everything, random faults included.
- A transient request fault (``unexpected``: unexpectedErrorFault / UNEXPECTED_ERROR, or
  ``concurrency``: the pool's WS_REQUEST_BLOCKED fault) rejects the request before anything is
  written. A lost response is the opposite: everything is written, then the connection drops (for a
  ``getServerTime``, which writes nothing, the connection simply drops).
- Random faults draw from a seeded generator, one draw per request not already faulted, so a run
  with the same seed and the same request order fails the same requests.
"""

from __future__ import annotations

import random
from typing import Literal

TransientKind = Literal["unexpected", "concurrency"]


def _count(value: int) -> int:
    if value < 0:
        raise ValueError("a fault count cannot be negative")
    return value


class FaultPlan:
    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._failing_requests = 0
        self._failure_kind: TransientKind = "unexpected"
        self._changed_records = 0
        self._lost_responses = 0
        self._warned_records = 0
        self._random_rate = 0.0

    def fail_requests(self, count: int, kind: TransientKind = "unexpected") -> None:
        self._failing_requests = _count(count)
        self._failure_kind = kind

    def change_records(self, count: int) -> None:
        """The next ``count`` records fail with RCRD_HAS_BEEN_CHANGED (transient; nothing written)."""
        self._changed_records = _count(count)

    def lose_responses(self, count: int) -> None:
        self._lost_responses = _count(count)

    def warn_records(self, count: int) -> None:
        """The next ``count`` records that are written come back with a WARN status detail."""
        self._warned_records = _count(count)

    def set_random_rate(self, rate: float, seed: int | None = None) -> None:
        """Each request fails with UNEXPECTED_ERROR with probability ``rate`` (0 turns it off)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("a fault rate is between 0 and 1")
        self._random_rate = rate
        if seed is not None:
            self._random.seed(seed)

    def clear(self) -> None:
        self._failing_requests = self._changed_records = self._lost_responses = self._warned_records = 0
        self._random_rate = 0.0

    def take_request_fault(self) -> TransientKind | None:
        if self._failing_requests:
            self._failing_requests -= 1
            return self._failure_kind
        if self._random_rate and self._random.random() < self._random_rate:
            return "unexpected"
        return None

    def take_record_change(self) -> bool:
        if self._changed_records:
            self._changed_records -= 1
            return True
        return False

    def take_lost_response(self) -> bool:
        if self._lost_responses:
            self._lost_responses -= 1
            return True
        return False

    def take_warning(self) -> bool:
        if self._warned_records:
            self._warned_records -= 1
            return True
        return False

    def pending(self) -> dict[str, float | int | str]:
        return {
            "failing_requests": self._failing_requests,
            "failure_kind": self._failure_kind,
            "changed_records": self._changed_records,
            "lost_responses": self._lost_responses,
            "warned_records": self._warned_records,
            "random_rate": self._random_rate,
        }
