"""Runs: their identity and status, the settings they ran with, and the high-water mark per flow.

Rules this module owns:
- A run id shows its start time and is unique (``20250301T120000Z-3fa2c1``); "latest" means the
  run started last, in the order runs were recorded (two runs can start within one second).
- A run is ``running`` until it is finished as ``completed`` or ``failed``, or ``abandoned`` on
  purpose; ``bulk-o2c run`` continues the latest ``running`` run. Reopening a run (resume, DLQ
  retry) makes it ``running`` again and records the settings it now runs with.
- Abandoning closes a run that is still ``running`` and touches nothing else: its high-water marks
  were never moved (only a completed load moves them), so the next run reads its window again.
- A high-water mark is ISO-8601 UTC text, compared as text, and never moves back: advancing to an
  earlier mark is a no-op, so a clock stepping back re-reads rows instead of skipping them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from bulk_o2c.store.database import CheckpointConflictError, Database
from bulk_o2c.store.fingerprint import Fingerprint

RunStatus = Literal["running", "completed", "failed", "abandoned"]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    started_at: str
    finished_at: str | None
    status: RunStatus
    settings_digest: str
    settings_json: str


_COLUMNS = "run_id, started_at, finished_at, status, settings_digest, settings_json"


class Runs:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def start(self, settings: Fingerprint) -> RunInfo:
        now = datetime.now(UTC)
        run_id = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        async with self._db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, NULL, 'running', ?, ?)",  # noqa: S608
                (run_id, now.isoformat(timespec="milliseconds"), settings.digest, settings.canonical_json),
            )
        return RunInfo(
            run_id,
            now.isoformat(timespec="milliseconds"),
            None,
            "running",
            settings.digest,
            settings.canonical_json,
        )

    async def get(self, run_id: str) -> RunInfo | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", (run_id,))  # noqa: S608
        return None if row is None else RunInfo(*row)

    async def latest(self, *, unfinished: bool = False) -> RunInfo | None:
        where = "WHERE status = 'running'" if unfinished else ""
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM runs {where} ORDER BY rowid DESC LIMIT 1")  # noqa: S608
        return None if row is None else RunInfo(*row)

    async def recorded_after(self, run_id: str) -> frozenset[str]:
        """The runs started after ``run_id``: a reopened older run must not undo what they loaded."""
        rows = await self._db.fetch_all(
            "SELECT run_id FROM runs WHERE rowid > (SELECT rowid FROM runs WHERE run_id = ?)", (run_id,)
        )
        return frozenset(row[0] for row in rows)

    async def reopen(self, run_id: str, settings: Fingerprint) -> None:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE runs SET status = 'running', finished_at = NULL, settings_digest = ?, "
                "settings_json = ? WHERE run_id = ?",
                (settings.digest, settings.canonical_json, run_id),
            )
            if cursor.rowcount != 1:
                raise CheckpointConflictError(f"no run {run_id!r} in this checkpoint")

    async def finish(self, run_id: str, status: Literal["completed", "failed"]) -> None:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?", (status, utc_now(), run_id)
            )
            if cursor.rowcount != 1:
                raise CheckpointConflictError(f"no run {run_id!r} in this checkpoint")

    async def abandon(self, run_id: str) -> None:
        """Close ``run_id`` if it is unfinished; a finished or unknown run is refused unchanged."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE runs SET status = 'abandoned', finished_at = ? "
                "WHERE run_id = ? AND status = 'running'",
                (utc_now(), run_id),
            )
            if cursor.rowcount != 1:
                raise CheckpointConflictError(f"run {run_id!r} is not an unfinished run of this checkpoint")

    async def high_water_mark(self, flow: str) -> str | None:
        row = await self._db.fetch_one("SELECT mark FROM high_water_marks WHERE flow = ?", (flow,))
        return None if row is None else str(row[0])

    async def advance_high_water_mark(self, run_id: str, flow: str, mark: str) -> None:
        """Call once the flow's load in ``run_id`` is durable; ``mark`` is the run's window end."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO high_water_marks (flow, mark, run_id) VALUES (?, ?, ?) "
                "ON CONFLICT (flow) DO UPDATE SET mark = excluded.mark, run_id = excluded.run_id "
                "WHERE excluded.mark > high_water_marks.mark",
                (flow, mark, run_id),
            )
