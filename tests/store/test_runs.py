from __future__ import annotations

import pytest

from bulk_o2c.store import CheckpointConflictError, CheckpointStore, Fingerprint


async def test_a_run_starts_running_and_is_the_latest_unfinished(
    store: CheckpointStore, settings_fingerprint: Fingerprint
) -> None:
    first = await store.runs.start(settings_fingerprint)
    second = await store.runs.start(settings_fingerprint)
    assert first.status == second.status == "running"
    assert second.run_id != first.run_id
    assert await store.runs.latest() == second  # started last, even within the same second
    assert await store.runs.get(first.run_id) == first
    await store.runs.finish(second.run_id, "completed")
    assert await store.runs.latest(unfinished=True) == first
    latest = await store.runs.latest()
    assert latest is not None
    assert (latest.run_id, latest.status) == (second.run_id, "completed")
    assert latest.finished_at is not None


async def test_reopening_records_the_new_settings(
    store: CheckpointStore, settings_fingerprint: Fingerprint
) -> None:
    run = await store.runs.start(settings_fingerprint)
    await store.runs.finish(run.run_id, "failed")
    changed = Fingerprint("e" * 64, '{"test":false}')
    await store.runs.reopen(run.run_id, changed)
    reopened = await store.runs.get(run.run_id)
    assert reopened is not None
    assert (reopened.status, reopened.finished_at, reopened.settings_digest) == ("running", None, "e" * 64)
    with pytest.raises(CheckpointConflictError):
        await store.runs.reopen("no-such-run", changed)


async def test_the_high_water_mark_never_moves_back(store: CheckpointStore, run_id: str) -> None:
    assert await store.runs.high_water_mark("Account") is None
    await store.runs.advance_high_water_mark(run_id, "Account", "2025-03-02T00:00:00+00:00")
    await store.runs.advance_high_water_mark(run_id, "Account", "2025-03-01T00:00:00+00:00")
    assert await store.runs.high_water_mark("Account") == "2025-03-02T00:00:00+00:00"
    await store.runs.advance_high_water_mark(run_id, "Account", "2025-03-03T00:00:00+00:00")
    assert await store.runs.high_water_mark("Account") == "2025-03-03T00:00:00+00:00"
    assert await store.runs.high_water_mark("Order") is None


async def test_abandoning_closes_an_unfinished_run_and_leaves_the_marks(
    store: CheckpointStore, settings_fingerprint: Fingerprint
) -> None:
    done = await store.runs.start(settings_fingerprint)
    await store.runs.advance_high_water_mark(done.run_id, "Account", "2025-03-01T00:00:00+00:00")
    await store.runs.finish(done.run_id, "completed")
    stuck = await store.runs.start(settings_fingerprint)

    await store.runs.abandon(stuck.run_id)

    closed = await store.runs.get(stuck.run_id)
    assert closed is not None
    assert (closed.status, closed.finished_at is not None) == ("abandoned", True)
    assert await store.runs.latest(unfinished=True) is None  # the next `run` starts a new one
    assert await store.runs.high_water_mark("Account") == "2025-03-01T00:00:00+00:00"
    for finished in (done.run_id, stuck.run_id, "no-such-run"):
        with pytest.raises(CheckpointConflictError, match="not an unfinished run"):
            await store.runs.abandon(finished)
