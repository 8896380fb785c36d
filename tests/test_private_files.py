"""Files holding customer data: 0600 in folders made 0700, and one line when they cannot be written."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulk_o2c.errors import LocalFileError
from bulk_o2c.private_files import make_private_dir, open_private, refusal, write_private
from tests.support.cli import USUAL_UMASK


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """Under it a folder or file made without a chosen mode is readable by everyone."""
    previous = os.umask(USUAL_UMASK)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_folder_made_on_the_way_is_private_and_existing_ones_keep_their_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    write_private(tmp_path / "a" / "b" / "payload.xml", b"<x/>", "the payload")
    assert _mode(tmp_path / "a") == 0o700
    assert _mode(tmp_path / "a" / "b") == 0o700
    assert _mode(tmp_path / "a" / "b" / "payload.xml") == 0o600
    assert (tmp_path / "a" / "b" / "payload.xml").read_bytes() == b"<x/>"
    assert _mode(tmp_path) == 0o755


def test_open_without_truncation_keeps_what_the_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.sqlite"
    path.write_bytes(b"committed")
    os.close(open_private(path, "the checkpoint", truncate=False))
    assert path.read_bytes() == b"committed"


def test_a_file_where_a_folder_should_be_is_named(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("")
    with pytest.raises(LocalFileError, match=f"cannot write the checkpoint: {tmp_path / 'state'} is a file"):
        make_private_dir(tmp_path / "state" / "sub", "the checkpoint")


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, "No space left on device: free some space there, then run the same command again"),
        (errno.EISDIR, "/x/out is a folder: give a file path"),
        (errno.EACCES, "/x/out is not writable by this user (Permission denied)"),
    ],
)
def test_a_refusal_is_one_line_saying_what_to_do(code: int, advice: str) -> None:
    message = str(refusal(OSError(code, os.strerror(code), "/x/out"), "the DLQ export /x/out"))
    assert message.startswith("cannot write the DLQ export /x/out: ")
    assert advice in message
    assert "\n" not in message
