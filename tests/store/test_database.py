from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from bulk_o2c.errors import LocalFileError
from bulk_o2c.store.database import Database, connect
from bulk_o2c.store.schema import migrate


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "c.sqlite"
    connection = await connect(path)
    try:
        await migrate(connection)
        yield Database(connection, path)
    finally:
        await connection.close()


async def test_a_cancelled_transaction_is_rolled_back_and_the_connection_stays_usable(
    database: Database,
) -> None:
    with anyio.CancelScope() as scope:
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO runs VALUES ('r1', 'now', NULL, 'running', 'd', '{}')")
            scope.cancel()
            await anyio.sleep(5)  # cancelled here, inside the transaction
    assert scope.cancelled_caught
    assert await database.fetch_all("SELECT run_id FROM runs") == []
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO runs VALUES ('r2', 'now', NULL, 'running', 'd', '{}')")
    assert await database.fetch_all("SELECT run_id FROM runs") == [("r2",)]


async def test_concurrent_transactions_do_not_interleave(database: Database) -> None:

    async def failing() -> None:
        with contextlib.suppress(RuntimeError):
            async with database.transaction() as tx:
                await tx.execute("INSERT INTO runs VALUES ('bad', 'now', NULL, 'running', 'd', '{}')")
                await anyio.sleep(0.01)  # the other task runs now; its insert must not join this transaction
                raise RuntimeError("rolled back")

    async def succeeding() -> None:
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO runs VALUES ('good', 'now', NULL, 'running', 'd', '{}')")

    async with anyio.create_task_group() as group:
        group.start_soon(failing)
        await anyio.lowlevel.checkpoint()
        group.start_soon(succeeding)
    assert await database.fetch_all("SELECT run_id FROM runs") == [("good",)]


async def test_write_transactions_are_counted_and_timed_committed_or_not(database: Database) -> None:
    started = time.perf_counter()
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO runs VALUES ('r1', 'now', NULL, 'running', 'd', '{}')")
    with contextlib.suppress(RuntimeError):
        async with database.transaction() as tx:
            await anyio.sleep(0.05)  # held inside the transaction: that is checkpoint time
            raise RuntimeError("rolled back")
    await database.fetch_all("SELECT run_id FROM runs")  # reads are not write time
    elapsed = time.perf_counter() - started
    assert database.write_transactions == 2
    assert 0.04 <= database.write_seconds <= elapsed


async def test_waiting_for_the_lock_is_not_write_time(database: Database) -> None:

    async def hold(seconds: float) -> None:
        async with database.transaction():
            await anyio.sleep(seconds)

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(hold, 0.05)
    elapsed = time.perf_counter() - started
    # Each waited for the others; counting the waits would make the sum about twice the wall time.
    assert database.write_transactions == 3
    assert 0.14 <= database.write_seconds <= elapsed


async def test_a_full_disk_fails_the_transaction_in_one_line_and_keeps_every_commit(
    database: Database,
) -> None:
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO runs VALUES ('kept', 'now', NULL, 'running', 'd', '{}')")
    # SQLite's own page limit stands for the disk: the write below gets SQLITE_FULL itself.
    ((pages,),) = await database.fetch_all("PRAGMA page_count")
    await database._connection.execute(f"PRAGMA max_page_count = {pages}")
    rows = [(f"lost{n}", "x" * 4000) for n in range(200)]

    async def fill() -> None:
        async with database.transaction() as tx:
            await tx.executemany("INSERT INTO runs VALUES (?, 'now', NULL, 'running', 'd', ?)", rows)

    with pytest.raises(
        LocalFileError, match=rf"checkpoint {re.escape(str(database.path))} .*SQLITE_FULL.*disk is full"
    ):
        await fill()
    await database._connection.execute("PRAGMA max_page_count = 1073741823")  # space freed
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO runs VALUES ('after', 'now', NULL, 'running', 'd', '{}')")
    assert await database.fetch_all("SELECT run_id FROM runs ORDER BY run_id") == [("after",), ("kept",)]


async def test_a_failed_commit_is_rolled_back_and_the_connection_stays_usable(database: Database) -> None:
    # A deferred constraint fails at COMMIT, as a full disk can: the transaction must not stay open.
    await database._connection.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await database._connection.execute(
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    await database._connection.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO child VALUES (1)")
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO parent VALUES (1)")
    assert await database.fetch_all("SELECT count(*) FROM child") == [(0,)]
