"""``bulk-o2c`` in a process of its own, as a user types it, and what an operator must see when it
refuses: one ``error:`` line naming the problem, never a traceback."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from subprocess import STDOUT

import anyio
import pytest

# Files the process writes stop at ``limit`` bytes, as on a full disk: SIGXFSZ is ignored so the
# write that crosses the limit fails (EFBIG, or a short write) instead of killing the process.
_LIMITED = (
    "import resource, runpy, signal, sys\n"
    "limit = int(sys.argv.pop(1))\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))\n"
    "sys.argv[0] = 'bulk-o2c'\n"
    "runpy.run_module('bulk_o2c', run_name='__main__', alter_sys=True)\n"
)


def bulk_o2c(*args: str) -> list[str]:
    return [sys.executable, "-m", "bulk_o2c", *args]


def bulk_o2c_with_file_size_limit(limit: int, *args: str) -> list[str]:
    return [sys.executable, "-c", _LIMITED, str(limit), *args]


def without_privileges(command: list[str]) -> list[str]:
    """``command`` under which file modes apply: as is for an ordinary user; for root, under setpriv
    dropping every capability (the uid stays, so the files root made are still its own)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot refuse anything")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all", *command]


# The usual umask: files made without an explicit mode come out world-readable under it.
USUAL_UMASK = 0o022


async def run(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """The exit code and everything printed, stdout and stderr together; run with ``USUAL_UMASK``, so
    that a file's mode is the one the code chose, whatever the umask of the tests."""
    with anyio.fail_after(60):
        result = await anyio.run_process(command, env=env, stderr=STDOUT, check=False, umask=USUAL_UMASK)
    return result.returncode, result.stdout.decode()


def error_line(output: str) -> str:
    """The one ``error:`` line of ``output``; fails on a traceback or on more than one line."""
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, output
    return lines[0]
