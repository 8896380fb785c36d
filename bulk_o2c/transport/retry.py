"""The retry policy of every transport: jittered exponential backoff around one attempt.

Rules this module owns:

* Only ``TransientError`` is retried. ``PermanentError`` (and anything else) goes straight up: the
  same request would fail again. Callers map their library's failures (connection resets,
  timeouts, 5xx without a fault) to ``TransientError`` before they reach this policy.
* Delays grow as ``base_delay_s * 2**n`` up to ``max_delay_s`` with full jitter (a uniform draw
  between zero and that ceiling), so clients that failed together do not retry together: Oracle
  asks for increasing, unsynchronised delays on concurrency faults.
* An operation stops after ``max_attempts`` attempts or once ``max_time_s`` has passed, whichever
  comes first; the last error is then raised unchanged.
* Every attempt is measured on its own and reported to ``on_attempt``, success or not.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import backoff

from bulk_o2c.errors import TransientError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    elapsed_s: float
    error: BaseException | None  # None when the attempt succeeded


AttemptHook = Callable[[Attempt], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    max_time_s: float | None = None
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    on_attempt: AttemptHook | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts counts the first attempt too: at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError("delays need 0 <= base_delay_s <= max_delay_s")

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation`` until it returns, retrying it on ``TransientError``."""
        attempts = 0

        async def measured() -> T:
            nonlocal attempts
            attempts += 1
            started = time.perf_counter()
            try:
                result = await operation()
            except BaseException as exc:
                self._report(attempts, started, exc)
                raise
            self._report(attempts, started, None)
            return result

        retrying: Callable[[], Awaitable[T]] = backoff.on_exception(
            backoff.expo, TransientError, **self._schedule()
        )(measured)
        return await retrying()

    async def repeat(self, step: Callable[[], Awaitable[bool]]) -> bool:
        """Run ``step`` until it reports its work done (True), backing off between runs.

        For partial progress: a step that resends only what is left. False when attempts ran out.
        """
        repeating: Callable[[], Awaitable[bool]] = backoff.on_predicate(
            backoff.expo, lambda done: not done, **self._schedule()
        )(step)
        return await repeating()

    def _schedule(self) -> dict[str, Any]:
        """The backoff arguments of both loops: this policy's limits and jittered delays."""
        return {
            "max_tries": self.max_attempts,
            "max_time": self.max_time_s,
            "jitter": backoff.full_jitter,
            "logger": None,
            "factor": self.base_delay_s,
            "max_value": self.max_delay_s,
        }

    def _report(self, number: int, started: float, error: BaseException | None) -> None:
        if self.on_attempt is not None:
            self.on_attempt(Attempt(number, time.perf_counter() - started, error))
