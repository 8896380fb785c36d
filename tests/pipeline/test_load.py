"""``FlowLoader`` against a scripted sink: what a stop, a failing request and a refused parent leave
in the checkpoint and the counters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from bulk_o2c.mapping import MappedRecord
from bulk_o2c.pipeline import load as load_module
from bulk_o2c.pipeline.load import FlowLoader, LoadSpec
from bulk_o2c.pipeline.metrics import FlowCounters
from bulk_o2c.pipeline.sink import RecordSink, SoapSink
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord, RecordEncoder
from bulk_o2c.protocol.netsuite.record_advice import CURRENCY_NOT_ALLOWED_ADVICE
from bulk_o2c.protocol.netsuite.records import Customer, NetSuiteRecord
from bulk_o2c.sandbox.netsuite.outcomes import WriteOutcome as SandboxOutcome
from bulk_o2c.store import CheckpointStore, Fingerprint, open_store
from bulk_o2c.transport.netsuite.writer import RecordResult, open_writer
from bulk_o2c.transport.retry import RetryPolicy
from tests.support.scripted_netsuite import VERSION, reversed_answer, scripted_netsuite

ACCOUNTS = 40
CHUNK = 4
ACCOUNT_IDS = [f"001{n:015d}" for n in range(ACCOUNTS)]


class ScriptedSink:
    """Saves every record (internal id = its position) unless ``refuse`` names its external id;
    ``on_request(n)`` runs as request ``n`` (from 1) is sent."""

    def __init__(
        self,
        on_request: Callable[[int], None] = lambda n: None,
        refuse: set[str] | None = None,
        refusal: tuple[str, str] = ("INVALID_FLD_VALUE", "no"),
    ):
        self._encoder = RecordEncoder("2023_2")
        self._on_request = on_request
        self._refuse = refuse or set()
        self._refusal = refusal
        self.requests = 0

    async def check(self) -> None:
        """Never called: the loader is started after the run's check."""

    def encode(self, record: NetSuiteRecord) -> EncodedRecord:
        return self._encoder.encode(record)

    async def write_chunk(self, records: Sequence[EncodedRecord]) -> list[RecordResult]:
        self.requests += 1
        self._on_request(self.requests)
        await anyio.sleep(0.01)  # on the wire
        return [
            RecordResult(r.external_id, r.record_type, False, None, *self._refusal, (), 1)
            if r.external_id in self._refuse
            else RecordResult(r.external_id, r.record_type, True, str(n), None, None, (), 1)
            for n, r in enumerate(records)
        ]

    def in_flight(self) -> int:
        return 0

    def concurrency(self) -> int:
        return 1


def _customer(row: dict[str, str], _: Sequence[dict[str, str]]) -> MappedRecord:
    return MappedRecord(row["Id"], Customer("SF_" + row["Id"], company_name=row["Name"]))


SPEC = LoadSpec("Account", _customer, "NetSuite_Customer_ID__c")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CheckpointStore]:
    async with open_store(tmp_path / "checkpoint.sqlite") as opened:
        yield opened


@pytest.fixture
async def run_id(store: CheckpointStore) -> str:
    run_id = (await store.runs.start(Fingerprint("d" * 64, "{}"))).run_id
    await stage(
        store, run_id, "Account", [[sf_id, f"Account {sf_id}"] for sf_id in ACCOUNT_IDS], ["Id", "Name"]
    )
    return run_id


async def stage(
    store: CheckpointStore,
    run_id: str,
    flow: str,
    rows: list[list[str]],
    header: list[str],
    parent: str | None = None,
) -> None:
    await store.extraction.begin(run_id, flow, window_start=None, window_end="2025-03-02T00:00:00+00:00")
    await store.extraction.set_job(run_id, flow, "750" + flow)
    await store.extraction.stage_page(
        run_id, flow, header, rows, after=None, next_locator=None, parent_column=parent
    )


async def load(
    store: CheckpointStore,
    run_id: str,
    sink: RecordSink,
    stop: anyio.Event,
    halt: Callable[[str], None] = lambda _: None,
) -> FlowCounters:
    counters = FlowCounters("Account")
    loader = FlowLoader(
        store,
        sink,
        run_id,
        SPEC,
        chunk_size=CHUNK,
        workers=3,
        counters=counters,
        stop=stop,
        halt=halt,
    )
    with anyio.fail_after(10):
        await loader.run()
    return counters


async def test_a_stop_sends_nothing_new_and_settles_what_was_sent(
    store: CheckpointStore, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_module, "STAGING_PAGE", 2 * CHUNK)  # pages of two chunks
    stop = anyio.Event()
    sink = ScriptedSink(on_request=lambda n: stop.set() if n == 3 else None)

    counters = await load(store, run_id, sink, stop)

    # Three workers: requests 1 to 3 had started when the stop came, and no other one left. Chunks
    # already made (waiting for a worker, or taken by one after the stop) are pending, attempt
    # taken back, for resume to send; the rest of the records were never put in a chunk.
    assert sink.requests == 3
    counts = await store.chunks.counts(run_id)
    assert counts["done"] == 3
    assert set(counts) <= {"done", "pending"}
    assert all(c.attempts == 0 for c in await store.chunks.open(run_id))
    assert (counters.loaded, counters.failed) == (3 * CHUNK, 0)
    assert (await store.outcomes.counts(run_id))["Account"] == {"loaded": 3 * CHUNK}
    ready = await store.staging.ready(run_id, "Account", limit=ACCOUNTS)
    assert len(ready) == ACCOUNTS - CHUNK * sum(counts.values())


async def test_a_failing_request_is_left_to_resume_after_the_answered_ones_are_committed(
    store: CheckpointStore, run_id: str
) -> None:
    def fail_fifth(n: int) -> None:
        if n == 5:
            raise ConnectionResetError("the proxy went away")

    with pytest.raises(ExceptionGroup) as raised:
        await load(store, run_id, ScriptedSink(on_request=fail_fifth), anyio.Event())

    assert raised.group_contains(ConnectionResetError)
    counts = await store.chunks.counts(run_id)
    # Requests 1 and 2 were answered before request 5 failed (3 workers): committed, not sent again
    # on resume. The failed one and any cut short with it are unknown; the rest were never sent.
    assert counts["done"] >= 2
    assert counts["unknown"] >= 1
    assert sum(counts.values()) == ACCOUNTS // CHUNK
    assert (await store.outcomes.counts(run_id))["Account"] == {"loaded": counts["done"] * CHUNK}


async def test_orders_waiting_for_a_refused_account_are_parked_and_counted(
    store: CheckpointStore, run_id: str
) -> None:
    refused = ACCOUNT_IDS[5]
    orders = [[f"801{n:015d}", account] for n, account in enumerate([refused, refused, ACCOUNT_IDS[6]])]
    await stage(store, run_id, "Order", orders, ["Id", "AccountId"], parent="AccountId")
    await store.staging.hold_for_parents(run_id, "Order", "Account", dict(orders))

    counters = await load(store, run_id, ScriptedSink(refuse={"SF_" + refused}), anyio.Event())

    assert (counters.loaded, counters.failed, counters.parked) == (ACCOUNTS - 1, 1, 2)
    staged = await store.staging.counts(run_id)
    assert staged["Order"] == {"parked": 2, "staged": 1}


async def test_a_reopened_older_run_sends_nothing_a_later_run_has_loaded(
    store: CheckpointStore, run_id: str
) -> None:
    refused = {"SF_" + ACCOUNT_IDS[1], "SF_" + ACCOUNT_IDS[2]}
    first = await load(store, run_id, ScriptedSink(refuse=refused), anyio.Event())
    assert first.failed == 2
    await store.runs.finish(run_id, "completed")
    later = (await store.runs.start(Fingerprint("d" * 64, "{}"))).run_id
    newer = [[sf_id, f"Account {sf_id}, renamed"] for sf_id in ACCOUNT_IDS[:2]]  # fixed since
    await stage(store, later, "Account", newer, ["Id", "Name"])
    assert (await load(store, later, ScriptedSink(), anyio.Event())).loaded == 2
    assert await store.dlq.retry(run_id=run_id) == 2  # the older run's DLQ, retried

    sink = ScriptedSink()
    again = await load(store, run_id, sink, anyio.Event())

    # ACCOUNT_IDS[1] is the later run's now: the older row would overwrite its newer data.
    # ACCOUNT_IDS[2] no later run has seen: it is sent.
    assert (again.skipped, again.loaded, sink.requests) == (1, 1, 1)
    known = await store.outcomes.cross_reference("Account", ACCOUNT_IDS[1:3])
    assert (known[ACCOUNT_IDS[1]].run_id, known[ACCOUNT_IDS[2]].run_id) == (later, run_id)


async def test_a_refusal_netsuites_setup_must_fix_says_what_to_do_in_the_dlq(
    store: CheckpointStore, run_id: str
) -> None:
    refusal = ("INVALID_KEY_OR_REF", "Invalid currency reference key 4 for entity 12.")
    sink = ScriptedSink(refuse={"SF_" + ACCOUNT_IDS[3]}, refusal=refusal)
    await load(store, run_id, sink, anyio.Event())
    [entry] = await store.dlq.entries(limit=10)
    assert (entry.sf_id, entry.code) == (ACCOUNT_IDS[3], "INVALID_KEY_OR_REF")
    assert entry.message == f"{refusal[1]} -> {CURRENCY_NOT_ALLOWED_ADVICE}"


async def test_a_reordered_answer_loads_each_record_with_its_own_internal_id(
    store: CheckpointStore, run_id: str
) -> None:
    async with scripted_netsuite(reversed_answer) as (server, settings), open_writer(settings) as writer:
        counters = await load(store, run_id, SoapSink(writer, VERSION), anyio.Event())

    assert counters.loaded == ACCOUNTS
    known = await store.outcomes.cross_reference("Account", ACCOUNT_IDS)
    # The ids the write-back sends to Salesforce: each record's own, whatever the answer's order.
    assert {sf_id: x.internal_id for sf_id, x in known.items()} == {
        sf_id: server.ids[("customer", "SF_" + sf_id)] for sf_id in ACCOUNT_IDS
    }


async def test_answers_that_never_pair_off_stop_the_load_with_every_record_staged_again(
    store: CheckpointStore, run_id: str
) -> None:
    def foreign(request: int, answer: list[SandboxOutcome]) -> list[SandboxOutcome]:
        return [replace(outcome, external_id="SF_SOMEONE_ELSE") for outcome in answer]

    stop, reasons = anyio.Event(), []

    def halt(reason: str) -> None:
        reasons.append(reason)
        stop.set()

    retry = RetryPolicy(max_attempts=2, base_delay_s=0.001, max_delay_s=0.01)
    async with (
        scripted_netsuite(foreign) as (server, settings),
        open_writer(settings, retry=retry) as writer,
    ):
        counters = await load(store, run_id, SoapSink(writer, VERSION), stop, halt)

    assert server.requests >= 2
    assert any("ResponseMismatchError" in reason for reason in reasons)
    # Stopped as for an outage: nothing loaded, nothing filed, every record there for resume.
    assert (counters.loaded, counters.failed) == (0, 0)
    assert await store.outcomes.counts(run_id) == {}
    assert await store.outcomes.cross_reference("Account", ACCOUNT_IDS) == {}
    assert await store.dlq.count(run_id) == 0
    staged_again = [r.sf_id for r in await store.staging.ready(run_id, "Account", limit=ACCOUNTS)]
    left_in_chunks = [sf_id for chunk in await store.chunks.open(run_id) for sf_id in chunk.sf_ids]
    assert sorted(staged_again + left_in_chunks) == ACCOUNT_IDS
