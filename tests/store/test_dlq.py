from __future__ import annotations

from collections.abc import Callable

from bulk_o2c.store import CheckpointStore, Failure, RecordOutcome
from tests.store.conftest import Rows, Stage


async def test_entries_page_in_filing_order_with_the_source_row(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(5)
    await stage("Account", rows)
    await store.dlq.add(
        run_id, "Account", "map", [Failure(r["Id"], "MAPPING_X", f"bad {n}") for n, r in enumerate(rows)]
    )
    first = await store.dlq.entries(run_id, limit=3)
    rest = await store.dlq.entries(run_id, after_id=first[-1].dlq_id)
    assert [e.message for e in first + rest] == [f"bad {n}" for n in range(5)]
    assert [e.source for e in first + rest] == rows
    assert await store.dlq.entries("another-run") == []
    assert await store.dlq.count(run_id) == 5


async def test_retry_puts_records_back_and_reopens_the_run(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(3)
    await stage("Account", rows)
    await store.dlq.add(
        run_id,
        "Account",
        "map",
        [
            Failure(rows[0]["Id"], "MAPPING_UNKNOWN_COUNTRY", "XX"),
            Failure(rows[1]["Id"], "MAPPING_UNKNOWN_STATUS", "Shipped"),
        ],
    )
    await store.runs.finish(run_id, "completed")
    assert await store.dlq.retry(code="MAPPING_UNKNOWN_COUNTRY") == 1
    run = await store.runs.get(run_id)
    assert run is not None
    assert run.status == "running"
    assert [r.sf_id for r in await store.staging.ready(run_id, "Account")] == [rows[0]["Id"], rows[2]["Id"]]
    assert [e.code for e in await store.dlq.entries(run_id)] == ["MAPPING_UNKNOWN_STATUS"]
    assert len(await store.dlq.entries(run_id, include_retried=True)) == 2
    assert await store.dlq.retry(code="MAPPING_UNKNOWN_COUNTRY") == 0  # nothing open any more
    assert await store.dlq.codes(run_id) == {"MAPPING_UNKNOWN_STATUS": 1}
    assert await store.dlq.codes() == {"MAPPING_UNKNOWN_STATUS": 1}
    assert await store.dlq.codes("another-run") == {}


async def test_retrying_a_failed_customer_retries_the_orders_parked_behind_it(
    store: CheckpointStore, run_id: str, waiting_order: tuple[dict[str, str], dict[str, str]]
) -> None:
    account, _ = waiting_order
    await store.dlq.add(run_id, "Account", "map", [Failure(account["Id"], "MAPPING_UNKNOWN_COUNTRY", "XX")])
    (customer_letter,) = [e for e in await store.dlq.entries(run_id) if e.flow == "Account"]
    assert await store.dlq.retry(dlq_ids=[customer_letter.dlq_id]) == 2
    assert await store.dlq.entries(run_id) == []
    assert await store.staging.counts(run_id) == {"Account": {"staged": 1}, "Order": {"staged": 1}}


async def test_retrying_a_write_back_failure_makes_it_pending_again(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    (account,) = accounts(1)
    await stage("Account", [account])
    chunk = await store.chunks.create(run_id, "Account", [account["Id"]], in_flight=True)
    await store.chunks.complete(
        chunk.chunk_id,
        [RecordOutcome(account["Id"], "SF_ACCT_x", "loaded", internal_id="9", needs_writeback=True)],
    )
    await store.writeback.assign(run_id, "Account", "750W", [account["Id"]])
    await store.writeback.complete(run_id, "750W", [Failure(account["Id"], "ENTITY_IS_LOCKED", "locked")])
    assert await store.writeback.pending(run_id, "Account") == []
    assert await store.dlq.retry(run_id=run_id) == 1
    assert [i.sf_id for i in await store.writeback.pending(run_id, "Account")] == [account["Id"]]
    assert await store.staging.counts(run_id) == {"Account": {"loaded": 1}}  # the record itself stays loaded


async def test_an_abandoned_runs_entries_are_kept_but_never_retried(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(1)
    await stage("Account", rows)
    await store.dlq.add(run_id, "Account", "map", [Failure(rows[0]["Id"], "MAPPING_X", "bad")])
    await store.runs.abandon(run_id)

    assert await store.dlq.retry() == 0
    assert await store.dlq.retry(run_id=run_id) == 0

    assert [e.code for e in await store.dlq.entries(run_id)] == ["MAPPING_X"]
    run = await store.runs.get(run_id)
    assert run is not None
    assert run.status == "abandoned"  # not reopened behind the operator's back
