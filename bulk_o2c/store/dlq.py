"""The dead-letter queue: every record that did not make it, with the stage, code and reason.

Rules this module owns:
- A DLQ row names the run, flow and Salesforce id, so the payload it is about is the staged source
  row of that key (exports include it) and, for ``load``, the chunk that carried it.
- Rows are never deleted. ``retry`` marks open rows as retried and, in the same transaction, puts
  their records back where the pipeline picks them up: ``staged`` for map, load and dependency
  failures, write-back ``pending`` for write-back failures. Records parked because of a retried
  record are retried with it. The runs concerned are reopened, so ``bulk-o2c run`` (or ``resume``)
  processes them; a record that fails again gets a new row.
- ``add`` files map and dependency failures; load and write-back failures are filed by the chunk
  and write-back completions, in the transaction that records the rest of the outcome.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import aiosqlite
import orjson

from bulk_o2c.store.database import Database, Params, fetch_all
from bulk_o2c.store.rows import decode_source, source_join
from bulk_o2c.store.runs import utc_now
from bulk_o2c.store.settle import DlqStage, Failure, file_failures, json_ids


@dataclass(frozen=True, slots=True)
class DeadLetter:
    dlq_id: int
    run_id: str
    flow: str
    sf_id: str
    stage: DlqStage
    code: str
    message: str
    chunk_id: int | None
    created_at: str
    retried_at: str | None
    source: dict[str, str] | None  # the staged Salesforce row


_SELECT = (
    "SELECT d.dlq_id, d.run_id, d.flow, d.sf_id, d.stage, d.code, d.message, d.chunk_id, d.created_at, "  # noqa: S608
    f"d.retried_at, s.row, e.header FROM dlq d {source_join('d')}"
)


def _letter(row: Params) -> DeadLetter:
    dlq_id, run_id, flow, sf_id, stage, code, message, chunk_id, created_at, retried_at, source, header = row
    return DeadLetter(
        dlq_id,
        run_id,
        flow,
        sf_id,
        stage,
        code,
        message,
        chunk_id,
        created_at,
        retried_at,
        decode_source(source, header),
    )


class DeadLetters:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(
        self, run_id: str, flow: str, stage: DlqStage, failures: Sequence[Failure]
    ) -> tuple[str, ...]:
        """File failures; returns the records parked because they waited for one of these."""
        async with self._db.transaction() as tx:
            parked = await file_failures(tx, run_id, flow, stage, failures)
        return tuple(parked)

    async def entries(
        self,
        run_id: str | None = None,
        *,
        include_retried: bool = False,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[DeadLetter]:
        """A page of DLQ rows in filing order, after ``after_id``."""
        where = ["d.dlq_id > ?"]
        params: list[object] = [after_id]
        if run_id is not None:
            where.append("d.run_id = ?")
            params.append(run_id)
        if not include_retried:
            where.append("d.retried_at IS NULL")
        rows = await self._db.fetch_all(
            f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY d.dlq_id LIMIT ?",
            (*params, limit),
        )
        return [_letter(row) for row in rows]

    async def pages(
        self, run_id: str | None = None, *, include_retried: bool = False
    ) -> AsyncIterator[list[DeadLetter]]:
        """Every matching row, a page at a time."""
        after = 0
        while page := await self.entries(run_id, include_retried=include_retried, after_id=after):
            yield page
            after = page[-1].dlq_id

    async def count(self, run_id: str) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM dlq WHERE run_id = ? AND retried_at IS NULL", (run_id,)
        )
        return int(row[0]) if row else 0

    async def codes(self, run_id: str | None = None) -> dict[str, int]:
        """Open entries by code, most frequent first (of one run, or of all)."""
        rows = await self._db.fetch_all(
            "SELECT code, count(*) AS n FROM dlq WHERE retried_at IS NULL AND (?1 IS NULL OR run_id = ?1) "
            "GROUP BY code ORDER BY n DESC, code",
            (run_id,),
        )
        return dict(rows)

    async def retry(
        self, *, run_id: str | None = None, dlq_ids: Sequence[int] | None = None, code: str | None = None
    ) -> int:
        """Mark the open rows matching every filter given for re-processing; returns how many."""
        where = ["retried_at IS NULL"]
        params: list[object] = []
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        if dlq_ids is not None:
            where.append("dlq_id IN (SELECT value FROM json_each(?))")
            params.append(orjson.dumps(list(dlq_ids)).decode())
        if code is not None:
            where.append("code = ?")
            params.append(code)
        async with self._db.transaction() as tx:
            chosen = await fetch_all(
                tx,
                f"SELECT dlq_id, run_id, flow, sf_id, stage FROM dlq WHERE {' AND '.join(where)}",  # noqa: S608
                tuple(params),
            )
            chosen += await self._parked_behind(tx, chosen)
            now = utc_now()
            await tx.executemany(
                "UPDATE dlq SET retried_at = ? WHERE dlq_id = ?", [(now, row[0]) for row in chosen]
            )
            await tx.executemany(
                "UPDATE staged SET state = 'staged' "
                "WHERE run_id = ? AND flow = ? AND sf_id = ? AND +state IN ('failed', 'parked')",
                [(run, flow, sf_id) for _, run, flow, sf_id, stage in chosen if stage != "writeback"],
            )
            await tx.executemany(
                "UPDATE outcomes SET writeback = 'pending', writeback_job = NULL "
                "WHERE run_id = ? AND flow = ? AND sf_id = ? AND writeback = 'failed'",
                [(run, flow, sf_id) for _, run, flow, sf_id, stage in chosen if stage == "writeback"],
            )
            await tx.execute(
                "UPDATE runs SET status = 'running', finished_at = NULL "
                "WHERE run_id IN (SELECT value FROM json_each(?))",
                (json_ids(sorted({row[1] for row in chosen})),),
            )
        return len(chosen)

    @staticmethod
    async def _parked_behind(tx: aiosqlite.Connection, chosen: list[Params]) -> list[Params]:
        """Open dependency rows of records that waited for one of ``chosen``."""
        by_run: dict[str, list[str]] = {}
        for _, run, _, sf_id, stage in chosen:
            if stage != "writeback":
                by_run.setdefault(run, []).append(sf_id)
        ids = {row[0] for row in chosen}
        parked: list[Params] = []
        for run, parent_ids in by_run.items():
            rows = await fetch_all(
                tx,
                "SELECT d.dlq_id, d.run_id, d.flow, d.sf_id, d.stage FROM dlq d JOIN staged s "
                "ON s.run_id = d.run_id AND s.flow = d.flow AND s.sf_id = d.sf_id "
                "WHERE d.run_id = ? AND d.stage = 'dependency' AND d.retried_at IS NULL "
                "AND s.parent_id IN (SELECT value FROM json_each(?))",
                (run, json_ids(parent_ids)),
            )
            parked += [row for row in rows if row[0] not in ids]
        return parked
