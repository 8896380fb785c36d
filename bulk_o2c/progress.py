"""Live progress per flow: a rich table on a terminal, a plain line every few seconds otherwise.

Piped output (cron, CI, ``| tee``) gets no cursor tricks: one line per flow per interval, so a
log file read the next morning shows the pace of the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import anyio
from rich.console import Console
from rich.live import Live

from bulk_o2c.pipeline.metrics import FlowCounters, RunMetrics
from bulk_o2c.tables import FiguresTable, figure, identifier

PLAIN_INTERVAL_S = 5.0
LIVE_INTERVAL_S = 0.5


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_table(metrics: RunMetrics) -> FiguresTable:
    figures = ("extracted", "loaded", "failed", "skipped", "parked", "rec/s", "ETA")
    table = FiguresTable(
        (identifier("flow"), *map(figure, figures)),
        title=f"run {metrics.run_id}",
    )
    for counters in metrics.flows.values():
        table.add_row(
            counters.name,
            f"{counters.extracted:,}",
            f"{counters.loaded:,}",
            f"{counters.failed:,}",
            f"{counters.skipped:,}",
            f"{counters.parked:,}",
            f"{counters.rate():,.0f}",
            _eta(counters.eta_s()),
        )
    table.caption = f"NetSuite concurrency {metrics.concurrency_now()} (peak {metrics.concurrency_peak()})"
    return table


def plain_line(counters: FlowCounters, metrics: RunMetrics) -> str:
    return (
        f"[{metrics.run_id}] {counters.name}: extracted={counters.extracted} loaded={counters.loaded} "
        f"failed={counters.failed} skipped={counters.skipped} parked={counters.parked} "
        f"rate={counters.rate():.0f}/s concurrency={metrics.concurrency_now()} eta={_eta(counters.eta_s())}"
    )


@contextmanager
def _live(console: Console, metrics: RunMetrics) -> Iterator[Live | None]:
    if not console.is_terminal:
        yield None
        return
    with Live(render_table(metrics), console=console, refresh_per_second=4, transient=False) as live:
        yield live


async def show_progress(metrics: RunMetrics, console: Console) -> None:
    """Run until cancelled; the caller cancels it when the run ends."""
    with _live(console, metrics) as live:
        interval = LIVE_INTERVAL_S if live is not None else PLAIN_INTERVAL_S
        while True:
            metrics.sample()
            if live is not None:
                live.update(render_table(metrics))
            else:
                for counters in metrics.flows.values():
                    if counters.active:
                        console.print(plain_line(counters, metrics), highlight=False, soft_wrap=True)
            await anyio.sleep(interval)
