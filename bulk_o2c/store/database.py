"""The checkpoint's one SQLite connection: opening, durability settings, and transactions.

Rules this module owns:
- One connection (one aiosqlite thread) does every read and write, and a lock serialises whole
  transactions on it: two coroutines never interleave statements inside one transaction.
- Every write is one ``BEGIN IMMEDIATE ... COMMIT``; the method that wrote returns only after the
  commit, so a caller that goes on has its state change durable. A failure or a cancellation inside
  rolls the whole transaction back, and the commit and rollback are shielded from cancellation so
  the connection is never left inside a transaction.
- Journal mode WAL with ``synchronous=NORMAL``: a commit is in the WAL file before it returns, so
  killing the process (SIGKILL included) at any moment loses nothing committed, and an uncommitted
  transaction is never seen. Only a power cut or kernel crash can lose the last commits (never
  corrupt the file), which resume absorbs: a lost chunk state or outcome means the chunk is sent
  again (upsert by external id makes that harmless), a lost page means that page is read again
  from the locator saved with the page before it. ``FULL`` would add an fsync per commit, several
  per chunk, for no gain in that model.
- The database file is created readable by its owner only: it holds customer data.
- A file that cannot be used (no permission, a full disk, not a database) fails the open or the
  transaction with one line saying which file and what to do (``store.failures``); a failed
  transaction is rolled back, so resuming after the disk is fixed finds the last commit.
- ``write_seconds`` and ``write_transactions`` add up the write transactions, from ``BEGIN`` to the
  end of ``COMMIT`` or rollback (waiting for the lock excluded): the checkpoint's cost, for the run
  report and the benchmarks. Transactions never overlap, so the sum never exceeds the wall time.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import anyio

from bulk_o2c.errors import BulkO2CError
from bulk_o2c.private_files import open_private
from bulk_o2c.store.failures import checkpoint_failures

Params = tuple[Any, ...]


class CheckpointConflictError(BulkO2CError):
    """A write disagrees with the checkpoint (a page staged twice, a chunk that does not exist):
    two processes on one checkpoint, or a caller bug. Nothing was written."""


class Database:
    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path
        self._lock = anyio.Lock()
        self.write_seconds = 0.0
        self.write_transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with self._lock:
            started = time.perf_counter()
            try:
                with checkpoint_failures(self.path):
                    await self._connection.execute("BEGIN IMMEDIATE")
                    try:
                        yield self._connection
                        with anyio.CancelScope(shield=True):
                            await self._connection.execute("COMMIT")
                    except BaseException:
                        # A failed COMMIT (a full disk) may leave the transaction open: end it.
                        with anyio.CancelScope(shield=True):
                            await self._connection.rollback()
                        raise
            finally:
                self.write_seconds += time.perf_counter() - started
                self.write_transactions += 1

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Params]:
        async with self._lock:
            with checkpoint_failures(self.path):
                return [tuple(row) for row in await self._connection.execute_fetchall(sql, params)]

    async def fetch_one(self, sql: str, params: Params = ()) -> Params | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


async def fetch_all(connection: aiosqlite.Connection, sql: str, params: Params = ()) -> list[Params]:
    """A read inside a transaction the caller holds."""
    return [tuple(row) for row in await connection.execute_fetchall(sql, params)]


async def connect(path: Path) -> aiosqlite.Connection:
    # SQLite gives the -wal and -shm files the main file's permissions.
    what = f"the checkpoint {path}"
    await anyio.to_thread.run_sync(lambda: os.close(open_private(path, what, truncate=False)))
    with checkpoint_failures(path):
        connection = await aiosqlite.connect(path, isolation_level=None)
        try:
            (mode,) = await connection.execute_fetchall("PRAGMA journal_mode=WAL")
            if mode[0] != "wal":
                raise BulkO2CError(f"{path}: SQLite refused WAL mode (a network file system?)")
            for pragma in ("synchronous=NORMAL", "busy_timeout=10000"):
                await connection.execute(f"PRAGMA {pragma}")
        except BaseException:
            await connection.close()
            raise
    return connection
