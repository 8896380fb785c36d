"""``App``: a ``typer.Typer`` whose ``--help`` shows a flag as a flag.

typer's rich help prints every option's type, a flag's too: ``--verbose <bool>``, even its own
``--help <bool>`` and ``--install-completion <bool>``, which reads as an option that takes a value
(users typed ``--verbose true``). Its plain help leaves flags bare, and the rich one prints an
option's metavar instead of its type when there is one, so every flag of an ``App``'s groups and
commands, typer's own included, gets an empty metavar before help is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType


class _Parameter(Protocol):
    metavar: str | None


_P = TypeVar("_P", bound=_Parameter)


def bare_flags(params: list[_P]) -> list[_P]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class FlagGroup(TyperGroup):
    def get_params(self, ctx: Any) -> Any:
        return bare_flags(super().get_params(ctx))


class FlagCommand(TyperCommand):
    def get_params(self, ctx: Any) -> Any:
        return bare_flags(super().get_params(ctx))


class App(typer.Typer):
    """Use it wherever ``typer.Typer`` would be: its groups and commands are the ones above."""

    def __init__(self, **options: Any) -> None:
        super().__init__(cls=FlagGroup, **options)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **options: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls or FlagCommand, **options)
