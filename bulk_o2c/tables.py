"""Tables of figures that keep every figure whole, however narrow the terminal.

Rich fits a table that is too wide by cutting cells short with "…", figures included: ``bench``
printed ``1,77…`` records/s at 80 columns. Here a column of figures (or of names and ids) is never
narrower than its widest cell; label columns (codes, windows, states) fold onto more lines to make
room; then the table drops its outer border; and when the whole cells still do not fit, it is
printed as one block per row, one cell per line.
Titles, captions and cells are plain text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, JustifyMethod, RenderResult
from rich.style import StyleType
from rich.table import Column, Table
from rich.text import Text

_PADDING = 1  # spaces either side of a cell, rich's default
LABEL_FLOOR = 8  # the narrowest a label column folds to before the table turns into blocks


@dataclass(frozen=True, slots=True)
class Heading:
    header: str
    whole: bool  # its cells are never cut, wrapped or folded; otherwise they fold
    justify: JustifyMethod

    def floor(self, cells: list[str]) -> int:
        """The narrowest this column may be: every whole cell whole, no header word cut."""
        word = max(cell_len(w) for w in self.header.split() or [""])
        widest = max((cell_len(c) for c in cells), default=0)
        return max(word, widest if self.whole else min(widest, LABEL_FLOOR))


def figure(header: str) -> Heading:
    """A count, rate, duration or share: whole, right-aligned."""
    return Heading(header, whole=True, justify="right")


def identifier(header: str) -> Heading:
    """A flow name or an id, to be read or copied as it is: whole, left-aligned."""
    return Heading(header, whole=True, justify="left")


def label(header: str) -> Heading:
    """Free text (codes, windows, states): folds onto more lines to make room."""
    return Heading(header, whole=False, justify="left")


@dataclass(slots=True)
class FiguresTable:
    headings: tuple[Heading, ...]
    title: str | None = None
    caption: str | None = None
    show_edge: bool = True
    rows: list[tuple[tuple[str, ...], StyleType | None]] = field(default_factory=list)

    def add_row(self, *cells: str, style: StyleType | None = None) -> None:
        if len(cells) != len(self.headings):
            raise ValueError(f"{len(cells)} cells for {len(self.headings)} columns")
        self.rows.append((cells, style))

    def widths(self, max_width: int, *, edge: bool) -> list[int] | None:
        """Each column's width at ``max_width``, or None when the whole cells cannot all fit.

        ``edge``: with the outer border and the padding inside it; without, both give way."""
        columns = [[cells[i] for cells, _ in self.rows] for i in range(len(self.headings))]
        natural = [
            max(cell_len(h.header), *map(cell_len, c)) for h, c in zip(self.headings, columns, strict=True)
        ]
        floors = [h.floor(c) for h, c in zip(self.headings, columns, strict=True)]
        n = len(self.headings)
        overhead = (n - 1) * (1 + 2 * _PADDING) + (2 + 2 * _PADDING if edge else 0)
        room = max_width - overhead
        if sum(floors) > room:
            return None
        widths = list(natural)
        for _ in range(sum(widths) - room):  # give way one cell at a time, where there is most to spare
            widest = max(range(n), key=lambda i: widths[i] - floors[i])
            widths[widest] -= 1
        return widths

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for edge in (True, False) if self.show_edge else (False,):
            widths = self.widths(options.max_width, edge=edge)
            if widths is not None:
                yield self._grid(widths, edge=edge)
                return
        yield self._vertical()

    def _grid(self, widths: list[int], *, edge: bool) -> Table:
        columns = [
            Column(
                Text(h.header),
                justify=h.justify,
                width=width,  # never narrower than a whole cell: only labels and headers wrap
                overflow="fold",
            )
            for h, width in zip(self.headings, widths, strict=True)
        ]
        table = Table(
            *columns,
            title=None if self.title is None else Text(self.title),
            caption=None if self.caption is None else Text(self.caption),
            show_edge=edge,
            pad_edge=edge,
        )
        for cells, style in self.rows:
            table.add_row(*map(Text, cells), style=style)
        return table

    def _vertical(self) -> Group:
        """One block per row: its first cell as a heading, then one ``header  value`` line per cell."""
        first, *others = self.headings
        pad = max((cell_len(h.header) for h in others), default=0)
        parts: list[Text] = [] if self.title is None else [Text(self.title, style="table.title")]
        for (head, *cells), style in self.rows:
            parts.append(Text(f"{first.header} {head}", style=style or "bold"))
            parts.extend(
                Text(f"  {h.header:<{pad}}  {cell}", style=style or "")
                for h, cell in zip(others, cells, strict=True)
            )
        if self.caption is not None:
            parts.append(Text(self.caption, style="table.caption"))
        return Group(*parts)
