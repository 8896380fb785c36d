"""The chunk ledger: which records go in which upsertList request, and how far each request got.

Rules this module owns:
- ``pending`` (recorded, not sent) -> ``in_flight`` (about to be sent; attempts + 1, committed
  before the request leaves) -> ``done`` (every record's outcome committed in the same transaction)
  or ``unknown`` (sent, but the answer was lost: timeout, dropped connection). An ``in_flight`` chunk
  that was never sent (a stop came first) goes back to ``pending`` with the attempt taken back. On
  resume, every chunk not ``done`` is sent again: an upsert by external id makes a repeat harmless.
- Completing a chunk is idempotent: a second completion of a done chunk writes nothing, so a
  record's outcome and DLQ row exist once however often its chunk was sent.
- A chunk is made of ``staged`` records only, so no record is in two open chunks.
- Every record of the chunk needs exactly one outcome; anything else is a caller bug and nothing is
  written.
- Several chunks may be completed in one transaction (``complete_many``, the pipeline's group
  commit): one statement per table covers them all, and it is all or nothing.
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
class Completion:
    """The outcome of each record of a chunk NetSuite answered."""

    chunk_id: int
    outcomes: tuple[RecordOutcome, ...]


@dataclass(frozen=True, slots=True)
class Settled:
    """What completing a chunk changed for records waiting on its records."""

    released: tuple[str, ...] = ()  # back to staged: their parent loaded
    parked: tuple[str, ...] = ()  # parked: their parent failed
    already_done: bool = False  # every chunk named was done before: nothing was written


_Answered = tuple[Chunk, Sequence[RecordOutcome]]

# A chunk's settled outcomes travel as one JSON array of [sf_id, external_id, internal_id, status,
# warnings, chunk_id, writeback, digest] that SQLite takes apart itself: one statement step for all
# rows, where executemany would hand the interpreter lock back and forth once per row.
_RECORD_OUTCOMES = (
    "INSERT INTO outcomes (run_id, flow, sf_id, external_id, internal_id, status, warnings, chunk_id, "
    "writeback) SELECT ?1, ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), "
    "json_extract(value, '$[5]'), json_extract(value, '$[6]') FROM json_each(?3) WHERE true "
    "ON CONFLICT (run_id, flow, sf_id) DO UPDATE SET external_id = excluded.external_id, "
    "internal_id = excluded.internal_id, status = excluded.status, warnings = excluded.warnings, "
    "chunk_id = excluded.chunk_id, writeback = excluded.writeback, writeback_job = NULL"
)
_CROSS_REFERENCE = (
    "INSERT INTO xref (flow, sf_id, external_id, internal_id, digest, run_id) "
    "SELECT ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
    "json_extract(value, '$[7]'), ?1 FROM json_each(?3) WHERE json_extract(value, '$[3]') = 'loaded' "
    "ON CONFLICT (flow, sf_id) DO UPDATE SET external_id = excluded.external_id, "
    "internal_id = excluded.internal_id, digest = excluded.digest, run_id = excluded.run_id"
)

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
        attempts = int(in_flight)
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE staged SET state = 'queued' WHERE run_id = ? AND flow = ? AND +state = 'staged' "
                "AND sf_id IN (SELECT value FROM json_each(?))",
                (run_id, flow, json_ids(every)),
            )
            if cursor.rowcount != len(every):
                # Already queued in another chunk, settled, or never staged: sending it would be a bug.
                raise CheckpointConflictError(f"{flow}: a chunk names records that are not ready in {run_id}")
            # The write lock is held, so the ids after the largest are this transaction's to give.
            ((last,),) = await fetch_all(tx, "SELECT coalesce(max(chunk_id), 0) FROM chunks")
            chunks = [
                Chunk(last + n, run_id, flow, tuple(group), attempts, state)
                for n, group in enumerate(groups, start=1)
            ]
            await tx.executemany(
                "INSERT INTO chunks (chunk_id, run_id, flow, sf_ids, attempts, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(c.chunk_id, run_id, flow, json_ids(c.sf_ids), attempts, state, now) for c in chunks],
            )
        return chunks

    async def mark_in_flight(self, chunk_id: int) -> None:
        """Record an attempt about to be sent (attempts + 1)."""
        async with self._db.transaction() as tx:
            await self._move(tx, chunk_id, "in_flight", "attempts = attempts + 1, ")

    async def unsend(self, chunk_ids: Sequence[int]) -> None:
        """Chunks entered in flight that were never sent (a stop came first): pending again, with
        that attempt taken back."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE chunks SET state = 'pending', attempts = attempts - 1, updated_at = ? "
                "WHERE chunk_id IN (SELECT value FROM json_each(?)) AND state = 'in_flight'",
                (utc_now(), orjson.dumps(list(chunk_ids)).decode()),
            )
            if cursor.rowcount != len(set(chunk_ids)):
                raise CheckpointConflictError(f"chunks {list(chunk_ids)} are not all in flight")

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
        return await self.complete_many([Completion(chunk_id, tuple(outcomes))])

    async def complete_many(self, completions: Sequence[Completion]) -> Settled:
        """Complete several chunks in one transaction (a group commit): each statement covers every
        chunk, so the cost of a commit is shared. All or nothing: one chunk whose outcomes do not fit
        it writes nothing for any. Returns what changed for all of them together."""
        ids = [c.chunk_id for c in completions]
        if len(set(ids)) != len(ids):
            raise ValueError("a chunk is completed once per call")
        async with self._db.transaction() as tx:
            found = {
                chunk.chunk_id: chunk
                for chunk in map(
                    _chunk,
                    await fetch_all(
                        tx,
                        f"SELECT {_COLUMNS} FROM chunks WHERE chunk_id IN (SELECT value FROM json_each(?))",  # noqa: S608
                        (orjson.dumps(ids).decode(),),
                    ),
                )
            }
            todo: list[_Answered] = []
            for completion in completions:
                chunk = found.get(completion.chunk_id)
                if chunk is None:
                    raise CheckpointConflictError(f"chunk {completion.chunk_id} does not exist")
                if chunk.state == "done":
                    continue  # sent again and answered again: its first outcomes stand
                if sorted(o.sf_id for o in completion.outcomes) != sorted(chunk.sf_ids):
                    raise ValueError(
                        f"chunk {chunk.chunk_id}: the outcomes do not name each of its records once"
                    )
                todo.append((chunk, completion.outcomes))
            if not todo:
                return Settled(already_done=True)
            settled = await self._settle(tx, todo)
            await tx.execute(
                "UPDATE chunks SET state = 'done', updated_at = ? "
                "WHERE chunk_id IN (SELECT value FROM json_each(?))",
                (utc_now(), orjson.dumps([chunk.chunk_id for chunk, _ in todo]).decode()),
            )
        return settled

    @staticmethod
    async def _settle(tx: aiosqlite.Connection, todo: Sequence[_Answered]) -> Settled:
        by_flow: dict[tuple[str, str], list[tuple[int, RecordOutcome]]] = {}
        for chunk, answered in todo:
            by_flow.setdefault((chunk.run_id, chunk.flow), []).extend((chunk.chunk_id, o) for o in answered)
        for (run_id, flow), records in by_flow.items():
            settled = orjson.dumps(
                [
                    (
                        o.sf_id,
                        o.external_id,
                        o.internal_id,
                        o.status,
                        orjson.dumps(o.warnings).decode() if o.warnings else None,
                        chunk_id,
                        "pending" if o.status == "loaded" and o.needs_writeback else "not_needed",
                        o.digest,
                    )
                    for chunk_id, o in records
                    if o.status != "retry"
                ]
            ).decode()
            await tx.execute(_RECORD_OUTCOMES, (run_id, flow, settled))
            await tx.execute(_CROSS_REFERENCE, (run_id, flow, settled))
        released: list[str] = []
        parked: list[str] = []
        for (run_id, flow), records in by_flow.items():
            loaded = [o.sf_id for _, o in records if o.status == "loaded"]
            retried = [o.sf_id for _, o in records if o.status == "retry"]
            if loaded or retried:
                # One statement for both states: a retried record goes back to staged.
                await tx.execute(
                    "UPDATE staged SET state = CASE WHEN sf_id IN (SELECT value FROM json_each(?)) "
                    "THEN 'staged' ELSE 'loaded' END "
                    "WHERE run_id = ? AND flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
                    (json_ids(retried), run_id, flow, json_ids(loaded + retried)),
                )
            failed = [(chunk_id, o) for chunk_id, o in records if o.status == "failed"]
            parked += await file_failures(
                tx,
                run_id,
                flow,
                "load",
                [Failure(o.sf_id, o.code or "", o.message or "") for _, o in failed],
                {o.sf_id: chunk_id for chunk_id, o in failed},
            )
            released += await release_dependants(tx, run_id, loaded)
        return Settled(tuple(released), tuple(parked))
