"""The commands printed for the user to run next (resume, dlq), written as they must be typed: with
the ``--config`` this process was given, so they work when copied as they are."""

from __future__ import annotations

import shlex
from pathlib import Path

_config: Path | None = None


def use_config(path: Path | None) -> None:
    """The settings file the printed commands name (set by the CLI, or by the demo for its own)."""
    global _config
    _config = path


def command_line(*args: str) -> str:
    options = [] if _config is None else ["--config", shlex.quote(str(_config))]
    return " ".join(["bulk-o2c", *options, *args])
