from __future__ import annotations

from typing import Any

from rich.console import Console

from bulk_o2c.report_table import summary_table


def _flow(
    name: str, extracted: int, loaded: int = 0, warnings: dict[str, int] | None = None
) -> dict[str, Any]:
    return {
        "flow": name,
        "extracted": extracted,
        "loaded": loaded,
        "failed": 0,
        "skipped": 0,
        "parked": 0,
        "written_back": loaded,
        "records_per_s": 0.0,
        "warnings": warnings or {},
    }


def _document(*flows: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": "20261127T000000Z-abcdef",
        "status": "completed",
        "flows": list(flows),
        "netsuite": {"faults": {}, "requests": 6, "mean_request_s": 0.05, "peak_concurrency": 3},
        "wall_seconds": 6.6,
        "checkpoint": {"share_of_wall": 0.005},
        "dlq_open": 33,
    }


def test_the_summary_fits_an_80_column_log_and_order_lines_count_in_their_orders() -> None:
    document = _document(_flow("Account", 300, 294), _flow("Order", 300, 273), _flow("OrderItem", 1_859))
    console = Console(width=80, record=True, soft_wrap=True)
    console.print(summary_table(document))
    text = console.export_text()
    assert "…" not in text  # no name or header cut short
    assert "extracted" in text
    (items,) = [line for line in text.splitlines() if "OrderItem" in line]
    assert items.split()[1:] == ["│", "1,859", *["│", "-"] * 6]


def test_the_summary_counts_warnings_per_flow_and_kind() -> None:
    document = _document(
        _flow("Account", 300, 294, {"CHARACTERS_REMOVED": 8, "TEXT_CUT": 11}),
        _flow("Order", 300, 273),
        _flow("OrderItem", 1_859),
    )
    console = Console(width=80, record=True, soft_wrap=True)
    console.print(summary_table(document))
    assert "warnings: Account CHARACTERS_REMOVED 8, TEXT_CUT 11" in console.export_text()
