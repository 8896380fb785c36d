"""A run: extract every flow, load customers then orders, write the ids back, report.

Rules this module owns:
- A run re-enters at the first step whose progress is not durable: extractions continue from their
  saved locator, chunks left open are sent again before new ones, pending write-backs are written.
  Each step asks the checkpoint, so the same code path serves a new run and a resumed one.
- Flows run in dependency order: every extraction, then customers, then sales orders (an order's
  customer has settled by then, so orders never wait on a customer of the same run), then the
  write-back. The high-water marks advance only when all of that is durable.
- A run holds its state directory's lock from before it asks anything of either system until its
  checkpoint is closed: a second run on the same directory stops at once, naming the first.
- Continuing a run compares the settings it recorded with today's (``store/fingerprint.py``): a
  changed target or mapping is refused unless accepted, changed tuning is logged; either way the
  run then records today's.
- Each process records what it did in the checkpoint as it works (``figures``), so the report of a
  resumed run covers every process of it.
- ``stop`` ends the run between steps (and pages within an extraction, new chunks within a load);
  the run stays ``running``, so ``bulk-o2c run`` or ``resume RUN_ID`` continues it. An error leaves
  it ``running`` too: the checkpoint is as good as the last commit, and resuming is always safe; a
  run that is not to be resumed is closed with ``bulk-o2c abandon``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from bulk_o2c.config import Settings
from bulk_o2c.errors import ConfigError
from bulk_o2c.mapping import map_account, map_order
from bulk_o2c.mapping.rules import CURRENCY_COLUMN
from bulk_o2c.pipeline.discover import discover
from bulk_o2c.pipeline.extract import extract_flow
from bulk_o2c.pipeline.figures import ProcessRecorder
from bulk_o2c.pipeline.flows import ACCOUNT, ORDER, ORDER_ITEM, extract_specs
from bulk_o2c.pipeline.load import FlowLoader, LoadSpec
from bulk_o2c.pipeline.metrics import FlowCounters, RunMetrics
from bulk_o2c.pipeline.org_plan import RunPlan
from bulk_o2c.pipeline.preflight import run_start_checks, salesforce_run_start_check
from bulk_o2c.pipeline.sink import DryRunSink, RecordSink, SoapSink
from bulk_o2c.pipeline.writeback import write_back_flow
from bulk_o2c.protocol.salesforce.soql import HighWaterMark
from bulk_o2c.store.fingerprint import changes, fingerprint
from bulk_o2c.store.lock import lock_state_dir
from bulk_o2c.store.runs import RunInfo
from bulk_o2c.store.store import CHECKPOINT_FILE, CheckpointStore, open_store
from bulk_o2c.transport.metrics import RequestMetrics
from bulk_o2c.transport.netsuite.writer import open_writer
from bulk_o2c.transport.salesforce.connect import connect_salesforce
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.ingest import JobFailedError

log = logging.getLogger(__name__)

Watcher = Callable[[RunMetrics], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class RunResult:
    run: RunInfo
    completed: bool
    metrics: RunMetrics
    requests: RequestMetrics
    checkpoint: Path
    checkpoint_write_s: float  # time spent in the checkpoint's write transactions
    checkpoint_transactions: int
    stop_reason: str | None  # why an unfinished run stopped, when it was not a signal


def checkpoint_path(settings: Settings, dry_run: Path | None = None) -> Path:
    return (dry_run if dry_run is not None else settings.run.state_dir) / CHECKPOINT_FILE


class SettingsChangedError(ConfigError):
    """An unfinished run would go on with another target or mapping than it was started with."""


async def choose_run(
    store: CheckpointStore, settings: Settings, run_id: str | None, *, accept_changed_settings: bool = False
) -> RunInfo:
    """``run_id`` to resume it; otherwise the latest unfinished run, or a new one.

    A run continued with another target or mapping (account, URL, credentials, subsidiary...) than it
    recorded is refused, naming what changed, unless ``accept_changed_settings``: the rest of its
    records would go elsewhere, or differently, than the first part. Changed tuning is logged.
    """
    settings_print = fingerprint(settings)
    found = await (store.runs.get(run_id) if run_id is not None else store.runs.latest(unfinished=True))
    if found is None:
        if run_id is not None:
            raise ConfigError(f"no run {run_id} in {store.path}")
        return await store.runs.start(settings_print)
    if found.status == "abandoned":
        raise ConfigError(f"run {found.run_id} was abandoned; `run` starts a new one")
    changed = changes(found.settings_json, settings_print)
    if changed.target and not accept_changed_settings:
        raise SettingsChangedError(
            f"run {found.run_id} was started with other settings: "
            + "; ".join(change.describe() for change in changed.target)
            + ". Continuing would send the rest of its records to another target or under another "
            "mapping. Restore the settings, continue anyway with --accept-changed-settings, or "
            f"close the run with `abandon {found.run_id}`"
        )
    for change in changed.target:
        log.warning("run %s continues with a changed target or mapping: %s", found.run_id, change.describe())
    for change in changed.tuning:
        log.info("run %s continues with changed tuning: %s", found.run_id, change.describe())
    if run_id is None:
        log.info("continuing unfinished run %s", found.run_id)
    await store.runs.reopen(found.run_id, settings_print)
    reopened = await store.runs.get(found.run_id)
    assert reopened is not None
    return reopened


@asynccontextmanager
async def _sink(
    settings: Settings, dry_run: Path | None, requests: RequestMetrics
) -> AsyncIterator[RecordSink]:
    netsuite = settings.netsuite
    if dry_run is not None:
        yield DryRunSink(
            dry_run / "payloads", netsuite.endpoint_version, netsuite.realm, netsuite.fallback_concurrency
        )
        return
    async with open_writer(netsuite, metrics=requests) as writer:
        yield SoapSink(writer, netsuite.endpoint_version, partial(run_start_checks, writer, settings.mapping))


async def run_pipeline(
    settings: Settings,
    *,
    run_id: str | None = None,
    dry_run: Path | None = None,
    stop: anyio.Event | None = None,
    watch: Watcher | None = None,
    accept_changed_settings: bool = False,
) -> RunResult:
    """Run (or resume) the whole pipeline. ``dry_run`` keeps its own checkpoint and payloads there.

    Raises ``StateDirLockedError`` at once when another process holds the checkpoint's directory."""
    started = time.perf_counter()
    stop = stop if stop is not None else anyio.Event()
    path = checkpoint_path(settings, dry_run)
    if run_id is not None and not path.is_file():
        raise ConfigError(f"no run {run_id}: there is no checkpoint at {path}")
    requests = RequestMetrics()
    # The lock, then connections and NetSuite's answer: settings that cannot work (a secret
    # missing, a wrong URL, refused credentials) fail before a run is recorded or anything is
    # extracted.
    with lock_state_dir(path.parent) as lock:
        async with (
            connect_salesforce(settings.salesforce) as http,
            _sink(settings, dry_run, requests) as sink,
        ):
            await sink.check()
            await salesforce_run_start_check(http, settings)
            # The org's shape decides what is selected; what it lacks stops the run before extraction.
            plan = (await discover(http, settings)).check()
            for fallback in plan.fallbacks:
                log.info("%s", fallback)
            async with open_store(path) as store:
                run = await choose_run(
                    store, settings, run_id, accept_changed_settings=accept_changed_settings
                )
                lock.record_run(run.run_id)
                metrics = RunMetrics(run.run_id, concurrency_peak=lambda: requests.peak_concurrency)
                metrics.concurrency_now = sink.in_flight
                recorder = ProcessRecorder(
                    store,
                    run.run_id,
                    await store.processes.begin(run.run_id),
                    started=started,
                    netsuite=requests,
                    salesforce_requests=lambda: http.requests,
                    metrics=metrics,
                )
                try:
                    async with anyio.create_task_group() as tg:
                        if watch is not None:
                            tg.start_soon(watch, metrics)
                        tg.start_soon(recorder.every)
                        steps = _Steps(
                            settings,
                            plan,
                            store,
                            http,
                            sink,
                            run,
                            metrics,
                            stop,
                            recorder.record,
                            dry_run is None,
                        )
                        completed = await steps.all()
                        tg.cancel_scope.cancel()
                finally:
                    await recorder.record()
                if completed:
                    await store.runs.finish(run.run_id, "completed")
                    run = await store.runs.get(run.run_id) or run
                write_s, transactions = store.write_seconds(), store.write_transactions()
    return RunResult(run, completed, metrics, requests, path, write_s, transactions, steps.stop_reason)


@dataclass
class _Steps:
    settings: Settings
    plan: RunPlan
    store: CheckpointStore
    http: SalesforceHttp
    sink: RecordSink
    run: RunInfo
    metrics: RunMetrics
    stop: anyio.Event
    record: Callable[[], Awaitable[None]]  # this process's figures, at each durable step
    writeback: bool
    stop_reason: str | None = None

    def halt(self, reason: str) -> None:
        """Stop the run for a reason the user must hear (printed with the resume command)."""
        log.warning("stopping the run: %s", reason)
        self.stop_reason = reason
        self.stop.set()

    async def all(self) -> bool:
        for step in (self.extract, self.load, self.write_back, self.advance_marks):
            if self.stop.is_set():
                return False
            await step()
            await self.record()
        return not self.stop.is_set()

    async def extract(self) -> None:
        for spec in extract_specs(self.plan.columns):
            if self.stop.is_set():
                return
            counters = self._started(spec.flow)
            await extract_flow(self.store, self.http, self.settings, self.run, spec, counters, self.stop)

    async def load(self) -> None:
        mapping, fields = self.settings.mapping, self.plan.writeback
        specs = (
            LoadSpec(ACCOUNT, lambda row, _: map_account(row, mapping), fields.customer_id),
            LoadSpec(
                ORDER,
                # The discovery selects CurrencyIsoCode in multi-currency orgs only.
                partial(
                    map_order, settings=mapping, multi_currency=CURRENCY_COLUMN in self.plan.columns[ORDER]
                ),
                fields.sales_order_id,
                parent_flow=ACCOUNT,
                children_flow=ORDER_ITEM,
            ),
        )
        # The bound the sink's check took from NetSuite (under netsuite.concurrency, if set).
        concurrency = self.sink.concurrency()
        for spec in specs:
            if self.stop.is_set():
                return
            loader = FlowLoader(
                self.store,
                self.sink,
                self.run.run_id,
                spec,
                chunk_size=self.settings.netsuite.effective_chunk_size,
                workers=concurrency,
                counters=self._load_started(spec.flow),
                stop=self.stop,
                halt=self.halt,
            )
            await loader.run()
            self.metrics.flow(spec.flow).finished_at = self.metrics.clock()
            await self.record()

    async def write_back(self) -> None:
        if not self.writeback:
            return
        fields = self.plan.writeback
        for flow in (ACCOUNT, ORDER):
            id_field = fields.id_field(flow)
            if self.stop.is_set():
                return
            if id_field is None:
                continue
            try:
                await write_back_flow(
                    self.store,
                    self.http,
                    self.settings.salesforce,
                    self.run.run_id,
                    flow,
                    (id_field, fields.sync_status),
                    self.metrics.flow(flow),
                )
            except JobFailedError as exc:
                # A setup fault: the batch stays assigned and is written again on resume.
                self.halt(str(exc))
                return

    async def advance_marks(self) -> None:
        run_start = datetime.fromisoformat(self.run.started_at)
        for flow in (ACCOUNT, ORDER, ORDER_ITEM):
            mark = HighWaterMark.from_text(await self.store.runs.high_water_mark(flow)).advance_to(run_start)
            text = mark.to_text()
            assert text is not None  # advanced to this run's start at least
            await self.store.runs.advance_high_water_mark(self.run.run_id, flow, text)

    def _started(self, flow: str) -> FlowCounters:
        counters = self.metrics.flow(flow)
        if counters.started_at is None:
            counters.started_at = self.metrics.clock()
        return counters

    def _load_started(self, flow: str) -> FlowCounters:
        counters = self._started(flow)
        counters.load_started_at = self.metrics.clock()
        return counters
