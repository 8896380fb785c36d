"""``bulk-o2c run`` / ``resume``: the pipeline with live progress, signals and the report.

The first SIGINT or SIGTERM asks the run to stop: no new chunk is started, chunks on the wire
finish and are settled, and the command exits 4 printing how to continue. A second one cancels
at once; chunks still on the wire are recorded as ``unknown`` and sent again on resume.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import anyio
from rich.console import Console

from bulk_o2c.config import Settings
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.pipeline.report import report_document, summary_table, write_report
from bulk_o2c.pipeline.run import RunResult, run_pipeline
from bulk_o2c.progress import show_progress
from bulk_o2c.store.store import open_store

EXIT_OK = 0
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 4


async def _stop_on_signals(stop: anyio.Event, scope: anyio.CancelScope, console: Console) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            if not stop.is_set():
                console.print(
                    f"{signal.Signals(signum).name}: stopping after the requests under way; "
                    "again to stop at once",
                    highlight=False,
                )
                stop.set()
            else:
                scope.cancel()
                return


async def run_with_progress(
    settings: Settings, console: Console, *, run_id: str | None = None, dry_run: Path | None = None
) -> tuple[RunResult, dict[str, object]]:
    stop = anyio.Event()
    started = time.perf_counter()

    async def watch(metrics: RunMetrics) -> None:
        await show_progress(metrics, console)

    async with anyio.create_task_group() as tg:
        tg.start_soon(_stop_on_signals, stop, tg.cancel_scope, console)
        result = await run_pipeline(settings, run_id=run_id, dry_run=dry_run, stop=stop, watch=watch)
        tg.cancel_scope.cancel()
    async with open_store(result.checkpoint) as store:
        summary = await store.summary(result.run)
    document = report_document(summary, result, time.perf_counter() - started)
    return result, document


def print_outcome(console: Console, result: RunResult, document: dict[str, object], report_path: Path) -> int:
    console.print(summary_table(document))
    console.print(f"report: {report_path}\ncheckpoint: {result.checkpoint}", highlight=False)
    run_id = result.run.run_id
    if not result.completed:
        if result.stop_reason is not None:
            console.print(f"[yellow]{result.stop_reason}[/yellow]", highlight=False)
        console.print(f"[yellow]stopped before the end.[/yellow] Continue with: bulk-o2c resume {run_id}")
        return EXIT_INTERRUPTED
    if int(str(document["dlq_open"])) > 0:
        console.print(
            f"{document['dlq_open']} records in the DLQ: bulk-o2c dlq list --run {run_id}; "
            f"after fixing the data or settings: bulk-o2c dlq retry --run {run_id} && "
            f"bulk-o2c resume {run_id}",
            highlight=False,
        )
        return EXIT_PARTIAL
    return EXIT_OK


async def run_command(
    settings: Settings, console: Console, *, run_id: str | None = None, dry_run: Path | None = None
) -> int:
    result, document = await run_with_progress(settings, console, run_id=run_id, dry_run=dry_run)
    report_path = write_report(document, result.checkpoint.parent)
    if dry_run is not None:
        console.print(f"dry run: the payloads it would send are in {dry_run / 'payloads'}", highlight=False)
    return print_outcome(console, result, document, report_path)
