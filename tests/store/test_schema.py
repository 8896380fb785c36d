from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import anyio
import pytest

from bulk_o2c.errors import ConfigError
from bulk_o2c.store import CheckpointStore, Fingerprint, open_store
from bulk_o2c.store.schema import SCHEMA_VERSION


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
