"""The state directory's lock: one writer, named to whoever is refused, gone when its holder dies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bulk_o2c.errors import LocalFileError, StateDirLockedError
from bulk_o2c.store.lock import lock_state_dir

# A holder in a process of its own: it takes the lock, names a run, says so, and waits to be killed.
_HOLDER = """
import sys, time
from pathlib import Path
from bulk_o2c.store.lock import lock_state_dir
with lock_state_dir(Path(sys.argv[1])) as lock:
    lock.record_run("20250301T120000Z-abc123")
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_holder_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    with lock_state_dir(tmp_path / "state") as lock:
        lock.record_run("20250301T120000Z-3fa2c1")
        # A second open file description: flock refuses it even in the same process.
        with pytest.raises(StateDirLockedError) as refused, lock_state_dir(tmp_path / "state"):
            pass
    message = str(refused.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}" in message
    assert "run 20250301T120000Z-3fa2c1" in message
    assert "since 20" in message
    with lock_state_dir(tmp_path / "state"):  # released when its holder let go
        pass


def test_the_lock_names_no_run_before_one_is_chosen(tmp_path: Path) -> None:
    refused = pytest.raises(StateDirLockedError, match="no run chosen yet")
    with lock_state_dir(tmp_path), refused, lock_state_dir(tmp_path):
        pass


def test_a_holder_killed_with_sigkill_leaves_no_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        named = f"pid {holder.pid} on .*run 20250301T120000Z-abc123"
        with pytest.raises(StateDirLockedError, match=named), lock_state_dir(tmp_path):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert holder.stdout is not None
        holder.stdout.close()
    with lock_state_dir(tmp_path) as lock:  # nothing to clean up by hand
        lock.record_run("next")
    assert b'"run_id":"next"' in (tmp_path / "bulk-o2c.lock").read_bytes()


def test_a_state_dir_in_the_way_is_one_line_naming_the_lock(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file where the state directory should be")
    refused = pytest.raises(LocalFileError, match=r"cannot write the state directory's lock .*is a file")
    with refused, lock_state_dir(tmp_path / "state"):
        pass
