"""Write-back progress: which NetSuite ids still have to reach Salesforce, and in which ingest job.

Rules this module owns:
- Only loaded records whose Salesforce row did not already hold the internal id are written back
  (``needs_writeback``): an update that changes nothing would still move SystemModstamp and bring
  the record into the next delta.
- ``pending`` -> ``sent`` (assigned to an ingest job, committed before the job's data is uploaded)
  -> ``done`` or ``failed`` (DLQ, stage ``writeback``) when the job's results are in. On resume,
  ``open_jobs`` gives the jobs whose results never arrived: ask Salesforce for them, or write them
  again (setting the same id twice is harmless).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bulk_o2c.store.database import CheckpointConflictError, Database, fetch_all
from bulk_o2c.store.runs import utc_now
from bulk_o2c.store.settle import Failure, file_failures, json_ids


@dataclass(frozen=True, slots=True)
class WritebackItem:
    sf_id: str
    internal_id: str


@dataclass(frozen=True, slots=True)
class WritebackJob:
    job_id: str
    flow: str
    items: tuple[WritebackItem, ...]


class Writeback:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def pending(self, run_id: str, flow: str, *, limit: int = 10_000) -> list[WritebackItem]:
        rows = await self._db.fetch_all(
            "SELECT sf_id, internal_id FROM outcomes WHERE run_id = ? AND flow = ? AND writeback = 'pending' "
            "ORDER BY sf_id LIMIT ?",
            (run_id, flow, limit),
        )
        return [WritebackItem(sf_id, internal_id) for sf_id, internal_id in rows]

    async def assign(self, run_id: str, flow: str, job_id: str, sf_ids: Sequence[str]) -> None:
        """Record that ``job_id`` carries these records' ids; call before uploading the job's data."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO writeback_jobs (run_id, job_id, flow, state, created_at) "
                "VALUES (?, ?, ?, 'open', ?)",
                (run_id, job_id, flow, utc_now()),
            )
            cursor = await tx.execute(
                "UPDATE outcomes SET writeback = 'sent', writeback_job = ? WHERE run_id = ? AND flow = ? "
                "AND writeback = 'pending' AND sf_id IN (SELECT value FROM json_each(?))",
                (job_id, run_id, flow, json_ids(sf_ids)),
            )
            if cursor.rowcount != len(set(sf_ids)):
                raise CheckpointConflictError(
                    f"{flow}: job {job_id} names records with no pending write-back"
                )

    async def open_jobs(self, run_id: str) -> list[WritebackJob]:
        rows = await self._db.fetch_all(
            # CROSS JOIN keeps the few open jobs as the outer loop: each reads only its 'sent' records.
            "SELECT j.job_id, j.flow, o.sf_id, o.internal_id FROM writeback_jobs j CROSS JOIN outcomes o "
            "ON o.run_id = j.run_id AND o.flow = j.flow AND o.writeback = 'sent' "
            "AND o.writeback_job = j.job_id "
            "WHERE j.run_id = ? AND j.state = 'open' ORDER BY j.created_at, j.job_id, o.sf_id",
            (run_id,),
        )
        jobs: dict[str, tuple[str, list[WritebackItem]]] = {}
        for job_id, flow, sf_id, internal_id in rows:
            jobs.setdefault(job_id, (flow, []))[1].append(WritebackItem(sf_id, internal_id))
        return [WritebackJob(job_id, flow, tuple(items)) for job_id, (flow, items) in jobs.items()]

    async def complete(self, run_id: str, job_id: str, failures: Sequence[Failure] = ()) -> None:
        """The job's results: the records in ``failures`` were refused, the rest are written."""
        async with self._db.transaction() as tx:
            rows = await fetch_all(
                tx,
                "SELECT flow FROM writeback_jobs WHERE run_id = ? AND job_id = ? AND state = 'open'",
                (run_id, job_id),
            )
            if not rows:
                raise CheckpointConflictError(f"no open write-back job {job_id!r} in {run_id}")
            (flow,) = rows[0]
            failed = json_ids([f.sf_id for f in failures])
            await tx.execute(
                "UPDATE outcomes SET writeback = CASE WHEN sf_id IN (SELECT value FROM json_each(?)) "
                "THEN 'failed' ELSE 'done' END "
                "WHERE run_id = ? AND flow = ? AND writeback = 'sent' AND writeback_job = ?",
                (failed, run_id, flow, job_id),
            )
            await file_failures(tx, run_id, flow, "writeback", failures)
            await tx.execute(
                "UPDATE writeback_jobs SET state = 'done' WHERE run_id = ? AND job_id = ?", (run_id, job_id)
            )

    async def counts(self, run_id: str) -> dict[str, dict[str, int]]:
        rows = await self._db.fetch_all(
            "SELECT flow, writeback, count(*) FROM outcomes WHERE run_id = ? AND status = 'loaded' "
            "GROUP BY flow, writeback",
            (run_id,),
        )
        counts: dict[str, dict[str, int]] = {}
        for flow, state, count in rows:
            counts.setdefault(flow, {})[state] = count
        return counts
