"""Files that hold customer data: the checkpoint, DLQ exports, dry-run payloads.

Rules this module owns:
- Such a file is created readable by its owner only (0600), and every folder created on the way to
  it, not only the last, is 0700. A file or folder that already exists keeps its mode: the operator
  chose it.
- A file or folder that cannot be written (a file where a folder should be, no permission, a full
  disk) raises ``LocalFileError`` in one line: what was being written, the part that refused, and
  what to do. ``what`` names the file for the operator, e.g. ``"the DLQ export /tmp/dlq.csv"``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bulk_o2c.errors import LocalFileError

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def refusal(exc: OSError, what: str) -> LocalFileError:
    """``exc`` as one line an operator can act on."""
    where = exc.filename if exc.filename is not None else "it"
    reason = exc.strerror or type(exc).__name__
    if exc.errno in _FULL:
        advice = f"{reason}: free some space there, then run the same command again"
    elif exc.errno == errno.EISDIR:
        advice = f"{where} is a folder: give a file path"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        advice = f"{where} is in the way, it is not a folder: move it, or choose another folder"
    elif exc.errno in _REFUSED:
        advice = (
            f"{where} is not writable by this user ({reason}): make it writable, or choose another folder"
        )
    else:
        advice = f"{where}: {reason}"
    return LocalFileError(f"cannot write {what}: {advice}")


@contextmanager
def refusals(what: str) -> Iterator[None]:
    """An ``OSError`` inside becomes the one-line ``LocalFileError`` about ``what``."""
    try:
        yield
    except OSError as exc:
        raise refusal(exc, what) from exc


def make_private_dir(folder: Path, what: str) -> None:
    """``folder`` and each missing parent, created 0700."""
    missing: list[Path] = []
    for step in (folder, *folder.parents):
        if step.is_dir():
            break
        if step.exists():
            raise LocalFileError(
                f"cannot write {what}: {step} is a file, not a folder: move it, or choose another folder"
            )
        missing.append(step)
    with refusals(what):
        for step in reversed(missing):
            step.mkdir(mode=0o700, exist_ok=True)


def open_private(path: Path, what: str, *, truncate: bool = True) -> int:
    """A descriptor writing ``path``: created 0600 (its folders 0700), emptied unless ``truncate`` is
    False."""
    make_private_dir(path.parent, what)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else 0)
    with refusals(what):
        return os.open(path, flags, 0o600)


def write_private(path: Path, data: bytes, what: str) -> None:
    """``path`` holding ``data``, created as ``open_private`` does."""
    with refusals(what), os.fdopen(open_private(path, what), "wb") as handle:
        handle.write(data)
