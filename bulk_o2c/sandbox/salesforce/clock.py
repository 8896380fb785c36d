"""The sandbox's sense of time: a wall clock that tests can replace, and a scale for ageing.

``now()`` is epoch seconds from the injected clock (``time.time`` by default). ``age(since)`` is how
much *sandbox* time passed since ``since``: real seconds multiplied by ``time_scale``, so a two-hour
session timeout can run out in two seconds of a test with ``time_scale=3600`` while timestamps
handed to clients stay real.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SandboxClock:
    wall: Callable[[], float] = time.time
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")

    def now(self) -> float:
        return self.wall()

    def age(self, since: float) -> float:
        return (self.wall() - since) * self.time_scale

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long ``sandbox_seconds`` of sandbox time last on the wall clock."""
        return sandbox_seconds / self.time_scale


def format_datetime(epoch_ms: int) -> str:
    """Salesforce's dateTime output form: ``2024-03-01T12:34:56.000+0000`` (UTC, no colon)."""
    seconds, millis = divmod(epoch_ms, 1000)
    t = time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        f"T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{millis:03d}+0000"
    )


def format_date(epoch_ms: int) -> str:
    t = time.gmtime(epoch_ms // 1000)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
