"""``bulk-o2c extract FLOW``: one flow from Salesforce into the checkpoint's staging table, nothing else.

Rules this module owns:
- The run is chosen as ``bulk-o2c run`` chooses it (the latest unfinished run, else a new one) and
  the flow is extracted by the pipeline's own stage, over the same delta window: what this command
  stages is what a later ``bulk-o2c run`` loads, and that run goes on from here instead of reading
  the flow again.
- Killed at any moment, it continues from the saved locator when started again; a flow already read
  to the end is reported, not read twice.
- The run stays ``running``: extracting one flow is not a finished run, and the high-water mark does
  not move until a run's load is durable.
- Peak RSS is the process's (``ru_maxrss``): in a fresh process it is the extraction's own.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path

import anyio

from bulk_o2c.config import Settings
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.discover import discover
from bulk_o2c.pipeline.extract import extract_flow
from bulk_o2c.pipeline.flows import FLOWS, extract_specs
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.pipeline.run import Watcher, checkpoint_path, choose_run
from bulk_o2c.store.store import open_store
from bulk_o2c.transport.salesforce.connect import connect_salesforce


@dataclass(frozen=True, slots=True)
class ExtractReport:
    run_id: str
    flow: str
    rows: int  # staged for the flow in this run, earlier attempts included
    rows_read: int  # read by this call
    pages: int  # staged for the flow in this run, earlier attempts included
    done: bool
    seconds: float
    peak_rss_mb: float
    checkpoint: Path

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


async def _watched(work: Awaitable[None], watch: Watcher | None, metrics: RunMetrics) -> None:
    """``work`` with ``watch`` beside it; without a watcher no task group wraps work's errors."""
    if watch is None:
        await work
        return
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch, metrics)
        await work
        tg.cancel_scope.cancel()


def peak_rss_mb() -> float:
    """The process's peak resident set so far, in MiB (Linux counts KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def extract_to_staging(
    settings: Settings, flow: str = "Account", *, accept_gzip: bool = True, watch: Watcher | None = None
) -> ExtractReport:
    """Extract ``flow`` into staging (continuing a killed extraction); ``watch`` runs beside it."""
    if flow not in FLOWS:
        raise ConfigError(f"no flow {flow!r}; the flows are {', '.join(FLOWS)}")
    path = checkpoint_path(settings)
    started = time.perf_counter()
    async with (
        connect_salesforce(settings.salesforce, accept_gzip=accept_gzip) as http,
        open_store(path) as store,
    ):
        plan = (await discover(http, settings)).check()
        spec = next(spec for spec in extract_specs(plan.columns) if spec.flow == flow)
        run = await choose_run(store, settings, None)
        metrics = RunMetrics(run.run_id)
        counters = metrics.flow(flow)
        counters.started_at = metrics.clock()
        before = await store.extraction.progress(run.run_id, flow)
        rows_before = before.rows_staged if before is not None else 0
        await _watched(extract_flow(store, http, settings, run, spec, counters), watch, metrics)
        counters.finished_at = metrics.clock()
        progress = await store.extraction.progress(run.run_id, flow)
    assert progress is not None  # extract_flow began it
    return ExtractReport(
        run_id=run.run_id,
        flow=flow,
        rows=progress.rows_staged,
        rows_read=progress.rows_staged - rows_before,
        pages=progress.pages_staged,
        done=progress.done,
        seconds=time.perf_counter() - started,
        peak_rss_mb=peak_rss_mb(),
        checkpoint=path,
    )
