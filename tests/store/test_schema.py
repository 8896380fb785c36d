from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import anyio
import pytest

from bulk_o2c.errors import ConfigError
from bulk_o2c.store import CheckpointStore, Fingerprint, open_store
from bulk_o2c.store.schema import MIGRATIONS, SCHEMA_VERSION


async def test_a_new_checkpoint_is_migrated_to_the_current_version_in_wal_mode(
    store: CheckpointStore, checkpoint: Path
) -> None:
    with sqlite3.connect(checkpoint) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "extractions", "staged", "chunks", "outcomes", "xref", "dlq", "writeback_jobs"} <= tables


async def test_reopening_keeps_the_data_and_migrates_nothing_twice(
    checkpoint: Path, settings_fingerprint: Fingerprint
) -> None:
    async with open_store(checkpoint) as store:
        run = await store.runs.start(settings_fingerprint)
    async with open_store(checkpoint) as store:
        assert await store.runs.latest() == run
    with sqlite3.connect(checkpoint) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


async def test_a_checkpoint_from_a_newer_version_is_refused(checkpoint: Path) -> None:
    async with open_store(checkpoint):
        pass
    with sqlite3.connect(checkpoint) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="upgrade"):
        async with open_store(checkpoint):
            pass


async def test_the_checkpoint_is_private_to_its_owner(store: CheckpointStore, checkpoint: Path) -> None:
    assert stat.S_IMODE((await anyio.Path(checkpoint).stat()).st_mode) == 0o600
    assert stat.S_IMODE((await anyio.Path(checkpoint.parent).stat()).st_mode) == 0o700


async def test_a_checkpoint_from_before_abandon_keeps_its_runs_in_order_and_can_abandon(
    checkpoint: Path,
) -> None:
    checkpoint.parent.mkdir()
    with sqlite3.connect(checkpoint) as db:  # the last schema without 'abandoned'
        before = next(n for n, migration in enumerate(MIGRATIONS) if "'abandoned'" in migration)
        for version, migration in enumerate(MIGRATIONS[:before]):
            db.executescript(migration)
            db.execute(f"PRAGMA user_version = {version + 1}")
        db.executemany(
            "INSERT INTO runs VALUES (?, '2025-03-01T00:00:00.000+00:00', NULL, 'running', 'd', '{}')",
            [("20250301T000000Z-bbbbbb",), ("20250301T000000Z-aaaaaa",)],
        )
    async with open_store(checkpoint) as store:
        latest = await store.runs.latest(unfinished=True)
        assert latest is not None
        assert latest.run_id == "20250301T000000Z-aaaaaa"  # recorded last, whatever its id
        await store.runs.abandon(latest.run_id)
        assert (await store.runs.get(latest.run_id) or latest).status == "abandoned"
