"""Polling a Bulk 2.0 job: capped exponential backoff under an overall timeout.

Every poll is an API call counted against the org's daily limit, so the delay doubles from
``initial_s`` up to ``max_s``; a job still running after ``timeout_s`` is the caller's to abort, and
so is one still running when ``stop`` is set (polling ends at once, not at the next poll).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Polling:
    initial_s: float = 0.5
    max_s: float = 10.0
    timeout_s: float = 86_400.0

    def __post_init__(self) -> None:
        if not 0 < self.initial_s <= self.max_s:
            raise ValueError("polling needs 0 < initial_s <= max_s")
        if self.timeout_s < 0:
            raise ValueError("a polling timeout cannot be negative")


async def poll_until(
    fetch: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    polling: Polling,
    *,
    known: T | None = None,
    stop: anyio.Event | None = None,
) -> T | None:
    """``fetch`` (at once, unless the state is ``known`` already, e.g. from the job's creation) and
    again after each delay, until ``done``; None if ``timeout_s`` passes or ``stop`` is set first."""
    deadline = anyio.current_time() + polling.timeout_s
    delay = polling.initial_s
    while True:
        value = known if known is not None else await fetch()
        known = None
        if done(value):
            return value
        remaining = deadline - anyio.current_time()
        if remaining <= 0 or (stop is not None and stop.is_set()):
            return None
        with anyio.move_on_after(min(delay, remaining)):
            await (stop.wait() if stop is not None else anyio.sleep_forever())
        if stop is not None and stop.is_set():
            return None
        delay = min(delay * 2, polling.max_s)
