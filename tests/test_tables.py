from __future__ import annotations

import io

import pytest
from rich.console import Console

from bulk_o2c.tables import FiguresTable, figure, identifier, label

FIGURES = ("1,774,312.0", "2,004,581.0", "88.5%")


def _table(*, show_edge: bool = True) -> FiguresTable:
    table = FiguresTable(
        (identifier("flow"), label("faults"), figure("rec/s"), figure("ceiling"), figure("eff.")),
        title="bench [plot]",
        caption="recommended [netsuite]",
        show_edge=show_edge,
    )
    table.add_row("OrderItem", "WS_REQUEST_BLOCKED:6 TIMEOUT:1 [1, 2]", *FIGURES)
    return table


def _render(table: FiguresTable, width: int) -> str:
    # Markup on, as in a plain rich Console: the table's own text must not be read as markup.
    console = Console(width=width, record=True, file=io.StringIO(), markup=True)
    console.print(table)
    return console.export_text()


@pytest.mark.parametrize("width", range(20, 121, 5))
def test_figures_and_names_stay_whole_at_any_width(width: int) -> None:
    text = _render(_table(), width)
    assert "…" not in text
    for whole in (*FIGURES, "OrderItem"):
        assert whole in text, (width, text)


def test_a_label_folds_to_make_room_for_the_figures() -> None:
    text = _render(_table(), 70)
    assert "┃" in text  # still a grid
    assert "WS_REQUEST_BLOCKED:6 TIMEOUT:1 [1, 2]" not in text  # folded onto more lines
    assert "TIMEOUT:1" in text


def test_the_border_goes_before_the_grid_does() -> None:
    table = _table()
    widths = table.widths(56, edge=True), table.widths(56, edge=False)
    assert widths[0] is None
    assert widths[1] is not None
    text = _render(table, 56)
    assert "┃" in text
    assert "┏" not in text


def test_too_narrow_for_the_figures_it_turns_into_one_block_per_row() -> None:
    text = _render(_table(), 40)
    assert "┃" not in text
    assert "│" not in text
    lines = text.splitlines()
    assert "flow OrderItem" in lines
    assert "  rec/s    1,774,312.0" in lines
    assert "  faults   WS_REQUEST_BLOCKED:6 " in lines  # a label wraps as any text does


def test_title_caption_and_cells_are_text_not_markup() -> None:
    for width in (120, 40):
        text = _render(_table(), width)
        assert "bench [plot]" in text
        assert "recommended [netsuite]" in text


def test_a_row_has_one_cell_per_column() -> None:
    with pytest.raises(ValueError, match="2 cells for 5 columns"):
        _table().add_row("a", "b")
