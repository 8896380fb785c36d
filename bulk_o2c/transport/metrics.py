"""Per-attempt request figures for reports and benchmarks: counts, latency, outcomes, concurrency.

Rules this module owns:

* One ``record`` per HTTP attempt, retries included: a retried request is two attempts, each with
  its own latency and outcome, so the figures show what the server saw.
* An outcome is a short code: ``OK``, a SOAP fault or status code (``WS_REQUEST_BLOCKED``), an HTTP
  status (``HTTP_503``) or a transport failure (``CONNECTION``, ``TIMEOUT``). Never a message.
* Memory is constant however long the run: sums, extremes and a fixed set of histogram buckets, no
  per-attempt list.
* Latency percentiles come from log-spaced buckets (``LatencyHistogram``): a percentile is off by at
  most half a bucket, about 2.2 %, and never outside the smallest and largest latency seen; the
  first and last ranks are those extremes exactly.
* Figures travel as plain JSON (``snapshot`` / ``from_snapshot``: buckets sparse, so a snapshot is
  small) and ``merge`` adds one process's figures to another's: counts and sums add, extremes
  widen, histograms add bucket by bucket, so percentiles over several processes stay as exact as
  over one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OK = "OK"


class LatencyHistogram:
    """Latencies counted in buckets ``FLOOR_S x 2**(i / PER_DOUBLING)`` wide: from 0.1 ms to ~28 min.

    Latencies under the floor share the first bucket, those over the top the last: a percentile there
    is clamped to the extreme actually seen, so it stays honest at both ends.
    """

    FLOOR_S = 1e-4
    PER_DOUBLING = 16
    DOUBLINGS = 24

    __slots__ = ("_buckets", "count", "max_s", "min_s")

    def __init__(self) -> None:
        self._buckets = [0] * (self.PER_DOUBLING * self.DOUBLINGS + 1)
        self.count = 0
        self.min_s = math.inf
        self.max_s = 0.0

    def add(self, seconds: float) -> None:
        self._buckets[self._index(seconds)] += 1
        self.count += 1
        self.min_s = min(self.min_s, seconds)
        self.max_s = max(self.max_s, seconds)

    def quantile(self, q: float) -> float:
        """The latency under which a share ``q`` (0 to 1) of the attempts finished; 0.0 before any."""
        if not 0.0 <= q <= 1.0:
            raise ValueError("a quantile is between 0 and 1")
        if self.count == 0:
            return 0.0
        # The nearest-rank attempt: the ceil(q x count)-th smallest, the first one for q = 0.
        rank = max(1, math.ceil(q * self.count))
        if rank == 1:
            return self.min_s
        if rank == self.count:
            return self.max_s
        seen = 0
        for index, n in enumerate(self._buckets):
            seen += n
            if seen >= rank:
                return min(max(self._midpoint(index), self.min_s), self.max_s)
        raise AssertionError("the buckets hold every attempt")  # pragma: no cover

    def snapshot(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "min_s": self.min_s if self.count else 0.0,
            "max_s": self.max_s,
            "buckets": {str(i): n for i, n in enumerate(self._buckets) if n},
        }

    def merge(self, snapshot: Mapping[str, Any]) -> None:
        count = int(snapshot["count"])
        if count == 0:
            return
        for index, n in snapshot["buckets"].items():
            self._buckets[int(index)] += int(n)
        self.count += count
        self.min_s = min(self.min_s, float(snapshot["min_s"]))
        self.max_s = max(self.max_s, float(snapshot["max_s"]))

    def _index(self, seconds: float) -> int:
        if seconds <= self.FLOOR_S:
            return 0
        index = int(math.log2(seconds / self.FLOOR_S) * self.PER_DOUBLING)
        return min(index, len(self._buckets) - 1)

    def _midpoint(self, index: int) -> float:
        # The geometric middle of [FLOOR x 2**(i/k), FLOOR x 2**((i+1)/k)).
        return float(self.FLOOR_S * 2 ** ((index + 0.5) / self.PER_DOUBLING))


@dataclass(slots=True)
class RequestMetrics:
    attempts: int = 0
    records_sent: int = 0
    latency_total_s: float = 0.0
    latency_max_s: float = 0.0
    peak_concurrency: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def record(self, *, outcome: str, latency_s: float, records: int) -> None:
        self.attempts += 1
        self.records_sent += records
        self.latency_total_s += latency_s
        self.latency_max_s = max(self.latency_max_s, latency_s)
        self.latency.add(latency_s)
        self.outcomes[outcome] += 1

    def snapshot(self) -> dict[str, Any]:
        """The figures as JSON-ready data (see ``merge``)."""
        return {
            "attempts": self.attempts,
            "records_sent": self.records_sent,
            "latency_total_s": self.latency_total_s,
            "latency_max_s": self.latency_max_s,
            "peak_concurrency": self.peak_concurrency,
            "outcomes": dict(self.outcomes),
            "latency": self.latency.snapshot(),
        }

    def merge(self, snapshot: Mapping[str, Any]) -> None:
        """Add the figures of another ``snapshot`` (another process of the same run) to these."""
        self.attempts += int(snapshot["attempts"])
        self.records_sent += int(snapshot["records_sent"])
        self.latency_total_s += float(snapshot["latency_total_s"])
        self.latency_max_s = max(self.latency_max_s, float(snapshot["latency_max_s"]))
        self.peak_concurrency = max(self.peak_concurrency, int(snapshot["peak_concurrency"]))
        self.outcomes.update({str(code): int(n) for code, n in snapshot["outcomes"].items()})
        self.latency.merge(snapshot["latency"])

    def observe_concurrency(self, in_flight: int) -> None:
        self.peak_concurrency = max(self.peak_concurrency, in_flight)

    @property
    def latency_mean_s(self) -> float:
        return self.latency_total_s / self.attempts if self.attempts else 0.0

    @property
    def latency_p50_s(self) -> float:
        return self.latency.quantile(0.50)

    @property
    def latency_p95_s(self) -> float:
        return self.latency.quantile(0.95)

    @property
    def faults(self) -> dict[str, int]:
        """Attempts that did not succeed, by outcome code."""
        return {code: n for code, n in self.outcomes.items() if code != OK}
