"""``bulk-o2c run`` / ``resume``: the pipeline with live progress, signals and the report.

The first SIGINT or SIGTERM asks the run to stop: no chunk that is not under way is sent, the
requests under way finish and are settled, and the command exits 4 printing the summary and how to
continue. A second one cancels at once: requests cut short are recorded as ``unknown`` and sent
again on resume, and the command exits 4 printing how to continue (there is no summary then).
"""

from __future__ import annotations

import signal
from pathlib import Path

import anyio
from rich.console import Console

from bulk_o2c.commands.exit_codes import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL
from bulk_o2c.commands.invocation import command_line
from bulk_o2c.config import Settings
from bulk_o2c.console import styled
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.pipeline.report import report_document, warnings_total, write_report
from bulk_o2c.pipeline.run import RunResult, run_pipeline
from bulk_o2c.progress import show_progress
from bulk_o2c.report_table import summary_table
from bulk_o2c.store.store import open_store


async def _stop_on_signals(stop: anyio.Event, scope: anyio.CancelScope, console: Console) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            if not stop.is_set():
                console.print(
                    f"{signal.Signals(signum).name}: stopping after the requests under way; "
                    "again to stop at once",
                )
                stop.set()
            else:
                scope.cancel()
                return


class StoppedAtOnce(Exception):
    """A second signal cancelled the run: there is no summary, only how to continue it."""

    def __init__(self, run_id: str | None) -> None:
        super().__init__(run_id)
        self.run_id = run_id


async def run_with_progress(
    settings: Settings,
    console: Console,
    *,
    run_id: str | None = None,
    dry_run: Path | None = None,
    accept_changed_settings: bool = False,
) -> tuple[RunResult, dict[str, object]]:
    """Raises ``StoppedAtOnce`` when a second signal cancelled the run."""
    stop = anyio.Event()
    watched: list[str] = []

    async def watch(metrics: RunMetrics) -> None:
        watched.append(metrics.run_id)
        await show_progress(metrics, console)

    result: RunResult | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(_stop_on_signals, stop, tg.cancel_scope, console)
        result = await run_pipeline(
            settings,
            run_id=run_id,
            dry_run=dry_run,
            stop=stop,
            watch=watch,
            accept_changed_settings=accept_changed_settings,
        )
        tg.cancel_scope.cancel()
    if result is None:
        raise StoppedAtOnce(watched[0] if watched else run_id)
    async with open_store(result.checkpoint) as store:
        summary = await store.summary(result.run)
    document = report_document(summary, result.checkpoint)
    return result, document


def _how_to_continue(run_id: str | None, instead: str | None) -> str:
    if instead is not None:
        return instead
    return f"Continue with: {command_line('resume', run_id) if run_id else command_line('run')}"


def print_stopped_at_once(console: Console, stopped: StoppedAtOnce, *, instead: str | None = None) -> int:
    console.print(
        styled(
            "yellow",
            "stopped at once",
            ": requests cut short are recorded as unknown and sent again. "
            + _how_to_continue(stopped.run_id, instead),
        )
    )
    return EXIT_INTERRUPTED


def print_outcome(
    console: Console,
    result: RunResult,
    document: dict[str, object],
    report_path: Path,
    *,
    instead: str | None = None,
) -> int:
    """The summary and what to do next; ``instead`` replaces the resume advice where a resume
    cannot work (the demo's sandboxes end with it)."""
    console.print(summary_table(document))
    console.print(f"report: {report_path}\ncheckpoint: {result.checkpoint}")
    run_id = result.run.run_id
    warned = warnings_total(document)
    if warned:
        console.print(
            f"{warned:,} warnings (a name cut, characters removed: the record went in changed): "
            f"{command_line('warnings', 'list', '--run', run_id)}",
        )
    if not result.completed:
        if result.stop_reason is None:  # a signal
            console.print(
                styled("yellow", "stopped before the end.", f" {_how_to_continue(run_id, instead)}")
            )
            return EXIT_INTERRUPTED
        console.print(
            styled("red", "the run stopped:", f" {result.stop_reason}. {_how_to_continue(run_id, instead)}")
        )
        return EXIT_FAILURE
    if int(str(document["dlq_open"])) > 0:
        fix = (
            f"; after fixing the data or settings: {command_line('dlq', 'retry', '--run', run_id)} && "
            f"{command_line('resume', run_id)}"
            if instead is None
            else ""
        )
        console.print(
            f"{document['dlq_open']} records in the DLQ: {command_line('dlq', 'list', '--run', run_id)}{fix}",
        )
        return EXIT_PARTIAL
    return EXIT_OK


async def run_command(
    settings: Settings,
    console: Console,
    *,
    run_id: str | None = None,
    dry_run: Path | None = None,
    accept_changed_settings: bool = False,
) -> int:
    try:
        result, document = await run_with_progress(
            settings, console, run_id=run_id, dry_run=dry_run, accept_changed_settings=accept_changed_settings
        )
    except StoppedAtOnce as stopped:
        return print_stopped_at_once(console, stopped)
    report_path = write_report(document, result.checkpoint.parent)
    if dry_run is not None:
        console.print(f"dry run: the payloads it would send are in {dry_run / 'payloads'}")
    return print_outcome(console, result, document, report_path)
