"""One writer per state directory: an exclusive ``flock`` on ``state_dir/bulk-o2c.lock``.

Rules this module owns:
- Every command that writes the checkpoint (run, resume, extract, dlq retry, abandon) holds the lock
  for as long as it may write; the commands that only read it (status, dlq list, dlq export) never
  take it, so they work while a run goes on.
- The lock is the kernel's, not the file's: the OS releases it when its holder dies, SIGKILL
  included, so a crashed run never leaves a stale lock to clean up. ``flock`` locks belong to an
  open file description: a second attempt in the same process conflicts too.
- The file says who holds it, as JSON (pid, host, run id, since), written once the lock is held;
  the run id follows once the run is chosen. It names nothing secret. A process refused the lock
  reads it to say whom it waits for; the file read while the holder rewrites it may be partial,
  which is reported as such, never guessed.
- On a network file system ``flock`` may lock only on one host; keep the state directory local.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from bulk_o2c.errors import StateDirLockedError
from bulk_o2c.private_files import make_private_dir, refusals
from bulk_o2c.store.runs import utc_now

LOCK_FILE = "bulk-o2c.lock"


class StateDirLock:
    """The held lock; ``record_run`` names the run in the file once it is chosen."""

    def __init__(self, fd: int, what: str) -> None:
        self._fd = fd
        self._what = what
        self._holder: dict[str, object] = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": None,
            "since": utc_now(),
        }
        self._write()

    def record_run(self, run_id: str) -> None:
        self._holder["run_id"] = run_id
        self._write()

    def _write(self) -> None:
        data = orjson.dumps(self._holder)
        with refusals(self._what):  # a full disk, say: one line, not a traceback
            os.pwrite(self._fd, data, 0)
            os.ftruncate(self._fd, len(data))


def _describe_holder(fd: int) -> str:
    try:
        holder = orjson.loads(os.pread(fd, 4096, 0))
        pid, host, run_id, since = (holder[key] for key in ("pid", "host", "run_id", "since"))
    except (orjson.JSONDecodeError, KeyError, TypeError, OSError):
        return "a process whose details could not be read (it may be starting)"
    run = f"run {run_id}" if run_id else "no run chosen yet"
    return f"pid {pid} on {host}, {run}, since {since}"


@contextmanager
def lock_state_dir(state_dir: Path) -> Iterator[StateDirLock]:
    """Hold ``state_dir`` for writing, or raise ``StateDirLockedError`` naming who holds it."""
    path = state_dir / LOCK_FILE
    what = f"the state directory's lock {path}"
    make_private_dir(state_dir, what)
    with refusals(what):  # read and written: a refused process reads who holds it
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateDirLockedError(
                f"{state_dir} is in use by another bulk-o2c: {_describe_holder(fd)}. "
                "Wait for it to end, or stop it; a process that died holds no lock"
            ) from None
        yield StateDirLock(fd, what)
    finally:
        os.close(fd)  # releases the lock
