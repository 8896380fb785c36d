"""Live counters of a run, per flow: what the progress display, the report and the bench read.

Counters are plain integers bumped by the single event loop, so they need no locks; rates come from
the (time, settled) samples of the last ``RATE_WINDOW_S`` seconds, so the figure follows the current
pace, not the average since the start.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

RATE_WINDOW_S = 30.0


@dataclass
class FlowCounters:
    name: str
    expected: int | None = None  # rows the extraction job reported, once known
    extracted: int = 0
    loaded: int = 0
    failed: int = 0
    skipped: int = 0
    parked: int = 0
    written_back: int = 0
    started_at: float | None = None  # extraction began
    load_started_at: float | None = None
    finished_at: float | None = None
    _samples: deque[tuple[float, int]] = field(default_factory=deque, repr=False)

    @property
    def done(self) -> int:
        return self.loaded + self.failed + self.skipped + self.parked

    def sample(self, now: float) -> None:
        self._samples.append((now, self.done))
        while self._samples[0][0] < now - RATE_WINDOW_S:
            self._samples.popleft()

    @property
    def active(self) -> bool:
        """Extracting (rows still coming) or loading (not finished)."""
        extracting = self.started_at is not None and self.expected is None
        loading = self.load_started_at is not None and self.finished_at is None
        return extracting or loading

    def rate(self) -> float:
        """Records settled per second over the recent window."""
        if len(self._samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    def eta_s(self) -> float | None:
        total = self.expected if self.expected is not None else (self.extracted or None)
        rate = self.rate()
        if total is None or rate <= 0:
            return None
        return max(0.0, (total - self.done) / rate)

    def load_seconds(self, now: float) -> float:
        if self.load_started_at is None:
            return 0.0
        return (self.finished_at or now) - self.load_started_at


@dataclass
class RunMetrics:
    run_id: str
    flows: dict[str, FlowCounters] = field(default_factory=dict)
    concurrency_now: Callable[[], int] = lambda: 0
    concurrency_peak: Callable[[], int] = lambda: 0
    clock: Callable[[], float] = time.monotonic

    def flow(self, name: str) -> FlowCounters:
        if name not in self.flows:
            self.flows[name] = FlowCounters(name)
        return self.flows[name]

    def sample(self) -> None:
        now = self.clock()
        for counters in self.flows.values():
            counters.sample(now)
