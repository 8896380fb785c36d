from __future__ import annotations

import contextlib
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
