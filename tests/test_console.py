from __future__ import annotations

import io

from bulk_o2c.console import new_console, styled


def test_square_brackets_print_as_they_are() -> None:
    out = io.StringIO()
    console = new_console(file=out, width=200)
    console.print("pip install 'bulk-o2c[plot]'; [netsuite] account_id = [1, 2]; [red]x[/red]")
    assert out.getvalue() == "pip install 'bulk-o2c[plot]'; [netsuite] account_id = [1, 2]; [red]x[/red]\n"


def test_styled_styles_only_its_words_and_reads_no_markup() -> None:
    text = styled("red", "error:", " pip install 'bulk-o2c[plot]'")
    assert text.plain == "error: pip install 'bulk-o2c[plot]'"
    (span,) = text.spans
    assert (span.start, span.end, span.style) == (0, len("error:"), "red")


def test_a_long_command_line_is_never_folded() -> None:
    out = io.StringIO()
    line = "bulk-o2c --config /a/very/long/path/" + "x" * 100 + "/bulk-o2c.toml resume RUN"
    new_console(file=out, width=40).print(line)
    assert out.getvalue() == line + "\n"
