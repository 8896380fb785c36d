from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import anyio
import pytest

from bulk_o2c.pipeline import settler as settler_module
from bulk_o2c.pipeline.settler import MAX_CHUNKS, Settler
from bulk_o2c.store import (
    CheckpointStore,
    Chunk,
    Completion,
    Fingerprint,
    RecordOutcome,
    Settled,
    open_store,
)

ACCOUNTS = 60


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CheckpointStore]:
    async with open_store(tmp_path / "checkpoint.sqlite") as opened:
        yield opened


@pytest.fixture
async def chunks(store: CheckpointStore) -> list[Chunk]:
    """One chunk in flight for each of ``ACCOUNTS`` staged accounts."""
    run_id = (await store.runs.start(Fingerprint("d" * 64, "{}"))).run_id
    ids = [f"001{n:015d}" for n in range(ACCOUNTS)]
    await store.extraction.begin(run_id, "Account", window_start=None, window_end="2025-03-02T00:00:00+00:00")
    await store.extraction.set_job(run_id, "Account", "750Account")
    await store.extraction.stage_page(
        run_id, "Account", ["Id"], [[sf_id] for sf_id in ids], after=None, next_locator=None
    )
    return await store.chunks.create_many(run_id, "Account", [[sf_id] for sf_id in ids], in_flight=True)


def answered(chunk: Chunk) -> Completion:
    (sf_id,) = chunk.sf_ids
    return Completion(chunk.chunk_id, (RecordOutcome(sf_id, "SF_" + sf_id, "loaded", internal_id="7"),))


class Recorder:
    """The settler's ``on_settled``: what it was told, and how many commits there had been by then."""

    def __init__(self, store: CheckpointStore) -> None:
        self.store = store
        self.calls: list[tuple[list[int], int]] = []
        self.told = anyio.Event()

    def __call__(self, completions: Sequence[Completion], settled: Settled) -> None:
        self.calls.append(([c.chunk_id for c in completions], self.store.write_transactions()))
        self.told.set()


async def settle(settler: Settler, completions: Sequence[Completion]) -> None:
    """Hand the completions over one after the other, then close: returns once all are committed."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(settler.run)
        async with settler:
            for completion in completions:
                await settler.hand_over(completion)


async def test_chunks_handed_over_together_commit_in_one_transaction(
    store: CheckpointStore, chunks: list[Chunk]
) -> None:
    recorder = Recorder(store)
    settler = Settler(store, recorder)
    before = store.write_transactions()
    await settle(settler, [answered(chunk) for chunk in chunks[:5]])
    # Told once, after the one commit, about all five.
    assert recorder.calls == [([c.chunk_id for c in chunks[:5]], before + 1)]
    assert len(await store.chunks.open(chunks[0].run_id)) == ACCOUNTS - 5


async def test_a_batch_closes_after_the_linger_and_the_next_one_commits_apart(
    store: CheckpointStore, chunks: list[Chunk], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settler_module, "LINGER_S", 0.01)
    recorder = Recorder(store)
    settler = Settler(store, recorder)
    async with anyio.create_task_group() as tg:
        tg.start_soon(settler.run)
        async with settler:
            await settler.hand_over(answered(chunks[0]))
            with anyio.fail_after(5):
                await recorder.told.wait()  # committed on its own once the linger ran out
            await settler.hand_over(answered(chunks[1]))
    assert [ids for ids, _ in recorder.calls] == [[chunks[0].chunk_id], [chunks[1].chunk_id]]


async def test_hand_over_waits_once_max_chunks_wait_for_a_commit(
    store: CheckpointStore, chunks: list[Chunk]
) -> None:
    recorder = Recorder(store)
    settler = Settler(store, recorder)
    async with settler:
        for chunk in chunks[:MAX_CHUNKS]:
            await settler.hand_over(answered(chunk))
        with anyio.move_on_after(0.05) as waited:
            await settler.hand_over(answered(chunks[MAX_CHUNKS]))
        assert waited.cancelled_caught  # no settler running: no room for one more
    await settler.run()  # the hand-over side is closed: commits what it holds and returns
    assert [len(ids) for ids, _ in recorder.calls] == [MAX_CHUNKS]


async def test_outcomes_that_do_not_fit_their_chunk_stop_the_settler_and_commit_nothing(
    store: CheckpointStore, chunks: list[Chunk]
) -> None:
    recorder = Recorder(store)
    settler = Settler(store, recorder)
    wrong = Completion(chunks[1].chunk_id, answered(chunks[0]).outcomes)
    with pytest.raises(ExceptionGroup) as raised:
        await settle(settler, [answered(chunks[0]), wrong])
    assert raised.group_contains(ValueError, match="once")
    assert recorder.calls == []
    assert len(await store.chunks.open(chunks[0].run_id)) == ACCOUNTS
