"""``bulk-o2c load-customers N``: push N synthetic customers through the NetSuite write path.

Its report holds the figures that matter for tuning: records/s, request latency (mean, p50, p95),
the highest concurrency the client used, and the faults seen; against a sandbox the command adds the
ceiling its latency model allows (``concurrency x chunk / request time``), so the efficiency of the
client is one division away. ``bulk-o2c bench`` runs it once per setting of a sweep.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.protocol.netsuite.envelope import RecordEncoder
from bulk_o2c.synthetic import synthetic_customers
from bulk_o2c.transport.metrics import RequestMetrics
from bulk_o2c.transport.netsuite.writer import RecordResult, open_writer


@dataclass(frozen=True, slots=True)
class LoadReport:
    records: int
    saved: int
    failed: int
    seconds: float
    requests: int
    peak_concurrency: int
    latency_mean_s: float
    latency_p50_s: float
    latency_p95_s: float
    faults: dict[str, int]
    first_errors: tuple[str, ...]

    @property
    def records_per_s(self) -> float:
        return self.saved / self.seconds if self.seconds > 0 else 0.0


async def load_customers(settings: NetSuiteSettings, count: int, *, prefix: str = "LOAD_") -> LoadReport:
    encoder = RecordEncoder(settings.endpoint_version)
    metrics = RequestMetrics()
    errors: list[str] = []

    async def keep_first_errors(results: list[RecordResult]) -> None:
        for result in results:
            if not result.ok and len(errors) < 5:
                errors.append(f"{result.external_id}: {result.code} {result.message}")

    started = time.perf_counter()
    async with open_writer(settings, metrics=metrics) as writer:
        totals = await writer.write_all(
            (encoder.encode(c) for c in synthetic_customers(count, prefix)),
            settings.effective_chunk_size,
            on_chunk=keep_first_errors,
        )
    seconds = time.perf_counter() - started
    return LoadReport(
        records=count,
        saved=totals.saved,
        failed=totals.failed,
        seconds=seconds,
        requests=metrics.attempts,
        peak_concurrency=metrics.peak_concurrency,
        latency_mean_s=metrics.latency_mean_s,
        latency_p50_s=metrics.latency_p50_s,
        latency_p95_s=metrics.latency_p95_s,
        faults=metrics.faults,
        first_errors=tuple(errors),
    )
