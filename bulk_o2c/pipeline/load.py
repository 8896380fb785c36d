"""Load one flow's staged records into NetSuite: map, skip the unchanged, chunk, write, settle.

Rules this stage owns (the drain-then-checkpoint order):
- A chunk is entered in the ledger as ``in_flight`` (committed) before its request leaves, and
  counts as done only once every record's outcome is committed with it (the ``Settler``'s group
  commit). A kill at any point leaves chunks that are not done; the next run sends them again
  first, which the upsert by external id makes harmless.
- Records that cannot be sent never reach NetSuite: a mapping or encoding failure goes to the DLQ
  at stage ``map``; an order whose customer failed is parked with the customer's reason; one whose
  customer is neither in NetSuite nor in this run is parked as ``PARENT_NOT_IN_NETSUITE``
  (``dlq retry`` sends it once the customer is there). None is sent to fail on a missing record.
- A record whose mapped payload has the digest of its last successful load, and whose Salesforce
  row already holds the NetSuite id, is skipped: that is the write-back's own echo in the next delta.
- A record a later run has loaded is skipped, unmapped: this run's row of it is older (an older
  run reopened by a DLQ retry), and sending it would put stale data over newer.
- One worker per request the account allows (``concurrency``), bounded by the writer's limiter,
  with twice as many chunks made ready in the hand-over stream, so a worker that is done takes the
  next one at once. No chunk waits inside the writer for a slot (only if the limiter shrank under
  pushback), so a stop is not followed by another round of requests; the price is a slot idle
  while its worker settles a chunk (about 4 % of throughput when NetSuite answers at once, nothing
  at real request times). Staging is read in pages, so memory does not grow with the run.
- ``stop`` (SIGINT/SIGTERM) sends no chunk it finds not yet sent: such chunks go back to
  ``pending`` for resume. Requests already started (or, after pushback, waiting in the writer for a
  concurrency slot) finish and are settled. A hard cancel records a chunk still being sent as
  ``unknown``.
- A record NetSuite did not take for a reason outside the record (transient refusals until the
  retries ran out: an outage, a pool taken by others for long; or the request refused as a whole:
  credentials, role, a wrong URL) is not the data's fault: it goes back to staging, not to the
  DLQ, and ``halt`` stops the run with the reason, to be resumed once NetSuite or the setup is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from bulk_o2c.errors import PermanentError
from bulk_o2c.mapping import MappedRecord
from bulk_o2c.pipeline.metrics import FlowCounters
from bulk_o2c.pipeline.settler import Settler
from bulk_o2c.pipeline.sink import RecordSink
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord
from bulk_o2c.protocol.netsuite.record_advice import with_advice
from bulk_o2c.protocol.salesforce.loop_guard import record_fingerprint
from bulk_o2c.record_warnings import RecordWarning, WarningKind
from bulk_o2c.store.chunks import Chunk, Completion, Settled
from bulk_o2c.store.outcomes import RecordOutcome
from bulk_o2c.store.settle import Failure
from bulk_o2c.store.staging import Readiness, StagedRecord
from bulk_o2c.store.store import CheckpointStore

log = logging.getLogger(__name__)

Row = dict[str, str]
Mapper = Callable[[Row, Sequence[Row]], MappedRecord]

PARENT_NOT_IN_NETSUITE = "PARENT_NOT_IN_NETSUITE"
ENCODING_FAILED = "ENCODING_FAILED"
STAGING_PAGE = 2000


@dataclass(frozen=True, slots=True)
class LoadSpec:
    flow: str
    map: Mapper
    id_field: str | None  # the Salesforce field that holds the NetSuite id once written back; None: off
    parent_flow: str | None = None
    children_flow: str | None = None


@dataclass(frozen=True, slots=True)
class _Item:
    sf_id: str
    encoded: EncodedRecord
    warnings: tuple[RecordWarning, ...]
    digest: str
    held_id: str | None  # the NetSuite id the Salesforce row holds now ("" none; None: not written back)


@dataclass(frozen=True, slots=True)
class _Ready:
    chunk_id: int
    items: tuple[_Item, ...]
    unsendable: tuple[Failure, ...] = ()


class FlowLoader:
    def __init__(
        self,
        store: CheckpointStore,
        sink: RecordSink,
        run_id: str,
        spec: LoadSpec,
        *,
        chunk_size: int,
        workers: int,
        counters: FlowCounters,
        stop: anyio.Event,
        halt: Callable[[str], None],
    ) -> None:
        self._store = store
        self._sink = sink
        self._run_id = run_id
        self._spec = spec
        self._chunk_size = chunk_size
        self._workers = workers
        self._counters = counters
        self._stop = stop
        self._halt = halt
        self._open_chunks = 0
        self._settled = anyio.Event()
        self._later_runs: frozenset[str] = frozenset()

    async def run(self) -> None:
        self._later_runs = await self._store.runs.recorded_after(self._run_id)
        settler = Settler(self._store, self._on_settled)
        failure: Exception | None = None
        async with anyio.create_task_group() as settling:
            settling.start_soon(settler.run)
            async with settler:
                try:
                    await self._send_chunks(settler)
                except Exception as error:
                    # Raised again once the settler has committed the chunks NetSuite already
                    # answered, so resume need not send them again. Leaving this block closes the
                    # hand-over side.
                    failure = error
        if failure is not None:
            raise failure

    async def _send_chunks(self, settler: Settler) -> None:
        # Chunks made ready ahead: enough to keep every worker busy while the producer maps the
        # next staging page.
        send, receive = anyio.create_memory_object_stream[_Ready](2 * self._workers)
        async with anyio.create_task_group() as working:
            for _ in range(self._workers):
                working.start_soon(self._work, receive.clone(), settler)
            receive.close()
            async with send:
                await self._produce(send)

    # -- producing chunks ------------------------------------------------------------------------

    async def _produce(self, send: MemoryObjectSendStream[_Ready]) -> None:
        for chunk in await self._store.chunks.open(self._run_id, self._spec.flow):
            if self._stop.is_set():
                return
            await self._resend(chunk, send)
        while not self._stop.is_set():
            settled = self._settled
            if await self._scan(send):
                continue
            if self._open_chunks == 0:
                return
            await settled.wait()  # a settling chunk may release waiting records

    async def _scan(self, send: MemoryObjectSendStream[_Ready]) -> bool:
        """One pass over the staged records; True if any chunk was made."""
        made = False
        after = -1
        while not self._stop.is_set():
            batch = await self._store.staging.ready(
                self._run_id, self._spec.flow, after_seq=after, limit=STAGING_PAGE
            )
            if not batch:
                break
            after = batch[-1].seq
            items, failures = await self._prepare(await self._sendable(batch))
            if failures:
                await self._store.dlq.add(self._run_id, self._spec.flow, "map", failures)
                self._counters.failed += len(failures)
            groups = [
                items[start : start + self._chunk_size] for start in range(0, len(items), self._chunk_size)
            ]
            if not groups:
                continue
            chunks = await self._store.chunks.create_many(
                self._run_id, self._spec.flow, [[i.sf_id for i in group] for group in groups], in_flight=True
            )
            for n, (chunk, group) in enumerate(zip(chunks, groups, strict=True)):
                if self._stop.is_set():
                    await self._store.chunks.unsend([c.chunk_id for c in chunks[n:]])
                    return True
                await self._hand_over(send, _Ready(chunk.chunk_id, tuple(group)))
            made = True
        return made

    async def _resend(self, chunk: Chunk, send: MemoryObjectSendStream[_Ready]) -> None:
        staged = await self._store.staging.records(self._run_id, self._spec.flow, chunk.sf_ids)
        # Its records are queued already: send them whatever their digest, and settle any that no
        # longer map (the mapping settings changed between the two processes) with the chunk.
        items, failures = await self._prepare(staged, skip_unchanged=False)
        await self._store.chunks.mark_in_flight(chunk.chunk_id)
        if chunk.state == "pending":
            log.info(
                "sending %s chunk %d (made by an earlier process, not sent yet)", chunk.flow, chunk.chunk_id
            )
        else:
            log.info(
                "sending %s chunk %d again (left %s by an earlier process)",
                chunk.flow,
                chunk.chunk_id,
                chunk.state,
            )
        await self._hand_over(send, _Ready(chunk.chunk_id, tuple(items), tuple(failures)))

    async def _hand_over(self, send: MemoryObjectSendStream[_Ready], ready: _Ready) -> None:
        self._open_chunks += 1
        await send.send(ready)

    async def _sendable(self, batch: list[StagedRecord]) -> list[StagedRecord]:
        """The records whose parent is in NetSuite; the rest wait, or are parked with a reason."""
        parent_flow = self._spec.parent_flow
        if parent_flow is None:
            return batch
        parents = {r.sf_id: r.parent_id for r in batch if r.parent_id}
        verdicts = await self._store.staging.hold_for_parents(
            self._run_id, self._spec.flow, parent_flow, parents
        )
        unknown = [
            Failure(
                sf_id,
                PARENT_NOT_IN_NETSUITE,
                f"{parent_flow} {parents[sf_id]} is not in NetSuite and was not extracted in this run",
            )
            for sf_id, verdict in verdicts.items()
            if verdict is Readiness.UNKNOWN
        ]
        if unknown:
            await self._store.dlq.add(self._run_id, self._spec.flow, "dependency", unknown)
        self._counters.parked += len(unknown) + sum(v is Readiness.PARKED for v in verdicts.values())
        return [r for r in batch if verdicts.get(r.sf_id, Readiness.READY) is Readiness.READY]

    async def _prepare(
        self, records: Sequence[StagedRecord], *, skip_unchanged: bool = True
    ) -> tuple[list[_Item], list[Failure]]:
        """Map, skip the unchanged and encode: the items to send and the records that cannot be."""
        spec = self._spec
        if not records:
            return [], []
        ids = [r.sf_id for r in records]
        children = (
            await self._store.staging.children(self._run_id, spec.children_flow, ids)
            if spec.children_flow
            else {}
        )
        known = await self._store.outcomes.cross_reference(spec.flow, ids) if skip_unchanged else {}
        items: list[_Item] = []
        failures: list[Failure] = []
        unchanged: list[str] = []
        for staged in records:
            previous = known.get(staged.sf_id)
            if previous is not None and previous.run_id in self._later_runs:
                unchanged.append(staged.sf_id)  # not even mapped: its row is out of date
                continue
            mapped = spec.map(staged.row, children.get(staged.sf_id, ()))
            if mapped.record is None:
                assert mapped.failure is not None
                failures.append(Failure(staged.sf_id, mapped.failure.code, mapped.failure.message))
                continue
            digest = record_fingerprint(mapped.record)
            held_id = None if spec.id_field is None else staged.row.get(spec.id_field, "")
            if previous is not None and previous.digest == digest and held_id in (None, previous.internal_id):
                unchanged.append(staged.sf_id)
                continue
            try:
                encoded = self._sink.encode(mapped.record)
            except PermanentError as exc:
                failures.append(Failure(staged.sf_id, ENCODING_FAILED, str(exc)))
                continue
            warnings = mapped.warnings + tuple(
                RecordWarning(
                    WarningKind.CHARACTERS_REMOVED, f"characters XML cannot carry were removed from {path}"
                )
                for path in encoded.removed_characters
            )
            for warning in warnings:
                log.debug("%s %s: %s", spec.flow, staged.sf_id, warning)
            items.append(_Item(staged.sf_id, encoded, warnings, digest, held_id))
        if unchanged:
            await self._store.staging.skip(self._run_id, spec.flow, unchanged)
            self._counters.skipped += len(unchanged)
        return items, failures

    # -- writing chunks --------------------------------------------------------------------------

    async def _work(self, receive: MemoryObjectReceiveStream[_Ready], settler: Settler) -> None:
        async with receive:
            async for ready in receive:
                if self._stop.is_set():  # not sent yet: leave it to resume
                    await self._store.chunks.unsend([ready.chunk_id])
                    self._open_chunks -= 1
                    continue
                await settler.hand_over(await self._write(ready))

    def _on_settled(self, completions: Sequence[Completion], settled: Settled) -> None:
        for completion in completions:
            self._counters.loaded += sum(o.status == "loaded" for o in completion.outcomes)
            self._counters.failed += sum(o.status == "failed" for o in completion.outcomes)
        self._counters.parked += len(settled.parked)
        self._open_chunks -= len(completions)
        self._settled.set()  # settled chunks may have released waiting records
        self._settled = anyio.Event()

    async def _write(self, ready: _Ready) -> Completion:
        """Send the chunk; the outcome of each of its records."""
        try:
            results = await self._sink.write_chunk([item.encoded for item in ready.items])
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._store.chunks.mark_unknown(ready.chunk_id)
            raise
        outcomes = [
            RecordOutcome(f.sf_id, f.sf_id, "failed", code=f.code, message=f.message)
            for f in ready.unsendable
        ]
        for item, result in zip(ready.items, results, strict=True):
            if result.ok:
                outcomes.append(
                    RecordOutcome(
                        item.sf_id,
                        item.encoded.external_id,
                        "loaded",
                        internal_id=result.internal_id,
                        warnings=item.warnings
                        + tuple(RecordWarning(WarningKind.NETSUITE_WARNING, w) for w in result.warnings),
                        needs_writeback=item.held_id not in (None, result.internal_id),
                        digest=item.digest,
                    )
                )
            else:
                outcomes.append(
                    RecordOutcome(
                        item.sf_id,
                        item.encoded.external_id,
                        "retry" if result.retryable else "failed",
                        code=result.code or "UNKNOWN",
                        message=with_advice(result.code or "", result.message or "NetSuite gave no message"),
                        warnings=item.warnings,
                    )
                )
        retry = next((o for o in outcomes if o.status == "retry"), None)
        if retry is not None:
            # Before the records go back to staging, so no new chunk picks them up meanwhile.
            self._halt(
                f"NetSuite did not take {self._spec.flow} records, for a reason not in the records "
                f"({retry.code}: {retry.message}); they are staged again: resume once NetSuite is "
                "back or the setup is fixed"
            )
        return Completion(ready.chunk_id, tuple(outcomes))
