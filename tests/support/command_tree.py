"""Every command of a typer app, groups included, with the words that invoke it."""

from __future__ import annotations

from typing import Any

import typer
from typer.main import get_command


def command_tree(app: typer.Typer) -> list[tuple[tuple[str, ...], Any]]:
    """``(path, command)`` for the app itself (path ``()``) and every group and command below it."""
    return _walk(get_command(app), ())


def _walk(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    if isinstance(command, typer.core.TyperGroup):
        for name, sub in command.commands.items():
            found += _walk(sub, (*path, name))
    return found
