from __future__ import annotations

import contextlib
import time
from pathlib import Path

import anyio
import anyio.lowlevel

from bulk_o2c.store.database import Database, connect
from bulk_o2c.store.schema import migrate


async def test_a_cancelled_transaction_is_rolled_back_and_the_connection_stays_usable(tmp_path: Path) -> None:
    connection = await connect(tmp_path / "c.sqlite")
    try:
        await migrate(connection)
        database = Database(connection)
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
    finally:
        await connection.close()


async def test_concurrent_transactions_do_not_interleave(tmp_path: Path) -> None:
    connection = await connect(tmp_path / "c.sqlite")
    try:
        await migrate(connection)
        database = Database(connection)

        async def failing() -> None:
            with contextlib.suppress(RuntimeError):
                async with database.transaction() as tx:
                    await tx.execute("INSERT INTO runs VALUES ('bad', 'now', NULL, 'running', 'd', '{}')")
                    await anyio.sleep(
                        0.01
                    )  # the other task runs now; its insert must not join this transaction
                    raise RuntimeError("rolled back")

        async def succeeding() -> None:
            async with database.transaction() as tx:
                await tx.execute("INSERT INTO runs VALUES ('good', 'now', NULL, 'running', 'd', '{}')")

        async with anyio.create_task_group() as group:
            group.start_soon(failing)
            await anyio.lowlevel.checkpoint()
            group.start_soon(succeeding)
        assert await database.fetch_all("SELECT run_id FROM runs") == [("good",)]
    finally:
        await connection.close()


async def test_write_transactions_are_counted_and_timed_committed_or_not(tmp_path: Path) -> None:
    connection = await connect(tmp_path / "c.sqlite")
    try:
        await migrate(connection)
        database = Database(connection)
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
    finally:
        await connection.close()


async def test_waiting_for_the_lock_is_not_write_time(tmp_path: Path) -> None:
    connection = await connect(tmp_path / "c.sqlite")
    try:
        await migrate(connection)
        database = Database(connection)

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
    finally:
        await connection.close()
