"""The processes of a run: numbered as they begin, each keeping only its latest figures."""

from __future__ import annotations

from bulk_o2c.store import CheckpointStore


async def test_processes_are_numbered_per_run_and_each_record_replaces_the_last(
    store: CheckpointStore, run_id: str
) -> None:
    first = await store.processes.begin(run_id)
    await store.processes.record(run_id, first, 1.5, {"requests": 3})
    await store.processes.record(run_id, first, 2.5, {"requests": 7})
    second = await store.processes.begin(run_id)

    assert (first, second) == (1, 2)
    records = await store.processes.of_run(run_id)
    assert [(p.number, p.seconds, p.figures) for p in records] == [(1, 2.5, {"requests": 7}), (2, 0.0, {})]
    assert await store.processes.of_run("20250101T000000Z-other0") == []
