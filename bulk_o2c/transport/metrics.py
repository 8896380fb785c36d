"""Per-attempt request figures for reports and benchmarks: counts, latency, outcomes, concurrency.

Rules this module owns:

* One ``record`` per HTTP attempt, retries included: a retried request is two attempts, each with
  its own latency and outcome, so the figures show what the server saw.
* An outcome is a short code: ``OK``, a SOAP fault or status code (``WS_REQUEST_BLOCKED``), an HTTP
  status (``HTTP_503``) or a transport failure (``CONNECTION``, ``TIMEOUT``). Never a message.
* Memory is constant however long the run: sums and extremes, no per-attempt list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

OK = "OK"


@dataclass(slots=True)
class RequestMetrics:
    attempts: int = 0
    records_sent: int = 0
    latency_total_s: float = 0.0
    latency_max_s: float = 0.0
    peak_concurrency: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def record(self, *, outcome: str, latency_s: float, records: int) -> None:
        self.attempts += 1
        self.records_sent += records
        self.latency_total_s += latency_s
        self.latency_max_s = max(self.latency_max_s, latency_s)
        self.outcomes[outcome] += 1

    def observe_concurrency(self, in_flight: int) -> None:
        self.peak_concurrency = max(self.peak_concurrency, in_flight)

    @property
    def latency_mean_s(self) -> float:
        return self.latency_total_s / self.attempts if self.attempts else 0.0

    @property
    def faults(self) -> dict[str, int]:
        """Attempts that did not succeed, by outcome code."""
        return {code: n for code, n in self.outcomes.items() if code != OK}
