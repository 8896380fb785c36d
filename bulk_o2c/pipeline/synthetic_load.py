"""Load N synthetic customers the way a run loads a flow: ``load-customers`` and ``bench`` measure
the run's own loader (``FlowLoader``: its worker policy, chunking, settler and checkpoint commits).

Rules this module owns:
- The customers are staged as an extraction stages Accounts (a row holds a customer's external id
  and its number), then loaded by a ``FlowLoader`` over a ``SoapSink``, one worker per request the
  settings allow, as ``run`` does.
- The checkpoint is a throwaway one in a temporary directory, gone when the load ends. There is
  nothing to resume (loading again upserts the same external ids, which is harmless), and a load
  left unfinished in the state directory would be the latest unfinished run that ``bulk-o2c run``
  goes on with.
- NetSuite's governance is not asked (no ``check``): the concurrency set is the one measured, so a
  sweep can show where the account's pool starts to refuse.
- The clock starts when the writer opens, after staging (a run's extraction), and stops once the
  last chunk has settled: ramp-up, commits and drain included, as a run of that size would see.
- A record not saved counts as failed: refused by NetSuite (its DLQ entry says why), or left
  unsent because the loader stopped for a reason outside the records (that reason is reported).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.mapping import MappedRecord
from bulk_o2c.pipeline.flows import ACCOUNT
from bulk_o2c.pipeline.load import FlowLoader, LoadSpec, Row
from bulk_o2c.pipeline.metrics import FlowCounters
from bulk_o2c.pipeline.sink import SoapSink
from bulk_o2c.store.fingerprint import fingerprint
from bulk_o2c.store.store import CHECKPOINT_FILE, CheckpointStore, open_store
from bulk_o2c.synthetic import customer_external_id, synthetic_customer
from bulk_o2c.transport.metrics import RequestMetrics
from bulk_o2c.transport.netsuite.writer import open_writer

FIRST_ERRORS = 5
_HEADER = ("Id", "N")


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
    """Upsert ``count`` synthetic customers (external ids ``{prefix}C000000000``...) into NetSuite."""
    with tempfile.TemporaryDirectory(prefix="bulk-o2c-load-") as folder:
        async with open_store(Path(folder) / CHECKPOINT_FILE) as store:
            return await _load(store, settings, count, prefix)


async def _load(store: CheckpointStore, settings: NetSuiteSettings, count: int, prefix: str) -> LoadReport:
    run = await store.runs.start(fingerprint(settings))
    await _stage(store, run.run_id, count, prefix)

    def customer(row: Row, _children: Sequence[Row]) -> MappedRecord:
        return MappedRecord(row["Id"], synthetic_customer(prefix, int(row["N"])))

    metrics = RequestMetrics()
    counters = FlowCounters(ACCOUNT)
    stop = anyio.Event()
    halted: list[str] = []

    def halt(reason: str) -> None:
        halted.append(reason)
        stop.set()

    started = time.perf_counter()
    async with open_writer(settings, metrics=metrics) as writer:
        sink = SoapSink(writer, settings.endpoint_version)
        await FlowLoader(
            store,
            sink,
            run.run_id,
            LoadSpec(ACCOUNT, customer, id_field=None),
            chunk_size=settings.effective_chunk_size,
            workers=sink.concurrency(),
            counters=counters,
            stop=stop,
            halt=halt,
        ).run()
    seconds = time.perf_counter() - started
    refused = await store.dlq.entries(run.run_id, limit=FIRST_ERRORS)
    errors = [f"{e.sf_id}: {e.code} {e.message}" for e in refused] + halted
    return LoadReport(
        records=count,
        saved=counters.loaded,
        failed=count - counters.loaded,
        seconds=seconds,
        requests=metrics.attempts,
        peak_concurrency=metrics.peak_concurrency,
        latency_mean_s=metrics.latency_mean_s,
        latency_p50_s=metrics.latency_p50_s,
        latency_p95_s=metrics.latency_p95_s,
        faults=metrics.faults,
        first_errors=tuple(errors[:FIRST_ERRORS]),
    )


async def _stage(store: CheckpointStore, run_id: str, count: int, prefix: str) -> None:
    """One extraction page of ``count`` rows, as a Bulk query job's last page would be staged."""
    await store.extraction.begin(run_id, ACCOUNT, window_start=None, window_end=datetime.now(UTC).isoformat())
    await store.extraction.set_job(run_id, ACCOUNT, "synthetic")
    rows = ((customer_external_id(prefix, i), str(i)) for i in range(count))
    await store.extraction.stage_page(run_id, ACCOUNT, _HEADER, rows, after=None, next_locator=None)
