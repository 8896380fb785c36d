"""Crash semantics: a process SIGKILLed inside a checkpoint transaction leaves the previous state whole.

Each child process opens the checkpoint, starts a write, and kills itself with SIGKILL at a chosen
point (inside the transaction, after its big statement has already spilled pages into the WAL, or
right after the commit). The parent then opens the checkpoint as a resumed run would.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from bulk_o2c.store import Fingerprint, RecordOutcome, Settled, open_store
from tests.store.conftest import Rows, as_page

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

REPO = Path(__file__).resolve().parents[2]
PAGE_ROWS = 20_000  # ~8 MB of rows: more than SQLite's page cache, so the open transaction writes to the WAL

CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path
    import aiosqlite
    from bulk_o2c.store import RecordOutcome, open_store

    path, action, point = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def then_die(original):
        async def run_then_die(self, sql, parameters=None):
            result = await original(self, sql, parameters)
            # The page's last statement, or a chunk's big one, ran; COMMIT never will.
            if point == "inside" and sql.lstrip().startswith(("UPDATE extractions", "INSERT INTO outcomes")):
                die()
            return result
        return run_then_die
    aiosqlite.Connection.execute = then_die(aiosqlite.Connection.execute)
    aiosqlite.Connection.executemany = then_die(aiosqlite.Connection.executemany)

    async def main():
        async with open_store(path) as store:
            run = await store.runs.latest()
            if action == "stage":
                header = ["Id", "Name", "SystemModstamp"]
                stamp = "2025-03-01T10:00:00.000+0000"
                rows = [[f"001{n:015d}", "x" * 300, stamp] for n in range(100, 100 + int(sys.argv[4]))]
                await store.extraction.stage_page(
                    run.run_id, "Account", header, rows, after="L1", next_locator="L2"
                )
            elif action == "send":
                (chunk,) = await store.chunks.open(run.run_id)
                await store.chunks.mark_in_flight(chunk.chunk_id)
                # ... the request is on the wire when the process dies
            elif action == "complete":
                (chunk,) = await store.chunks.open(run.run_id)
                outcomes = [RecordOutcome(i, "SF_ACCT_" + i, "loaded", internal_id=str(n))
                            for n, i in enumerate(chunk.sf_ids)]
                await store.chunks.complete(chunk.chunk_id, outcomes)
            die()  # "after": everything above has returned, so it was committed

    asyncio.run(main())
    """
)


async def run_child(checkpoint: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = await anyio.run_process(
        [sys.executable, "-c", CHILD, str(checkpoint), *args], check=False, env=env, cwd=REPO
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()


@pytest.fixture
async def page_one(checkpoint: Path, accounts: Callable[..., Rows], settings_fingerprint: Fingerprint) -> str:
    """A checkpoint whose Account extraction has staged its first page (the next locator is L1)."""
    async with open_store(checkpoint) as store:
        run = await store.runs.start(settings_fingerprint)
        await store.extraction.begin(
            run.run_id, "Account", window_start=None, window_end="2025-03-02T00:00:00Z"
        )
        await store.extraction.set_job(run.run_id, "Account", "750A")
        await store.extraction.stage_page(
            run.run_id, "Account", *as_page(accounts(5)), after=None, next_locator="L1"
        )
    return run.run_id


async def test_a_kill_inside_the_page_transaction_loses_the_page_and_keeps_the_locator(
    checkpoint: Path, page_one: str
) -> None:
    wal = checkpoint.with_name(checkpoint.name + "-wal")
    wal_before = wal.stat().st_size if wal.exists() else 0  # a clean close checkpoints and removes it
    await run_child(checkpoint, "stage", "inside", str(PAGE_ROWS))
    assert wal.stat().st_size > wal_before + 1_000_000  # the page's rows did reach the WAL, uncommitted
    async with open_store(checkpoint) as store:
        progress = await store.extraction.progress(page_one, "Account")
        assert progress is not None
        assert (progress.locator, progress.pages_staged, progress.rows_staged) == ("L1", 1, 5)
        assert len(await store.staging.ready(page_one, "Account", limit=100_000)) == 5
        # Resume: the same page, read again from the saved locator, stages once.
        rows = [
            {"Id": f"001{n:015d}", "Name": "x", "SystemModstamp": "2025-03-01T10:00:00.000+0000"}
            for n in range(100, 110)
        ]
        await store.extraction.stage_page(page_one, "Account", *as_page(rows), after="L1", next_locator=None)
        assert len(await store.staging.ready(page_one, "Account", limit=100_000)) == 15


async def test_a_kill_after_the_page_commit_keeps_page_and_locator(checkpoint: Path, page_one: str) -> None:
    await run_child(checkpoint, "stage", "after", "50")
    async with open_store(checkpoint) as store:
        progress = await store.extraction.progress(page_one, "Account")
        assert progress is not None
        assert (progress.locator, progress.pages_staged, progress.rows_staged) == ("L2", 2, 55)
        assert len(await store.staging.ready(page_one, "Account", limit=100_000)) == 55


async def _one_queued_chunk(checkpoint: Path, run_id: str) -> list[str]:
    async with open_store(checkpoint) as store:
        ids = [record.sf_id for record in await store.staging.ready(run_id, "Account")]
        await store.chunks.create(run_id, "Account", ids)
    return ids


async def test_a_chunk_in_flight_at_a_kill_is_sent_again_on_resume(checkpoint: Path, page_one: str) -> None:
    ids = await _one_queued_chunk(checkpoint, page_one)
    await run_child(checkpoint, "send", "after")
    async with open_store(checkpoint) as store:
        (chunk,) = await store.chunks.open(page_one)
        assert (chunk.state, chunk.attempts, list(chunk.sf_ids)) == ("in_flight", 1, ids)
        assert await store.staging.ready(page_one, "Account") == []  # queued: not chunked a second time


async def test_a_kill_while_completing_a_chunk_leaves_no_outcome_and_the_chunk_open(
    checkpoint: Path, page_one: str
) -> None:
    ids = await _one_queued_chunk(checkpoint, page_one)
    await run_child(checkpoint, "complete", "inside")
    async with open_store(checkpoint) as store:
        (chunk,) = await store.chunks.open(page_one)
        assert chunk.state == "pending"
        assert await store.outcomes.cross_reference("Account", ids) == {}
        # Resume sends it again and records each outcome once.
        outcomes = [RecordOutcome(i, "SF_ACCT_" + i, "loaded", internal_id=str(n)) for n, i in enumerate(ids)]
        await store.chunks.complete(chunk.chunk_id, outcomes)
        assert await store.chunks.complete(chunk.chunk_id, outcomes) == Settled(already_done=True)
        assert (await store.outcomes.counts(page_one)) == {"Account": {"loaded": 5}}


async def test_a_kill_after_completing_a_chunk_keeps_every_outcome(checkpoint: Path, page_one: str) -> None:
    ids = await _one_queued_chunk(checkpoint, page_one)
    await run_child(checkpoint, "complete", "after")
    async with open_store(checkpoint) as store:
        assert await store.chunks.open(page_one) == []
        assert set(await store.outcomes.cross_reference("Account", ids)) == set(ids)
