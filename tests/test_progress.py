from __future__ import annotations

import io

import anyio
from rich.console import Console

from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.progress import plain_line, render_table, show_progress


def _metrics() -> RunMetrics:
    metrics = RunMetrics("20250101T000000Z-abc123", concurrency_now=lambda: 3, concurrency_peak=lambda: 5)
    account = metrics.flow("Account")
    account.started_at, account.expected, account.load_started_at = 0.0, 1_000, 0.0
    account.extracted, account.loaded, account.failed = 1_000, 400, 7
    return metrics


def test_plain_line_carries_every_figure() -> None:
    metrics = _metrics()
    line = plain_line(metrics.flows["Account"], metrics)
    for part in ("Account:", "extracted=1000", "loaded=400", "failed=7", "concurrency=3", "eta=-"):
        assert part in line


def test_table_lists_each_flow_and_the_concurrency() -> None:
    out = io.StringIO()
    Console(file=out, width=120).print(render_table(_metrics()))
    text = out.getvalue()
    assert "Account" in text
    assert "1,000" in text
    assert "concurrency 3 (peak 5)" in text


async def test_piped_output_gets_plain_lines_for_active_flows_only() -> None:
    metrics = _metrics()
    metrics.flow("OrderItem").started_at = 0.0
    metrics.flow("OrderItem").expected = 10  # extracted: not active
    out = io.StringIO()
    with anyio.move_on_after(0.05):
        await show_progress(metrics, Console(file=out, width=200))
    lines = out.getvalue().splitlines()
    assert lines
    assert all("Account:" in line for line in lines)
