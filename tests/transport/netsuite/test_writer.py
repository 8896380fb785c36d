"""NetSuiteWriter: per-record results in order, retries, splits and the limiter, against the sandbox.

Unit tests drive the writer with a scripted client; the rest run the real SOAP client against
the NetSuite sandbox (an independent server implementation) with a small time_scale.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

import anyio
import pytest

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.errors import ConfigError, PermanentError, TransientError
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord, RecordEncoder
from bulk_o2c.protocol.netsuite.faults import RecordCountFault
from bulk_o2c.protocol.netsuite.records import Customer, RecordRef, SalesOrder, SalesOrderLine
from bulk_o2c.protocol.netsuite.response import StatusDetail, WriteOutcome
from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.outcomes import WriteOutcome as SandboxOutcome
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.metrics import RequestMetrics
from bulk_o2c.transport.netsuite.writer import NetSuiteWriter, RecordResult, open_writer
from bulk_o2c.transport.retry import RetryPolicy
from tests.support.scripted_netsuite import Tamper, reversed_answer, scripted_netsuite

VERSION = "2025_2"
ENCODER = RecordEncoder(VERSION)
FAST_RETRY = RetryPolicy(max_attempts=8, base_delay_s=0.005, max_delay_s=0.1)


def customer(i: int, company_name: str | None = None) -> EncodedRecord:
    name = company_name if company_name is not None else f"Company {i}"
    return ENCODER.encode(Customer(external_id=f"CUST-{i:05d}", company_name=name, subsidiary=RecordRef("1")))


def customers(n: int, start: int = 0) -> list[EncodedRecord]:
    return [customer(i) for i in range(start, start + n)]


def order(external_id: str, customer_external_id: str) -> EncodedRecord:
    return ENCODER.encode(
        SalesOrder(
            external_id=external_id,
            entity=RecordRef(external_id=customer_external_id, type="customer"),
            subsidiary=RecordRef("1"),
            lines=(
                SalesOrderLine(
                    item=RecordRef(external_id="SKU-1", type="inventoryItem"), quantity=Decimal(2)
                ),
            ),
        )
    )


# --- unit tests with a scripted client ------------------------------------------------------------

Script = Callable[[Sequence[bytes]], list[WriteOutcome]]
NETSUITE_NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


@dataclass
class ScriptedClient:
    """Answers each attempt with ``script``; records the external ids of every request."""

    script: Script
    limiter: AimdLimiter = field(default_factory=lambda: AimdLimiter(4))
    requests: list[list[str]] = field(default_factory=list)
    clock: Callable[[], datetime] = lambda: NETSUITE_NOW

    async def upsert_list(self, records: Sequence[EncodedRecord]) -> list[WriteOutcome]:
        self.requests.append([r.external_id for r in records])
        await anyio.lowlevel.checkpoint()
        return self.script([r.xml for r in records])

    async def server_time(self) -> datetime:
        await anyio.lowlevel.checkpoint()
        return self.clock()


def external_id(fragment: bytes) -> str:
    return fragment.split(b'externalId="', 1)[1].split(b'"', 1)[0].decode()


def saved(fragment: bytes, *details: StatusDetail) -> WriteOutcome:
    return WriteOutcome(True, "1", external_id(fragment), "customer", details)


def refused(fragment: bytes, *details: StatusDetail) -> WriteOutcome:
    return WriteOutcome(False, None, external_id(fragment), "customer", details)


def error(code: str, message: str = "m", after_submit_failed: bool = False) -> StatusDetail:
    return StatusDetail(code, message, "ERROR", after_submit_failed)


async def test_results_come_back_in_input_order_with_every_disposition() -> None:
    def script(fragments: Sequence[bytes]) -> list[WriteOutcome]:
        answers: dict[str, Callable[[bytes], WriteOutcome]] = {
            "CUST-00000": saved,
            "CUST-00001": lambda f: refused(
                f, error("INVALID_KEY_OR_REF", "Invalid entity reference key X.")
            ),
            "CUST-00002": lambda f: saved(f, StatusDetail("WARNING", "kept", "WARN", False)),
            "CUST-00003": lambda f: refused(
                f, error("USER_ERROR", "script failed", after_submit_failed=True)
            ),
            "CUST-00004": lambda f: refused(f),
        }
        return [answers[external_id(f)](f) for f in fragments]

    client = ScriptedClient(script)
    results = await NetSuiteWriter(client, FAST_RETRY).write_chunk(customers(5))
    assert [r.external_id for r in results] == [f"CUST-{i:05d}" for i in range(5)]
    assert [r.ok for r in results] == [True, False, True, True, False]
    assert (results[1].code, results[1].message) == ("INVALID_KEY_OR_REF", "Invalid entity reference key X.")
    assert results[2].warnings == ("WARNING: kept",)
    # afterSubmitFailed: saved, reported as a warning, never resent.
    assert results[3].warnings == ("USER_ERROR: script failed",)
    assert results[4].code is None
    assert results[4].message
    assert len(client.requests) == 1


async def test_records_to_retry_are_resent_alone_until_saved() -> None:
    changed = {"CUST-00001": 2, "CUST-00003": 1}

    def script(fragments: Sequence[bytes]) -> list[WriteOutcome]:
        outcomes = []
        for f in fragments:
            key = external_id(f)
            if changed.get(key, 0) > 0:
                changed[key] -= 1
                outcomes.append(refused(f, error("RCRD_HAS_BEEN_CHANGED")))
            else:
                outcomes.append(saved(f))
        return outcomes

    client = ScriptedClient(script)
    results = await NetSuiteWriter(client, FAST_RETRY).write_chunk(customers(5))
    assert all(r.ok for r in results)
    assert [r.attempts for r in results] == [1, 3, 1, 2, 1]
    assert client.requests[1:] == [["CUST-00001", "CUST-00003"], ["CUST-00001"]]


async def test_a_record_that_keeps_coming_back_fails_after_the_attempt_limit() -> None:
    client = ScriptedClient(lambda fs: [refused(f, error("UNEXPECTED_ERROR", "Error ID: 42")) for f in fs])
    policy = replace(FAST_RETRY, max_attempts=3)
    (result,) = await NetSuiteWriter(client, policy).write_chunk(customers(1))
    assert (result.ok, result.code, result.message, result.attempts, result.retryable) == (
        False,
        "UNEXPECTED_ERROR",
        "Error ID: 42",
        3,
        True,
    )


async def test_transient_failures_that_outlive_the_retries_fail_the_request() -> None:
    def script(fragments: Sequence[bytes]) -> list[WriteOutcome]:
        raise TransientError("connection reset")

    client = ScriptedClient(script)
    results = await NetSuiteWriter(client, replace(FAST_RETRY, max_attempts=4)).write_chunk(customers(3))
    assert {(r.ok, r.code, r.message, r.attempts, r.retryable) for r in results} == {
        (False, "TransientError", "connection reset", 4, True)
    }


async def test_a_request_refused_as_a_whole_fails_every_record_once_as_not_theirs() -> None:
    def script(fragments: Sequence[bytes]) -> list[WriteOutcome]:
        raise PermanentError("HTTP 404 without a SOAP fault")

    client = ScriptedClient(script)
    results = await NetSuiteWriter(client, FAST_RETRY).write_chunk(customers(3))
    # Not retried (it would fail the same way), and retryable: the setup is at fault, not the records.
    assert [(r.ok, r.code, r.attempts, r.retryable) for r in results] == [
        (False, "PermanentError", 1, True)
    ] * 3


async def test_too_many_records_split_in_halves_and_the_cap_is_remembered() -> None:
    def script(fragments: Sequence[bytes]) -> list[WriteOutcome]:
        if len(fragments) > 3:
            raise RecordCountFault("exceededRecordCountFault", "MAX_RCRDS_EXCEEDED", "too many")
        return [saved(f) for f in fragments]

    client = ScriptedClient(script)
    writer = NetSuiteWriter(client, FAST_RETRY)
    results = await writer.write_chunk(customers(10))
    assert all(r.ok for r in results)
    assert [r.external_id for r in results] == [f"CUST-{i:05d}" for i in range(10)]
    first_chunk_requests = len(client.requests)
    # 10 -> 5 + 5 -> (3 + 2) x 2: three faulted requests, four good ones.
    assert first_chunk_requests == 7
    await writer.write_chunk(customers(10, start=10))
    assert all(len(r) <= 3 for r in client.requests[first_chunk_requests:])


async def test_a_lone_record_still_too_large_fails_alone() -> None:
    def script(fragments: Sequence[bytes]) -> list[WriteOutcome]:
        if any(external_id(f) == "CUST-00002" for f in fragments):
            raise RecordCountFault("exceededRequestSizeFault", "EXCEEDED_RQST_SIZE_LIMIT", "too big")
        return [saved(f) for f in fragments]

    results = await NetSuiteWriter(ScriptedClient(script), FAST_RETRY).write_chunk(customers(4))
    assert [r.ok for r in results] == [True, True, False, True]
    assert results[2].code == "EXCEEDED_RQST_SIZE_LIMIT"


async def test_open_writer_needs_the_token_based_auth_settings() -> None:
    with pytest.raises(ConfigError, match=r"netsuite\.consumer_key"):
        async with open_writer(NetSuiteSettings()):
            pytest.fail("no writer without credentials")


async def test_an_empty_chunk_sends_nothing() -> None:
    client = ScriptedClient(lambda fs: [saved(f) for f in fs])
    assert await NetSuiteWriter(client, FAST_RETRY).write_chunk([]) == []
    assert client.requests == []


# --- against the NetSuite sandbox -------------------------------------------------------------------


@dataclass
class Harness:
    sandbox: NetSuiteSandbox
    writer: NetSuiteWriter
    metrics: RequestMetrics

    @property
    def limiter(self) -> AimdLimiter:
        return self.writer.client.limiter


@asynccontextmanager
async def harness(
    *,
    concurrency: int = 5,
    token_secret: str | None = None,
    retry: RetryPolicy = FAST_RETRY,
    time_scale: float = 0.01,
    max_records: int = 100,
    max_request_bytes: int | None = None,
    items: frozenset[str] = frozenset(),
) -> AsyncIterator[Harness]:
    sandbox_config = NetSuiteSandboxConfig(
        time_scale=time_scale, max_records=max_records, max_request_bytes=max_request_bytes, items=items
    )
    async with NetSuiteSandbox(sandbox_config) as sandbox:
        credentials = sandbox.credentials
        settings = NetSuiteSettings(
            account_id="1234567_SB1",
            endpoint_version=VERSION,
            soap_url=sandbox.soap_url(VERSION),
            consumer_key=credentials.consumer_key,
            consumer_secret=credentials.consumer_secret,
            token_id=credentials.token_id,
            token_secret=token_secret or credentials.token_secret,
            concurrency=concurrency,
        )
        metrics = RequestMetrics()
        async with open_writer(settings, retry=retry, metrics=metrics) as writer:
            yield Harness(sandbox, writer, metrics)


def assert_stored_exactly_once(sandbox: NetSuiteSandbox, expected: Sequence[EncodedRecord]) -> None:
    stored = sandbox.records("customer")
    assert sorted(r.external_id for r in stored) == sorted(r.external_id for r in expected)


async def collect(
    writer: NetSuiteWriter, records: Sequence[EncodedRecord], chunk_size: int
) -> list[RecordResult]:
    """Every record written in chunks, one chunk per slot of the limiter at a time (as the run's
    loader keeps them), the results in input order."""
    chunks = [records[start : start + chunk_size] for start in range(0, len(records), chunk_size)]
    results: list[list[RecordResult]] = [[] for _ in chunks]
    slots = anyio.CapacityLimiter(writer.client.limiter.max_limit)

    async def write(n: int) -> None:
        async with slots:
            results[n] = await writer.write_chunk(chunks[n])

    async with anyio.create_task_group() as tg:
        for n in range(len(chunks)):
            tg.start_soon(write, n)
    return [result for chunk in results for result in chunk]


async def test_two_hundred_submitters_never_exceed_the_bound() -> None:
    async with harness(concurrency=4) as h:
        records = customers(1000)
        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(h.writer.write_chunk, records[i * 5 : i * 5 + 5])
        stats = h.sandbox.stats
        assert stats.highest_concurrency == 4
        assert stats.blocked == 0
        assert "WS_REQUEST_BLOCKED" not in stats.faults_sent
        assert h.limiter.peak_in_flight == 4
        assert_stored_exactly_once(h.sandbox, records)


async def test_pressure_from_other_integrations_shrinks_the_limiter_and_it_grows_back() -> None:
    async with harness(concurrency=5) as h:
        h.sandbox.set_pressure(3)
        under_pressure = customers(600)
        results = await collect(h.writer, under_pressure, 10)
        assert all(r.ok for r in results)
        assert h.sandbox.stats.blocked > 0
        assert h.limiter.decreases >= 1
        assert h.limiter.current_limit < 5
        h.sandbox.clear_pressure()
        relieved = customers(1500, start=600)
        results = await collect(h.writer, relieved, 10)
        assert all(r.ok for r in results)
        assert h.limiter.current_limit == 5
        assert h.limiter.increases >= 1
        assert h.sandbox.stats.highest_concurrency == 5
        assert_stored_exactly_once(h.sandbox, under_pressure + relieved)


async def test_ten_thousand_customers_land_exactly_once(capsys: pytest.CaptureFixture[str]) -> None:
    async with harness(concurrency=5, time_scale=0.05) as h:
        records = customers(10_000)
        started = time.perf_counter()
        results = await collect(h.writer, records, 100)
        elapsed = time.perf_counter() - started
        stats = h.sandbox.stats
        stored = h.sandbox.records("customer")
        assert all(r.ok for r in results)
        assert len(stored) == 10_000
        assert {r.write_count for r in stored} == {1}
        assert stats.records_written == 10_000
        assert stats.highest_concurrency == 5
        assert stats.blocked == 0
        ceiling = 5 * 100 / h.sandbox.request_seconds({"customer": 100})
        with capsys.disabled():
            print(
                f"\n10,000 customers: {elapsed:.2f} s, {10_000 / elapsed:,.0f} records/s "
                f"(ceiling {ceiling:,.0f}/s), highest concurrency {stats.highest_concurrency}, "
                f"{h.metrics.attempts} requests, mean latency {h.metrics.latency_mean_s * 1000:.0f} ms"
            )


async def test_transient_faults_and_lost_responses_end_with_every_record_stored_once() -> None:
    async with harness(concurrency=5) as h:
        h.sandbox.faults.fail_requests(3)
        h.sandbox.faults.lose_responses(2)
        records = customers(2000)
        half = len(records) // 2
        results = await collect(h.writer, records[:half], 100)
        h.sandbox.faults.set_random_rate(0.1, seed=3)
        results += await collect(h.writer, records[half:], 100)
        stats = h.sandbox.stats
        assert all(r.ok for r in results)
        assert stats.lost_responses == 2
        assert stats.faults_sent["UNEXPECTED_ERROR"] >= 3
        assert any(r.attempts > 1 for r in results)
        stored = h.sandbox.records("customer")
        assert_stored_exactly_once(h.sandbox, records)
        # A lost response's chunk was written, then sent again: two writes, still one record each.
        assert sum(1 for r in stored if r.write_count == 2) <= 2 * 100
        assert {r.write_count for r in stored} <= {1, 2}
        assert h.metrics.faults.get("CONNECTION", 0) + h.metrics.faults.get("MALFORMED", 0) >= 2


async def test_record_count_fault_halves_chunks_of_250_against_a_cap_of_100() -> None:
    async with harness(concurrency=5, max_records=100) as h:
        records = customers(5000)
        results = await collect(h.writer, records, 250)
        assert all(r.ok for r in results)
        faults = h.sandbox.stats.faults_sent["MAX_RCRDS_EXCEEDED"]
        # Each chunk sent whole costs three faults (250, then 125 twice) before 63 + 62 pass.
        # The first wave (one chunk per slot) goes out before any fault; the cap is learned
        # then, and the other fifteen chunks are split before they are sent.
        assert 3 <= faults <= 5 * 3
        assert_stored_exactly_once(h.sandbox, records)
        assert {r.write_count for r in h.sandbox.records("customer")} == {1}


async def test_a_record_too_large_on_its_own_fails_and_the_rest_land() -> None:
    records = customers(20)
    giant = customer(99, company_name="x" * 20_000)
    async with harness(max_request_bytes=12_000) as h:
        results = await h.writer.write_chunk([*records[:10], giant, *records[10:]])
        assert [r.ok for r in results] == [True] * 10 + [False] + [True] * 10
        assert results[10].code == "EXCEEDED_RQST_SIZE_LIMIT"
        assert_stored_exactly_once(h.sandbox, records)


async def test_a_permanent_fault_fails_the_records_of_the_chunk_with_its_code() -> None:
    async with harness(token_secret="0" * 64) as h:
        results = await h.writer.write_chunk(customers(7))
        assert {(r.ok, r.code, r.attempts) for r in results} == {(False, "INVALID_LOGIN_ATTEMPT", 1)}
        assert all(r.message == "Invalid login attempt." for r in results)
        assert h.sandbox.records("customer") == []


async def test_records_changed_concurrently_are_resent_and_land() -> None:
    async with harness() as h:
        h.sandbox.faults.change_records(3)
        records = customers(50)
        results = await h.writer.write_chunk(records)
        assert all(r.ok for r in results)
        assert sorted(r.attempts for r in results) == [1] * 47 + [2] * 3
        assert h.sandbox.stats.record_errors == {"RCRD_HAS_BEEN_CHANGED": 3}
        assert {r.write_count for r in h.sandbox.records("customer")} == {1}
        assert_stored_exactly_once(h.sandbox, records)


async def test_a_bad_reference_fails_that_record_while_the_rest_of_the_chunk_lands() -> None:
    async with harness(items=frozenset({"SKU-1"})) as h:
        chunk = [*customers(3), order("SO-1", "CUST-00000"), order("SO-2", "NO-SUCH-CUSTOMER"), customer(3)]
        results = await h.writer.write_chunk(chunk)
        assert [r.ok for r in results] == [True, True, True, True, False, True]
        assert results[4].code == "INVALID_KEY_OR_REF"
        assert results[4].message is not None
        assert "NO-SUCH-CUSTOMER" in results[4].message
        assert results[4].attempts == 1
        assert [r.external_id for r in h.sandbox.records("salesOrder")] == ["SO-1"]
        assert results[3].internal_id == "1"


async def test_warnings_ride_along_with_saved_records() -> None:
    async with harness() as h:
        h.sandbox.faults.warn_records(2)
        results = await h.writer.write_chunk(customers(5))
        assert all(r.ok for r in results)
        assert [len(r.warnings) for r in results] == [1, 1, 0, 0, 0]


# --- against a NetSuite whose answers do not follow the order sent ----------------------------------


def answer_for_another_record(request: int, answer: list[SandboxOutcome]) -> list[SandboxOutcome]:
    return [*answer[:-1], replace(answer[-1], external_id="CUST-99999")]


def answer_one_record_twice(request: int, answer: list[SandboxOutcome]) -> list[SandboxOutcome]:
    return [*answer[:-1], answer[0]]


def answer_saved_without_internal_id(request: int, answer: list[SandboxOutcome]) -> list[SandboxOutcome]:
    return [*answer[:-1], replace(answer[-1], internal_id=None)]


MISMATCHES = [answer_for_another_record, answer_one_record_twice, answer_saved_without_internal_id]


async def test_a_reordered_answer_gives_every_record_its_own_internal_id() -> None:
    async with scripted_netsuite(reversed_answer) as (server, settings), open_writer(settings) as writer:
        results = await writer.write_chunk(customers(5))
    assert all(r.ok for r in results)
    assert [r.internal_id for r in results] == [server.ids[("customer", r.external_id)] for r in results]
    assert len({r.internal_id for r in results}) == 5
    assert server.requests == 1


@pytest.mark.parametrize("mismatch", MISMATCHES)
async def test_an_answer_that_does_not_pair_off_is_sent_again_and_settles_nothing(
    mismatch: Tamper,
) -> None:
    def twice(request: int, answer: list[SandboxOutcome]) -> list[SandboxOutcome]:
        return mismatch(request, answer) if request <= 2 else answer[::-1]

    async with (
        scripted_netsuite(twice) as (server, settings),
        open_writer(settings, retry=FAST_RETRY) as writer,
    ):
        results = await writer.write_chunk(customers(4))
    assert server.requests == 3
    assert all(r.ok and r.attempts == 3 for r in results)
    assert [r.internal_id for r in results] == [server.ids[("customer", r.external_id)] for r in results]


@pytest.mark.parametrize("mismatch", MISMATCHES)
async def test_answers_that_never_pair_off_leave_every_record_to_send_again(mismatch: Tamper) -> None:
    retry = replace(FAST_RETRY, max_attempts=3)
    async with (
        scripted_netsuite(mismatch) as (server, settings),
        open_writer(settings, retry=retry) as writer,
    ):
        results = await writer.write_chunk(customers(4))
    assert server.requests == 3
    assert {(r.ok, r.internal_id, r.code, r.attempts, r.retryable) for r in results} == {
        (False, None, "ResponseMismatchError", 3, True)
    }


async def test_check_asks_netsuite_its_time_and_retries_a_transient_failure() -> None:
    answers: list[Exception | datetime] = [TransientError("connection reset"), NETSUITE_NOW]

    def clock() -> datetime:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = ScriptedClient(lambda fragments: [], clock=clock)
    assert await NetSuiteWriter(client, FAST_RETRY).check() == NETSUITE_NOW
    assert answers == []
    assert client.requests == []  # no record was sent for it


async def test_check_raises_refused_credentials_at_once() -> None:
    def clock() -> datetime:
        raise PermanentError("Invalid login attempt.")

    with pytest.raises(PermanentError, match="Invalid login attempt"):
        await NetSuiteWriter(ScriptedClient(lambda fragments: [], clock=clock), FAST_RETRY).check()
