"""The processes that worked on a run and what each did, so a report covers a run resumed many times.

Rules this module owns:
- A process that works on a run ``begin``s as its next process (1, 2, ...) and ``record``s its
  figures: the seconds it has been running and a JSON object whose shape the pipeline owns. Each
  record replaces the process's previous one, so a process killed with SIGKILL keeps its last.
- ``of_run`` gives each process's last record, in order; adding them up is the report's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from bulk_o2c.store.database import Database, fetch_all
from bulk_o2c.store.runs import utc_now


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    number: int
    started_at: str
    updated_at: str
    seconds: float
    figures: dict[str, Any]


class Processes:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def begin(self, run_id: str) -> int:
        """The number of a new process of ``run_id``, recorded with no figures yet."""
        now = utc_now()
        async with self._db.transaction() as tx:
            ((last,),) = await fetch_all(
                tx, "SELECT coalesce(max(number), 0) FROM run_processes WHERE run_id = ?", (run_id,)
            )
            number = int(last) + 1
            await tx.execute(
                "INSERT INTO run_processes (run_id, number, started_at, updated_at) VALUES (?, ?, ?, ?)",
                (run_id, number, now, now),
            )
        return number

    async def record(self, run_id: str, number: int, seconds: float, figures: dict[str, Any]) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE run_processes SET updated_at = ?, seconds = ?, figures = ? "
                "WHERE run_id = ? AND number = ?",
                (utc_now(), seconds, orjson.dumps(figures).decode(), run_id, number),
            )

    async def of_run(self, run_id: str) -> list[ProcessRecord]:
        rows = await self._db.fetch_all(
            "SELECT number, started_at, updated_at, seconds, figures FROM run_processes "
            "WHERE run_id = ? ORDER BY number",
            (run_id,),
        )
        return [
            ProcessRecord(number, started, updated, seconds, orjson.loads(figures))
            for number, started, updated, seconds, figures in rows
        ]
