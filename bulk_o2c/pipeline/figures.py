"""What each process did for a run, recorded in the checkpoint as it works, and the whole run's sum.

Rules this module owns:
- A process records its figures every ``RECORD_EVERY_S`` while it works, at the end of each step
  and of each flow's load, and once more as it ends, whatever ends it (the end of the run, a stop,
  an error, a second signal). A process killed with SIGKILL counts up to its last record: the
  report misses at most ``RECORD_EVERY_S`` of its work and counts nothing twice, because each
  record replaces that process's previous one.
- A process's figures: its NetSuite requests (``RequestMetrics.snapshot``), its Salesforce
  requests, per flow the records it settled and the seconds it spent loading them, and its
  checkpoint write time and transactions.
- The run's figures are the sum over its processes: counts and seconds add, peaks take the largest,
  and latency percentiles come from the merged histograms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.store.processes import ProcessRecord
from bulk_o2c.store.store import CheckpointStore
from bulk_o2c.transport.metrics import RequestMetrics

RECORD_EVERY_S = 2.0


@dataclass(slots=True)
class FlowFigures:
    done: int = 0  # records settled: loaded, failed, skipped or parked
    load_seconds: float = 0.0

    @property
    def records_per_s(self) -> float:
        return round(self.done / self.load_seconds, 1) if self.load_seconds > 0 else 0.0


@dataclass(slots=True)
class RunFigures:
    processes: int = 0
    seconds: float = 0.0
    netsuite: RequestMetrics = field(default_factory=RequestMetrics)
    salesforce_requests: int = 0
    flows: dict[str, FlowFigures] = field(default_factory=dict)
    checkpoint_write_s: float = 0.0
    checkpoint_transactions: int = 0

    @classmethod
    def of(cls, processes: Sequence[ProcessRecord]) -> RunFigures:
        total = cls(processes=len(processes))
        for process in processes:
            figures = process.figures
            total.seconds += process.seconds
            if not figures:  # begun, killed before its first record
                continue
            total.netsuite.merge(figures["netsuite"])
            total.salesforce_requests += int(figures["salesforce_requests"])
            for name, flow in figures["flows"].items():
                counted = total.flows.setdefault(name, FlowFigures())
                counted.done += int(flow["done"])
                counted.load_seconds += float(flow["load_seconds"])
            total.checkpoint_write_s += float(figures["checkpoint_write_s"])
            total.checkpoint_transactions += int(figures["checkpoint_transactions"])
        return total


class ProcessRecorder:
    """Records this process's figures for ``run_id`` (see the module rules)."""

    def __init__(
        self,
        store: CheckpointStore,
        run_id: str,
        number: int,
        *,
        started: float,
        netsuite: RequestMetrics,
        salesforce_requests: Callable[[], int],
        metrics: RunMetrics,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._store = store
        self._run_id = run_id
        self._number = number
        self._started = started
        self._netsuite = netsuite
        self._salesforce_requests = salesforce_requests
        self._metrics = metrics
        self._clock = clock

    def figures(self) -> dict[str, Any]:
        now = self._metrics.clock()
        return {
            "netsuite": self._netsuite.snapshot(),
            "salesforce_requests": self._salesforce_requests(),
            "flows": {
                name: {"done": counters.done, "load_seconds": counters.load_seconds(now)}
                for name, counters in self._metrics.flows.items()
            },
            "checkpoint_write_s": self._store.write_seconds(),
            "checkpoint_transactions": self._store.write_transactions(),
        }

    async def record(self) -> None:
        """Record now; shielded, so a process cancelled at once still leaves its figures."""
        with anyio.CancelScope(shield=True):
            await self._store.processes.record(
                self._run_id, self._number, self._clock() - self._started, self.figures()
            )

    async def every(self, seconds: float = RECORD_EVERY_S) -> None:
        while True:
            await anyio.sleep(seconds)
            await self.record()
