"""The checkpoint store: one SQLite file per state directory, the only state stages share.

    async with open_store(path) as store:
        run = await store.runs.start(fingerprint(settings))
        await store.extraction.begin(run.run_id, "Account", window_start=..., window_end=...)
        ...

Each part owns its tables: ``runs`` (runs, high-water marks), ``extraction`` (progress, page
staging), ``staging`` (staged records, dependants), ``chunks`` (ledger, outcomes), ``outcomes``
(cross-reference), ``dlq``, ``writeback``, ``warnings`` (reads the outcomes' warnings) and
``processes`` (what each process of a run did). Every method that writes has committed when it
returns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio

from bulk_o2c.store.chunks import Chunks
from bulk_o2c.store.database import Database, connect
from bulk_o2c.store.dlq import DeadLetters
from bulk_o2c.store.extraction import Extraction, ExtractionProgress
from bulk_o2c.store.failures import checkpoint_failures
from bulk_o2c.store.outcomes import Outcomes
from bulk_o2c.store.processes import Processes, ProcessRecord
from bulk_o2c.store.runs import RunInfo, Runs
from bulk_o2c.store.schema import migrate
from bulk_o2c.store.staging import Staging
from bulk_o2c.store.warnings import RecordWarnings
from bulk_o2c.store.writeback import Writeback

CHECKPOINT_FILE = "checkpoint.sqlite"


@dataclass(frozen=True, slots=True)
class RunSummary:
    run: RunInfo
    extractions: tuple[ExtractionProgress, ...]
    records: dict[str, dict[str, int]]  # flow -> staged state -> count
    outcomes: dict[str, dict[str, int]]  # flow -> loaded / failed -> count
    chunks: dict[str, int]  # chunk state -> count
    writeback: dict[str, dict[str, int]]  # flow -> write-back state -> count
    dlq_open: int
    warnings: dict[str, dict[str, int]]  # flow -> warning kind -> count
    processes: tuple[ProcessRecord, ...]  # what each process of the run did, in order


class CheckpointStore:
    def __init__(self, database: Database, path: Path) -> None:
        self.path = path
        self._database = database
        self.runs = Runs(database)
        self.extraction = Extraction(database)
        self.staging = Staging(database)
        self.chunks = Chunks(database)
        self.outcomes = Outcomes(database)
        self.dlq = DeadLetters(database)
        self.writeback = Writeback(database)
        self.warnings = RecordWarnings(database)
        self.processes = Processes(database)

    def write_seconds(self) -> float:
        """Seconds spent in write transactions since the store was opened (the checkpoint's cost)."""
        return self._database.write_seconds

    def write_transactions(self) -> int:
        """Write transactions since the store was opened, committed or rolled back."""
        return self._database.write_transactions

    async def summary(self, run: RunInfo) -> RunSummary:
        run_id = run.run_id
        return RunSummary(
            run=run,
            extractions=tuple(await self.extraction.all(run_id)),
            records=await self.staging.counts(run_id),
            outcomes=await self.outcomes.counts(run_id),
            chunks=await self.chunks.counts(run_id),
            writeback=await self.writeback.counts(run_id),
            dlq_open=await self.dlq.count(run_id),
            warnings=await self.warnings.counts(run_id),
            processes=tuple(await self.processes.of_run(run_id)),
        )


@asynccontextmanager
async def open_store(path: Path) -> AsyncIterator[CheckpointStore]:
    """Open (creating and migrating as needed) the checkpoint at ``path``; closed on exit."""
    connection = await connect(path)
    try:
        with checkpoint_failures(path):
            await migrate(connection)
        yield CheckpointStore(Database(connection, path), path)
    finally:
        # Shielded: a run cancelled at once (a second signal) must still close the connection, or
        # its thread later answers into an event loop that is gone (a traceback at exit).
        with anyio.CancelScope(shield=True):
            await connection.close()
