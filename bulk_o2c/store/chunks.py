"""The chunk ledger: which records go in which upsertList request, and how far each request got.

Rules this module owns:
- ``pending`` (recorded, not sent) -> ``in_flight`` (about to be sent; attempts + 1, committed
  before the request leaves) -> ``done`` (every record's outcome committed in the same transaction)
  or ``unknown`` (sent, but the answer was lost: timeout, dropped connection). On resume, every chunk
  not ``done`` is sent again: an upsert by external id makes a repeat harmless.
- Completing a chunk is idempotent: a second completion of a done chunk writes nothing, so a
  record's outcome and DLQ row exist once however often its chunk was sent.
- A chunk is made of ``staged`` records only, so no record is in two open chunks.
- Every record of the chunk needs exactly one outcome; anything else is a caller bug and nothing is
  written.
- A chunk that was too large for NetSuite is split in two halves, both ``pending`` with no attempts:
  the first keeps the chunk id, the second gets a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import aiosqlite
import orjson

from bulk_o2c.store.database import CheckpointConflictError, Database, Params, fetch_all
from bulk_o2c.store.outcomes import RecordOutcome
from bulk_o2c.store.runs import utc_now
from bulk_o2c.store.settle import Failure, file_failures, json_ids, release_dependants

ChunkState = Literal["pending", "in_flight", "done", "unknown"]


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: int
    run_id: str
    flow: str
    sf_ids: tuple[str, ...]
    attempts: int
    state: ChunkState


@dataclass(frozen=True, slots=True)
class Settled:
    """What completing a chunk changed for records waiting on its records."""

    released: tuple[str, ...] = ()  # back to staged: their parent loaded
    parked: tuple[str, ...] = ()  # parked: their parent failed
    already_done: bool = False


_COLUMNS = "chunk_id, run_id, flow, sf_ids, attempts, state"


def _chunk(row: Params) -> Chunk:
    chunk_id, run_id, flow, sf_ids, attempts, state = row
    return Chunk(chunk_id, run_id, flow, tuple(orjson.loads(sf_ids)), attempts, state)


class Chunks:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self, run_id: str, flow: str, sf_ids: Sequence[str], *, in_flight: bool = False
    ) -> Chunk:
        """A chunk of staged records, which become ``queued``; ``in_flight`` when it is sent right
        away (one commit instead of two)."""
        (chunk,) = await self.create_many(run_id, flow, [sf_ids], in_flight=in_flight)
        return chunk

    async def create_many(
        self, run_id: str, flow: str, groups: Sequence[Sequence[str]], *, in_flight: bool = False
    ) -> list[Chunk]:
        """One chunk per group, all in one transaction (a staging page's chunks: one commit, not one
        per chunk)."""
        every = [sf_id for group in groups for sf_id in group]
        if not groups or any(not group for group in groups) or len(set(every)) != len(every):
            raise ValueError("each chunk holds one or more records, and no record is in two chunks")
        state: ChunkState = "in_flight" if in_flight else "pending"
        now = utc_now()
        chunks: list[Chunk] = []
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE staged SET state = 'queued' WHERE run_id = ? AND flow = ? AND +state = 'staged' "
                "AND sf_id IN (SELECT value FROM json_each(?))",
                (run_id, flow, json_ids(every)),
            )
            if cursor.rowcount != len(every):
                # Already queued in another chunk, settled, or never staged: sending it would be a bug.
                raise CheckpointConflictError(f"{flow}: a chunk names records that are not ready in {run_id}")
            for group in groups:
                cursor = await tx.execute(
                    "INSERT INTO chunks (run_id, flow, sf_ids, attempts, state, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, flow, json_ids(group), int(in_flight), state, now),
                )
                assert cursor.lastrowid is not None
                chunks.append(Chunk(cursor.lastrowid, run_id, flow, tuple(group), int(in_flight), state))
        return chunks

    async def mark_in_flight(self, chunk_id: int) -> None:
        """Record an attempt about to be sent (attempts + 1)."""
        async with self._db.transaction() as tx:
            await self._move(tx, chunk_id, "in_flight", "attempts = attempts + 1, ")

    async def mark_unknown(self, chunk_id: int) -> None:
        async with self._db.transaction() as tx:
            await self._move(tx, chunk_id, "unknown")

    @staticmethod
    async def _move(tx: aiosqlite.Connection, chunk_id: int, state: ChunkState, also: str = "") -> None:
        cursor = await tx.execute(
            f"UPDATE chunks SET {also}state = ?, updated_at = ? WHERE chunk_id = ? AND state <> 'done'",  # noqa: S608
            (state, utc_now(), chunk_id),
        )
        if cursor.rowcount != 1:
            raise CheckpointConflictError(f"chunk {chunk_id} does not exist or is done")

    async def split(self, chunk_id: int) -> tuple[Chunk, Chunk]:
        async with self._db.transaction() as tx:
            rows = await fetch_all(
                tx,
                f"SELECT {_COLUMNS} FROM chunks WHERE chunk_id = ? AND state <> 'done'",  # noqa: S608
                (chunk_id,),
            )
            if not rows:
                raise CheckpointConflictError(f"chunk {chunk_id} does not exist or is done")
            chunk = _chunk(rows[0])
            if len(chunk.sf_ids) < 2:
                raise ValueError(f"chunk {chunk_id} holds one record and cannot be split")
            half = len(chunk.sf_ids) // 2
            head, tail = chunk.sf_ids[:half], chunk.sf_ids[half:]
            now = utc_now()
            await tx.execute(
                "UPDATE chunks SET sf_ids = ?, attempts = 0, state = 'pending', updated_at = ? "
                "WHERE chunk_id = ?",
                (json_ids(head), now, chunk_id),
            )
            cursor = await tx.execute(
                "INSERT INTO chunks (run_id, flow, sf_ids, state, updated_at) VALUES (?, ?, ?, 'pending', ?)",
                (chunk.run_id, chunk.flow, json_ids(tail), now),
            )
            tail_id = cursor.lastrowid
        assert tail_id is not None
        return (
            Chunk(chunk_id, chunk.run_id, chunk.flow, head, 0, "pending"),
            Chunk(tail_id, chunk.run_id, chunk.flow, tail, 0, "pending"),
        )

    async def open(self, run_id: str, flow: str | None = None) -> list[Chunk]:
        """Chunks not done (pending, in flight or unknown at a crash), oldest first: send them (again)."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM chunks WHERE run_id = ? AND state <> 'done' ORDER BY chunk_id",  # noqa: S608
            (run_id,),
        )
        return [chunk for chunk in map(_chunk, rows) if flow is None or chunk.flow == flow]

    async def counts(self, run_id: str) -> dict[str, int]:
        rows = await self._db.fetch_all(
            "SELECT state, count(*) FROM chunks WHERE run_id = ? GROUP BY state", (run_id,)
        )
        return dict(rows)

    async def complete(self, chunk_id: int, outcomes: Sequence[RecordOutcome]) -> Settled:
        """Commit every record's outcome, its DLQ row or cross-reference, and the chunk's end."""
        async with self._db.transaction() as tx:
            rows = await fetch_all(tx, f"SELECT {_COLUMNS} FROM chunks WHERE chunk_id = ?", (chunk_id,))  # noqa: S608
            if not rows:
                raise CheckpointConflictError(f"chunk {chunk_id} does not exist")
            chunk = _chunk(rows[0])
            if chunk.state == "done":
                return Settled(already_done=True)
            if sorted(o.sf_id for o in outcomes) != sorted(chunk.sf_ids):
                raise ValueError(f"chunk {chunk_id}: the outcomes do not name each of its records once")
            run_id, flow = chunk.run_id, chunk.flow
            settled = [o for o in outcomes if o.status != "retry"]
            loaded = [o for o in outcomes if o.status == "loaded"]
            await tx.executemany(
                "INSERT INTO outcomes (run_id, flow, sf_id, external_id, internal_id, status, warnings, "
                "chunk_id, writeback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, flow, sf_id) DO UPDATE SET external_id = excluded.external_id, "
                "internal_id = excluded.internal_id, status = excluded.status, warnings = excluded.warnings, "
                "chunk_id = excluded.chunk_id, writeback = excluded.writeback, writeback_job = NULL",
                [
                    (
                        run_id,
                        flow,
                        o.sf_id,
                        o.external_id,
                        o.internal_id,
                        o.status,
                        orjson.dumps(o.warnings).decode() if o.warnings else None,
                        chunk_id,
                        "pending" if o.status == "loaded" and o.needs_writeback else "not_needed",
                    )
                    for o in settled
                ],
            )
            await tx.executemany(
                "INSERT INTO xref (flow, sf_id, external_id, internal_id, digest, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (flow, sf_id) DO UPDATE SET "
                "external_id = excluded.external_id, internal_id = excluded.internal_id, "
                "digest = excluded.digest, run_id = excluded.run_id",
                [(flow, o.sf_id, o.external_id, o.internal_id, o.digest, run_id) for o in loaded],
            )
            for state, status in (("loaded", "loaded"), ("staged", "retry")):
                ids = [o.sf_id for o in outcomes if o.status == status]
                if ids:
                    await tx.execute(
                        "UPDATE staged SET state = ? "
                        "WHERE run_id = ? AND flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
                        (state, run_id, flow, json_ids(ids)),
                    )
            failures = [
                Failure(o.sf_id, o.code or "", o.message or "") for o in outcomes if o.status == "failed"
            ]
            parked = await file_failures(tx, run_id, flow, "load", failures, chunk_id)
            released = await release_dependants(tx, run_id, [o.sf_id for o in loaded])
            await self._move(tx, chunk_id, "done")
        return Settled(tuple(released), tuple(parked))
