from __future__ import annotations

from collections.abc import Callable

import pytest

from bulk_o2c.record_warnings import RecordWarning, WarningKind
from bulk_o2c.store import CheckpointConflictError, CheckpointStore, Completion, RecordOutcome, Settled
from tests.store.conftest import Rows, Stage


@pytest.fixture
async def ids(stage: Stage, accounts: Callable[..., Rows]) -> list[str]:
    rows = accounts(4)
    await stage("Account", rows)
    return [row["Id"] for row in rows]


def loaded(sf_id: str, internal_id: str, **extra: object) -> RecordOutcome:
    return RecordOutcome(sf_id, "SF_ACCT_" + sf_id, "loaded", internal_id=internal_id, **extra)  # type: ignore[arg-type]


async def test_a_chunk_queues_its_records_and_a_record_goes_in_one_open_chunk(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    chunk = await store.chunks.create(run_id, "Account", ids[:2])
    assert (chunk.state, chunk.attempts, chunk.sf_ids) == ("pending", 0, tuple(ids[:2]))
    assert [r.sf_id for r in await store.staging.ready(run_id, "Account")] == ids[2:]
    with pytest.raises(CheckpointConflictError):
        await store.chunks.create(run_id, "Account", ids[1:3])  # ids[1] is already queued
    with pytest.raises(CheckpointConflictError):
        await store.chunks.create(run_id, "Account", ["001999999999999999"])  # never staged
    assert [r.sf_id for r in await store.staging.ready(run_id, "Account")] == ids[
        2:
    ]  # the refusals wrote nothing


async def test_many_chunks_in_one_commit_and_all_or_nothing(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    first, second = await store.chunks.create_many(run_id, "Account", [ids[:2], ids[2:3]], in_flight=True)
    assert (first.sf_ids, second.sf_ids) == (tuple(ids[:2]), tuple(ids[2:3]))
    assert first.chunk_id != second.chunk_id
    assert {c.state for c in await store.chunks.open(run_id)} == {"in_flight"}
    with pytest.raises(CheckpointConflictError):
        await store.chunks.create_many(run_id, "Account", [ids[3:], ids[2:3]])  # ids[2] is queued
    assert [r.sf_id for r in await store.staging.ready(run_id, "Account")] == ids[3:]  # nothing written
    with pytest.raises(ValueError, match="no record is in two chunks"):
        await store.chunks.create_many(run_id, "Account", [ids[3:], ids[3:]])


async def test_attempts_and_states_before_completion(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    first = await store.chunks.create(run_id, "Account", ids[:2])
    second = await store.chunks.create(run_id, "Account", ids[2:], in_flight=True)
    await store.chunks.mark_in_flight(first.chunk_id)
    await store.chunks.mark_unknown(first.chunk_id)  # the answer was lost
    await store.chunks.mark_in_flight(first.chunk_id)
    opened = await store.chunks.open(run_id)
    assert [(c.chunk_id, c.state, c.attempts) for c in opened] == [
        (first.chunk_id, "in_flight", 2),
        (second.chunk_id, "in_flight", 1),
    ]
    assert await store.chunks.open(run_id, "Order") == []


async def test_completion_records_outcomes_cross_reference_and_dlq_at_once(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    chunk = await store.chunks.create(run_id, "Account", ids, in_flight=True)
    outcomes = [
        loaded(
            ids[0], "101", warnings=(RecordWarning(WarningKind.TEXT_CUT, "companyName cut"),), digest="h0"
        ),
        RecordOutcome(ids[1], "SF_ACCT_" + ids[1], "failed", code="INVALID_FLD_VALUE", message="bad phone"),
        RecordOutcome(ids[2], "SF_ACCT_" + ids[2], "retry", code="UNEXPECTED_ERROR", message="try again"),
        loaded(ids[3], "103", needs_writeback=True),
    ]
    assert await store.chunks.complete(chunk.chunk_id, outcomes) == Settled()
    assert await store.chunks.open(run_id) == []
    xref = await store.outcomes.cross_reference("Account", ids)
    assert {sf_id: (x.external_id, x.internal_id, x.digest) for sf_id, x in xref.items()} == {
        ids[0]: ("SF_ACCT_" + ids[0], "101", "h0"),
        ids[3]: ("SF_ACCT_" + ids[3], "103", None),
    }
    assert await store.outcomes.counts(run_id) == {"Account": {"loaded": 2, "failed": 1}}
    assert await store.staging.counts(run_id) == {"Account": {"loaded": 2, "failed": 1, "staged": 1}}
    assert [r.sf_id for r in await store.staging.ready(run_id, "Account")] == [ids[2]]  # the retry
    (letter,) = await store.dlq.entries(run_id)
    assert (letter.sf_id, letter.stage, letter.code, letter.message, letter.chunk_id) == (
        ids[1],
        "load",
        "INVALID_FLD_VALUE",
        "bad phone",
        chunk.chunk_id,
    )
    assert [item.sf_id for item in await store.writeback.pending(run_id, "Account")] == [ids[3]]


async def test_completing_a_chunk_twice_records_each_outcome_once(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    chunk = await store.chunks.create(run_id, "Account", ids[:1], in_flight=True)
    failed = [RecordOutcome(ids[0], "SF_ACCT_" + ids[0], "failed", code="X", message="no")]
    await store.chunks.complete(chunk.chunk_id, failed)
    assert await store.chunks.complete(chunk.chunk_id, failed) == Settled(already_done=True)
    # A late answer from an earlier attempt, whatever it says, leaves the first outcomes standing.
    assert await store.chunks.complete(chunk.chunk_id, []) == Settled(already_done=True)
    assert len(await store.dlq.entries(run_id)) == 1


async def test_outcomes_must_name_each_record_of_the_chunk_once(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    chunk = await store.chunks.create(run_id, "Account", ids[:2], in_flight=True)
    for wrong in (
        [loaded(ids[0], "1")],
        [loaded(ids[0], "1"), loaded(ids[0], "1")],
        [loaded(ids[0], "1"), loaded(ids[2], "3")],
    ):
        with pytest.raises(ValueError, match="once"):
            await store.chunks.complete(chunk.chunk_id, wrong)
    assert [c.chunk_id for c in await store.chunks.open(run_id)] == [chunk.chunk_id]
    assert await store.outcomes.cross_reference("Account", ids) == {}


async def test_many_chunks_complete_in_one_transaction_all_or_nothing(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    first, second, third = await store.chunks.create_many(
        run_id, "Account", [ids[:2], ids[2:3], ids[3:]], in_flight=True
    )
    refused = RecordOutcome(ids[1], "SF_ACCT_" + ids[1], "failed", code="INVALID_FLD_VALUE", message="bad")
    with pytest.raises(ValueError, match="once"):
        await store.chunks.complete_many(
            [Completion(first.chunk_id, (loaded(ids[0], "100"), refused)), Completion(second.chunk_id, ())]
        )
    assert len(await store.chunks.open(run_id)) == 3  # the good chunk was not completed either
    await store.chunks.complete(third.chunk_id, [loaded(ids[3], "103")])
    before = store.write_transactions()
    settled = await store.chunks.complete_many(
        [
            Completion(first.chunk_id, (loaded(ids[0], "100"), refused)),
            Completion(second.chunk_id, (loaded(ids[2], "102"),)),
            Completion(third.chunk_id, (loaded(ids[3], "999"),)),  # done already: left as it was
        ]
    )
    assert settled == Settled()
    assert store.write_transactions() == before + 1
    assert await store.chunks.open(run_id) == []
    xref = await store.outcomes.cross_reference("Account", ids)
    assert {sf_id: x.internal_id for sf_id, x in xref.items()} == {
        ids[0]: "100",
        ids[2]: "102",
        ids[3]: "103",
    }
    assert await store.staging.counts(run_id) == {"Account": {"loaded": 3, "failed": 1}}
    (letter,) = await store.dlq.entries(run_id)
    assert (letter.sf_id, letter.chunk_id) == (ids[1], first.chunk_id)
    with pytest.raises(ValueError, match="once per call"):
        await store.chunks.complete_many([Completion(first.chunk_id, ()), Completion(first.chunk_id, ())])


async def test_one_transaction_completes_chunks_of_different_flows(
    store: CheckpointStore, run_id: str, ids: list[str], stage: Stage, orders: Callable[..., Rows]
) -> None:
    order_rows = orders(ids[:2])
    await stage("Order", order_rows, parent_column="AccountId")
    order_ids = [row["Id"] for row in order_rows]
    account_chunk = await store.chunks.create(run_id, "Account", ids[:1], in_flight=True)
    order_chunk = await store.chunks.create(run_id, "Order", order_ids, in_flight=True)
    await store.chunks.complete_many(
        [
            Completion(account_chunk.chunk_id, (loaded(ids[0], "100"),)),
            Completion(
                order_chunk.chunk_id,
                (
                    RecordOutcome(order_ids[0], "SF_ORD_" + order_ids[0], "loaded", internal_id="900"),
                    RecordOutcome(order_ids[1], "SF_ORD_" + order_ids[1], "failed", code="X", message="no"),
                ),
            ),
        ]
    )
    assert await store.outcomes.counts(run_id) == {
        "Account": {"loaded": 1},
        "Order": {"loaded": 1, "failed": 1},
    }
    assert await store.staging.counts(run_id) == {
        "Account": {"loaded": 1, "staged": 3},
        "Order": {"loaded": 1, "failed": 1},
    }
    assert set(await store.outcomes.cross_reference("Order", order_ids)) == {order_ids[0]}
    assert [(e.flow, e.sf_id, e.chunk_id) for e in await store.dlq.entries(run_id)] == [
        ("Order", order_ids[1], order_chunk.chunk_id)
    ]


async def test_a_chunk_never_sent_goes_back_to_pending_without_the_attempt(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    sent, unsent = await store.chunks.create_many(run_id, "Account", [ids[:2], ids[2:]], in_flight=True)
    await store.chunks.unsend([unsent.chunk_id])
    assert [(c.chunk_id, c.state, c.attempts) for c in await store.chunks.open(run_id)] == [
        (sent.chunk_id, "in_flight", 1),
        (unsent.chunk_id, "pending", 0),
    ]
    with pytest.raises(CheckpointConflictError):
        await store.chunks.unsend([sent.chunk_id, unsent.chunk_id])  # the second is not in flight
    assert (await store.chunks.open(run_id))[0].state == "in_flight"  # the refusal wrote nothing


async def test_a_chunk_is_split_in_halves_that_start_over(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    chunk = await store.chunks.create(run_id, "Account", ids[:3], in_flight=True)
    head, tail = await store.chunks.split(chunk.chunk_id)
    assert (head.chunk_id, head.sf_ids, head.state, head.attempts) == (
        chunk.chunk_id,
        tuple(ids[:1]),
        "pending",
        0,
    )
    assert (tail.sf_ids, tail.state) == (tuple(ids[1:3]), "pending")
    assert await store.chunks.open(run_id) == [head, tail]
    one, _ = await store.chunks.split(tail.chunk_id)
    with pytest.raises(ValueError, match="one record"):
        await store.chunks.split(one.chunk_id)


async def test_a_done_chunk_cannot_move_again(store: CheckpointStore, run_id: str, ids: list[str]) -> None:
    chunk = await store.chunks.create(run_id, "Account", ids[:1], in_flight=True)
    await store.chunks.complete(chunk.chunk_id, [loaded(ids[0], "1")])
    for move in (store.chunks.mark_in_flight, store.chunks.mark_unknown, store.chunks.split):
        with pytest.raises(CheckpointConflictError):
            await move(chunk.chunk_id)


def test_an_outcome_carries_what_its_status_needs() -> None:
    with pytest.raises(ValueError, match="internal id"):
        RecordOutcome("a", "SF_ACCT_a", "loaded")
    with pytest.raises(ValueError, match="code"):
        RecordOutcome("a", "SF_ACCT_a", "failed")
