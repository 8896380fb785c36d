from __future__ import annotations

from typing import Annotated

import typer
from typer.core import TyperCommand
from typer.testing import CliRunner

from bulk_o2c.cli_app import App, FlagCommand


def _app() -> App:
    app = App()
    sub = App(help="a group")
    app.add_typer(sub, name="sub")

    @app.callback()
    def _top(verbose: Annotated[bool, typer.Option("--verbose", help="louder")] = False) -> None:
        pass

    @sub.command()
    def go(
        count: Annotated[int, typer.Option(help="how many")] = 1,
        dry: Annotated[bool, typer.Option("--dry", help="pretend")] = False,
    ) -> None:
        typer.echo(f"count={count} dry={dry}")

    return app


def _help(app: App, *path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def _line(output: str, option: str) -> str:
    (line,) = [line for line in output.splitlines() if f"{option} " in line]
    return line


def test_flags_show_no_type_and_options_keep_theirs() -> None:
    app = _app()
    top, go = _help(app), _help(app, "sub", "go")
    for output, flag in ((top, "--verbose"), (top, "--help"), (top, "--install-completion"), (go, "--dry")):
        assert "<" not in _line(output, flag), (flag, output)
    assert "<int>" in _line(go, "--count")


def test_flags_still_work_as_flags() -> None:
    result = CliRunner().invoke(_app(), ["--verbose", "sub", "go", "--dry", "--count", "3"])
    assert result.output == "count=3 dry=True\n"


def test_commands_are_flag_commands_unless_told_otherwise() -> None:
    app = App()

    @app.command()
    def one() -> None:
        pass

    @app.command(cls=TyperCommand)
    def two() -> None:
        pass

    assert [info.cls for info in app.registered_commands] == [FlagCommand, TyperCommand]
