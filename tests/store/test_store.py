from __future__ import annotations

from collections.abc import Callable

from bulk_o2c.store import CheckpointStore, Failure, RecordOutcome
from tests.store.conftest import Rows, Stage


async def test_the_summary_counts_every_part_of_a_run(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(4)
    await stage("Account", rows)
    ids = [r["Id"] for r in rows]
    chunk = await store.chunks.create(run_id, "Account", ids[:2], in_flight=True)
    await store.chunks.complete(
        chunk.chunk_id,
        [
            RecordOutcome(ids[0], "A0", "loaded", internal_id="1", needs_writeback=True),
            RecordOutcome(ids[1], "A1", "failed", code="E", message="m"),
        ],
    )
    await store.chunks.create(run_id, "Account", ids[2:3])
    await store.dlq.add(run_id, "Account", "map", [Failure(ids[3], "MAPPING_X", "m")])
    run = await store.runs.get(run_id)
    assert run is not None
    summary = await store.summary(run)
    assert summary.run == run
    assert [(e.flow, e.rows_staged, e.done) for e in summary.extractions] == [("Account", 4, True)]
    assert summary.records == {"Account": {"loaded": 1, "failed": 2, "queued": 1}}
    assert summary.outcomes == {"Account": {"loaded": 1, "failed": 1}}
    assert summary.chunks == {"done": 1, "pending": 1}
    assert summary.writeback == {"Account": {"pending": 1}}
    assert summary.dlq_open == 2


async def test_the_store_reports_what_its_writes_cost(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    before = store.write_transactions(), store.write_seconds()
    await stage("Account", accounts(3))  # begin, set_job and stage_page: one transaction each
    assert await store.runs.get(run_id) is not None  # a read: not checkpoint write time
    assert store.write_transactions() - before[0] == 3
    assert store.write_seconds() > before[1]
