"""SQLite failures that mean the checkpoint file cannot be used, said in one line an operator can act on.

Rules this module owns:
- Told apart by SQLite's primary result code, never by message text: a full disk (``SQLITE_FULL``),
  an I/O error (``SQLITE_IOERR``), no permission to write (``SQLITE_READONLY``, ``SQLITE_PERM``,
  ``SQLITE_CANTOPEN``), a file that is not a database or is damaged (``SQLITE_NOTADB``,
  ``SQLITE_CORRUPT``). Every other SQLite error is a bug or a conflict and goes up unchanged.
- A full disk or an I/O error loses nothing committed: the same command, run again once the disk is
  fixed, continues from the last commit, as after a kill.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bulk_o2c.errors import LocalFileError

_AGAIN = "then run the same command again: it continues from the last commit"


def _advice(path: Path, code: int) -> str | None:
    if code == sqlite3.SQLITE_FULL:
        return f"the disk is full: free some space there, {_AGAIN}"
    if code == sqlite3.SQLITE_IOERR:
        return f"the disk failed a read or write: check it (full? removed? a network file system?), {_AGAIN}"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN):
        return (
            f"it cannot be written: make {path.parent} and the files in it writable by this user, "
            "or choose another folder"
        )
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return (
            f"it is not a SQLite database, or it is truncated or damaged: move it aside (with any "
            f"{path.name}-wal and {path.name}-shm beside it) to start afresh, or restore it from a backup"
        )
    return None


@contextmanager
def checkpoint_failures(path: Path) -> Iterator[None]:
    """A SQLite error inside that says the file at ``path`` cannot be used becomes a ``LocalFileError``."""
    try:
        yield
    except sqlite3.Error as exc:
        advice = _advice(path, getattr(exc, "sqlite_errorcode", -1) & 0xFF)
        if advice is None:
            raise
        name = getattr(exc, "sqlite_errorname", "")
        raise LocalFileError(f"checkpoint {path} ({exc}, {name}): {advice}") from exc
