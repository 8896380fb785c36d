from __future__ import annotations

from collections.abc import Callable

import pytest

from bulk_o2c.store import (
    CheckpointConflictError,
    CheckpointStore,
    Failure,
    RecordOutcome,
    WritebackItem,
    WritebackJob,
)
from tests.store.conftest import Rows, Stage, load, vm_steps


@pytest.fixture
async def ids(store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]) -> list[str]:
    """Three loaded accounts; the first already holds its NetSuite id in Salesforce."""
    rows = accounts(3)
    await stage("Account", rows)
    sf_ids = [row["Id"] for row in rows]
    chunk = await store.chunks.create(run_id, "Account", sf_ids, in_flight=True)
    await store.chunks.complete(
        chunk.chunk_id,
        [
            RecordOutcome(sf_id, "SF_ACCT_" + sf_id, "loaded", internal_id=str(n), needs_writeback=n > 0)
            for n, sf_id in enumerate(sf_ids)
        ],
    )
    return sf_ids


async def test_only_records_whose_salesforce_id_field_differs_are_written_back(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    assert await store.writeback.pending(run_id, "Account") == [
        WritebackItem(ids[1], "1"),
        WritebackItem(ids[2], "2"),
    ]


async def test_a_job_is_recorded_before_upload_and_found_open_after_a_crash(
    store: CheckpointStore, run_id: str, ids: list[str]
) -> None:
    await store.writeback.assign(run_id, "Account", "750J", ids[1:])
    assert await store.writeback.pending(run_id, "Account") == []
    assert await store.writeback.open_jobs(run_id) == [
        WritebackJob("750J", "Account", (WritebackItem(ids[1], "1"), WritebackItem(ids[2], "2")))
    ]
    with pytest.raises(CheckpointConflictError):
        await store.writeback.assign(run_id, "Account", "750K", ids[1:2])  # already in a job


async def test_job_results_settle_each_record(store: CheckpointStore, run_id: str, ids: list[str]) -> None:
    await store.writeback.assign(run_id, "Account", "750J", ids[1:])
    await store.writeback.complete(
        run_id, "750J", [Failure(ids[2], "FIELD_INTEGRITY_EXCEPTION", "bad value")]
    )
    assert await store.writeback.open_jobs(run_id) == []
    assert await store.writeback.counts(run_id) == {"Account": {"not_needed": 1, "done": 1, "failed": 1}}
    (letter,) = await store.dlq.entries(run_id)
    assert (letter.sf_id, letter.stage, letter.code) == (ids[2], "writeback", "FIELD_INTEGRITY_EXCEPTION")
    with pytest.raises(CheckpointConflictError):
        await store.writeback.complete(run_id, "750J")


async def test_picking_and_settling_a_job_does_not_walk_records_already_written_back(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    # A walk over the outcomes written back earlier would grow with them; a range read does not.
    async def one_job(job_id: str) -> None:
        items = await store.writeback.pending(run_id, "Account", limit=10)
        await store.writeback.assign(run_id, "Account", job_id, [i.sf_id for i in items])
        await store.writeback.complete(run_id, job_id)

    rows = accounts(2_010)
    await stage("Account", rows)
    sf_ids = [row["Id"] for row in rows]
    await load(store, run_id, "Account", {i: i[-4:] for i in sf_ids[:10]})
    first = await vm_steps(store, one_job("750A"))
    await load(store, run_id, "Account", {i: i[-4:] for i in sf_ids[10:]})
    for n in range(199):  # 1,990 records written back before the last job
        await one_job(f"750B{n}")
    last = await vm_steps(store, one_job("750C"))

    assert await store.writeback.pending(run_id, "Account") == []
    assert last < first * 1.5
