"""The checkpoint schema and its migrations, versioned by ``PRAGMA user_version``.

Rules this module owns:
- ``MIGRATIONS[n]`` takes a database from version n to n+1; each runs in one transaction with the
  version bump, so a crash mid-migration leaves the previous version intact. A released migration
  is never edited: a change is a new entry.
- A checkpoint newer than this code is refused rather than written with an older idea of it.
- Plain tables (no STRICT, no RETURNING) so SQLite 3.24+, as older distributions ship, can open it;
  the json1 functions are required (``json_each`` passes id lists as one parameter, with no limit
  on the number of ids).
- A state test written ``+state`` keeps SQLite from picking the state index when the primary key
  already finds the row: the state index would scan every record of the flow in that state. A flow
  test written ``+flow`` does the same for the primary key's ``(run_id, flow)`` prefix where the
  parent or waiting index finds a handful of rows: without statistics SQLite prefers the prefix,
  which walks every record of the flow.
- No foreign keys: every write goes through this package's API, which keeps the references whole,
  and enforcing them costs about 15% of a chunk's checkpoint time.
- Timestamps are ISO-8601 UTC text. A staged Salesforce row is a compact JSON array of its values
  in the order of its extraction's ``header`` (a JSON array of column names); a checkpoint written
  before headers were kept holds JSON objects instead, and both are read.
"""

from __future__ import annotations

import aiosqlite

from bulk_o2c.errors import ConfigError

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id          TEXT PRIMARY KEY,
        started_at      TEXT NOT NULL,
        finished_at     TEXT,
        status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        settings_digest TEXT NOT NULL,
        settings_json   TEXT NOT NULL
    );
    CREATE TABLE high_water_marks (
        flow   TEXT PRIMARY KEY,
        mark   TEXT NOT NULL,
        run_id TEXT NOT NULL
    );
    CREATE TABLE extractions (
        run_id       TEXT NOT NULL,
        flow         TEXT NOT NULL,
        window_start TEXT,
        window_end   TEXT NOT NULL,
        job_id       TEXT,
        locator      TEXT,
        pages_staged INTEGER NOT NULL DEFAULT 0,
        rows_staged  INTEGER NOT NULL DEFAULT 0,
        done         INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
        PRIMARY KEY (run_id, flow)
    );
    CREATE TABLE staged (
        run_id    TEXT NOT NULL,
        flow      TEXT NOT NULL,
        sf_id     TEXT NOT NULL,
        parent_id TEXT,
        seq       INTEGER NOT NULL,
        state     TEXT NOT NULL CHECK (state IN ('staged', 'queued', 'loaded', 'failed', 'parked',
                                                  'waiting', 'skipped')),
        row       BLOB NOT NULL,
        PRIMARY KEY (run_id, flow, sf_id)
    );
    CREATE INDEX staged_by_state ON staged (run_id, flow, state, seq);
    CREATE INDEX staged_by_parent ON staged (run_id, parent_id, seq) WHERE parent_id IS NOT NULL;
    CREATE INDEX staged_waiting ON staged (run_id, parent_id) WHERE state = 'waiting';
    CREATE TABLE chunks (
        chunk_id   INTEGER PRIMARY KEY,
        run_id     TEXT NOT NULL,
        flow       TEXT NOT NULL,
        sf_ids     TEXT NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        state      TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'unknown')),
        updated_at TEXT NOT NULL
    );
    CREATE INDEX chunks_open ON chunks (run_id, chunk_id) WHERE state <> 'done';
    CREATE TABLE outcomes (
        run_id        TEXT NOT NULL,
        flow          TEXT NOT NULL,
        sf_id         TEXT NOT NULL,
        external_id   TEXT NOT NULL,
        internal_id   TEXT,
        status        TEXT NOT NULL CHECK (status IN ('loaded', 'failed')),
        warnings      TEXT,
        chunk_id      INTEGER,
        writeback     TEXT NOT NULL CHECK (writeback IN ('not_needed', 'pending', 'sent', 'done', 'failed')),
        writeback_job TEXT,
        PRIMARY KEY (run_id, flow, sf_id)
    );
    CREATE INDEX outcomes_writeback ON outcomes (run_id, flow, writeback);
    CREATE TABLE xref (
        flow        TEXT NOT NULL,
        sf_id       TEXT NOT NULL,
        external_id TEXT NOT NULL,
        internal_id TEXT NOT NULL,
        digest      TEXT,
        run_id      TEXT NOT NULL,
        PRIMARY KEY (flow, sf_id)
    );
    CREATE TABLE dlq (
        dlq_id     INTEGER PRIMARY KEY,
        run_id     TEXT NOT NULL,
        flow       TEXT NOT NULL,
        sf_id      TEXT NOT NULL,
        stage      TEXT NOT NULL CHECK (stage IN ('map', 'load', 'dependency', 'writeback')),
        code       TEXT NOT NULL,
        message    TEXT NOT NULL,
        chunk_id   INTEGER,
        created_at TEXT NOT NULL,
        retried_at TEXT
    );
    CREATE INDEX dlq_by_record ON dlq (run_id, flow, sf_id);
    CREATE TABLE writeback_jobs (
        run_id     TEXT NOT NULL,
        job_id     TEXT NOT NULL,
        flow       TEXT NOT NULL,
        state      TEXT NOT NULL CHECK (state IN ('open', 'done')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, job_id)
    );
    """,
    # Write-back picks pending records in sf_id order: with sf_id in the index that is a range read,
    # where the old index left a walk over every outcome of the flow, each time, written back or not.
    """
    DROP INDEX outcomes_writeback;
    CREATE INDEX outcomes_writeback ON outcomes (run_id, flow, writeback, sf_id);
    """,
    # Staged rows become JSON arrays in the order of their flow's header, kept once per extraction:
    # half the bytes of objects that repeat every column name. Rows staged before keep their
    # object form (header NULL) and are read as they are.
    """
    ALTER TABLE extractions ADD COLUMN header TEXT;
    """,
    # Only records still to load are looked up by state and order: a partial index holds just
    # those, so a record leaving 'staged' is one index delete and later state changes touch no index
    # at all, where the full index moved an entry on every change.
    """
    DROP INDEX staged_by_state;
    CREATE INDEX staged_ready ON staged (run_id, flow, seq) WHERE state = 'staged';
    """,
    # What each process of a run did (requests, records, seconds), so the report of a resumed run
    # covers all of it, not only its last process.
    """
    CREATE TABLE run_processes (
        run_id     TEXT NOT NULL,
        number     INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        seconds    REAL NOT NULL DEFAULT 0,
        figures    TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, number)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


async def _user_version(connection: aiosqlite.Connection) -> int:
    rows = list(await connection.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


async def migrate(connection: aiosqlite.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION."""
    try:
        await connection.execute_fetchall("SELECT value FROM json_each('[1]')")
    except aiosqlite.OperationalError:
        raise ConfigError("this Python's SQLite lacks the json1 functions the checkpoint needs") from None
    while True:
        # The version is read inside the write lock, so two processes opening one new checkpoint
        # migrate it once.
        await connection.execute("BEGIN IMMEDIATE")
        try:
            version = await _user_version(connection)
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"the checkpoint has schema version {version}; this bulk-o2c knows up to "
                    f"{SCHEMA_VERSION}: upgrade bulk-o2c"
                )
            if version == SCHEMA_VERSION:
                await connection.execute("COMMIT")
                return
            for statement in filter(str.strip, MIGRATIONS[version].split(";")):
                await connection.execute(statement)
            await connection.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            await connection.rollback()
            raise
        await connection.execute("COMMIT")
