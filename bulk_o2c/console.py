"""The terminal console: text prints as it is, styles come as spans no text can open or close.

Rich reads ``[word]`` in a printed string as a style tag and drops it: ``pip install
'bulk-o2c[plot]'`` came out as ``pip install 'bulk-o2c'``. Messages carry text from errors,
settings, the checkpoint and the wire (TOML sections, extras, array values), so markup is off for
every print, table title and cell; a style is given with ``styled`` instead. Highlighting is off
too: it colours numbers and URLs at random in a message.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.text import Text


def new_console(*, file: IO[str] | None = None, width: int | None = None, record: bool = False) -> Console:
    # soft_wrap: a printed command (resume, dlq retry) or path is never folded, so it survives
    # copy and paste from a log or a narrow terminal.
    return Console(file=file, width=width, record=record, markup=False, highlight=False, soft_wrap=True)


def styled(style: str, text: str, rest: str = "") -> Text:
    """``text`` in ``style``, then ``rest`` plain: neither is read as markup."""
    return Text.assemble((text, style), rest)
