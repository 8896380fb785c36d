"""``status``, ``dlq``, ``warnings`` and ``abandon``: reading and adjusting the checkpoint without
talking to either system. Reading takes no lock, so it works while a run goes on; adjusting holds
the state directory's lock (``store/lock.py``) like a run does."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal, TextIO

from rich.console import Console

from bulk_o2c.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from bulk_o2c.commands.invocation import command_line
from bulk_o2c.config import Settings
from bulk_o2c.console import styled
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.flows import SENT_WITH
from bulk_o2c.pipeline.report import warning_counts
from bulk_o2c.pipeline.run import checkpoint_path
from bulk_o2c.private_files import open_private, refusals
from bulk_o2c.store.export import export, export_warnings
from bulk_o2c.store.lock import lock_state_dir
from bulk_o2c.store.store import CheckpointStore, open_store
from bulk_o2c.tables import FiguresTable, figure, identifier, label


def _existing_checkpoint(settings: Settings) -> Path:
    path = checkpoint_path(settings)
    if path.parent.exists() and not path.parent.is_dir():
        raise ConfigError(
            f"run.state_dir {path.parent} is a file, not a folder: point run.state_dir at a folder"
        )
    if not path.exists():
        raise ConfigError(f"no checkpoint at {path} (run.state_dir); nothing has run here yet")
    return path


async def _known(store: CheckpointStore, run_id: str | None) -> str | None:
    """``run_id`` (None: every run), refused when the checkpoint has no such run (a mistyped id)."""
    if run_id is not None and await store.runs.get(run_id) is None:
        raise ConfigError(f"no run {run_id}")
    return run_id


async def _run_or_latest(store: CheckpointStore, run_id: str | None) -> str:
    run = await (store.runs.get(run_id) if run_id is not None else store.runs.latest())
    if run is None:
        raise ConfigError(f"no run {run_id}" if run_id else "the checkpoint holds no run")
    return run.run_id


async def show_status(settings: Settings, console: Console, run_id: str | None) -> int:
    async with open_store(_existing_checkpoint(settings)) as store:
        run = await store.runs.get(await _run_or_latest(store, run_id))
        assert run is not None
        summary = await store.summary(run)
    # The checkpoint cannot tell a run going on in another process from one that stopped.
    shown = "unfinished (running elsewhere, or stopped)" if run.status == "running" else run.status
    console.print(f"run {run.run_id}: {shown}, started {run.started_at}, finished {run.finished_at or '-'}")
    # A time cut short is no use: the window folds onto more lines; a job id stays whole.
    headings = (identifier("flow"), label("window"), identifier("job"), figure("pages"), figure("rows"))
    table = FiguresTable((*headings, identifier("extracted")), title="extraction")
    for p in summary.extractions:
        window = f"{p.window_start or 'beginning'} .. {p.window_end}"
        table.add_row(
            p.flow,
            window,
            p.job_id or "-",
            f"{p.pages_staged:,}",
            f"{p.rows_staged:,}",
            "yes" if p.done else "no",
        )
    console.print(table)
    records = FiguresTable((identifier("flow"), label("state"), figure("records")), title="records")
    for flow, states in sorted(summary.records.items()):
        for state, count in sorted(states.items()):
            sent_with = SENT_WITH.get(flow)
            records.add_row(
                flow, f"{state} (sent in their {sent_with})" if sent_with else state, f"{count:,}"
            )
    console.print(records)
    console.print(
        f"chunks: {_counts(summary.chunks)}; write-back: "
        + ("; ".join(f"{flow} {_counts(states)}" for flow, states in summary.writeback.items()) or "-")
        + f"; DLQ open: {summary.dlq_open:,}",
    )
    console.print(f"warnings: {warning_counts(summary.warnings)}")
    if run.status == "running":
        console.print(f"continue it with: {command_line('resume', run.run_id)}")
    return EXIT_OK


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in counts.items()) or "-"


# A listing read from the checkpoint: one line per entry, how many there are in all, their counts.
Listing = tuple[list[str], int, str]


async def _list(
    settings: Settings,
    console: Console,
    run_id: str | None,
    read: Callable[[CheckpointStore, str | None], Awaitable[Listing]],
    nothing: str,
    export: str,
) -> int:
    async with open_store(_existing_checkpoint(settings)) as store:
        lines, total, counts = await read(store, await _known(store, run_id))
    if not lines:
        console.print(nothing + (f" in run {run_id}" if run_id else ""))
        return EXIT_OK
    # One line per entry: reads well in a narrow terminal, greps well in a log.
    for line in lines:
        console.print(line)
    if total > len(lines):
        console.print(f"showing {len(lines):,} of {total:,}; --limit for more, `{export}` writes them all")
    console.print(counts)
    return EXIT_OK


async def list_dlq(settings: Settings, console: Console, run_id: str | None, limit: int) -> int:
    async def read(store: CheckpointStore, run: str | None) -> Listing:
        entries = await store.dlq.entries(run, limit=limit)
        codes = await store.dlq.codes(run)
        lines = [
            f"#{e.dlq_id} {e.run_id} {e.flow} {e.sf_id} [{e.stage}] {e.code}: {e.message}" for e in entries
        ]
        return lines, sum(codes.values()), f"by code: {_counts(codes)}"

    return await _list(settings, console, run_id, read, "no open DLQ entry", "dlq export")


async def retry_dlq(
    settings: Settings, console: Console, run_id: str | None, code: str | None, dlq_ids: list[int] | None
) -> int:
    path = _existing_checkpoint(settings)
    with lock_state_dir(path.parent):
        async with open_store(path) as store:
            run_id = await _known(store, run_id)
            run = None if run_id is None else await store.runs.get(run_id)
            if run is not None and run.status == "abandoned":
                raise ConfigError(
                    f"run {run_id} was abandoned: its DLQ is kept to read and export, not retried"
                )
            marked = await store.dlq.retry(run_id=run_id, dlq_ids=dlq_ids, code=code)
            codes = await store.dlq.codes(run_id) if not marked else {}
    if not marked:
        # Most likely a mistyped code or run id: say what there is instead of doing nothing quietly.
        present = f"open entries by code: {_counts(codes)}" if codes else "the DLQ has no open entry"
        console.print(styled("red", "no open DLQ entry matches", f"; {present}"))
        return EXIT_FAILURE
    console.print(
        f"{marked} entries marked for retry; `{command_line('run')}` "
        f"(or `{command_line('resume', 'RUN_ID')}`) sends them again",
    )
    return EXIT_OK


async def abandon_run(settings: Settings, console: Console, run_id: str) -> int:
    path = _existing_checkpoint(settings)
    with lock_state_dir(path.parent):
        async with open_store(path) as store:
            run = await store.runs.get(run_id)
            if run is None:
                raise ConfigError(f"no run {run_id}")
            if run.status != "running":
                raise ConfigError(f"run {run_id} is {run.status}: only an unfinished run can be abandoned")
            await store.runs.abandon(run_id)
    console.print(
        f"run {run_id} abandoned; the high-water marks stay where they were, so "
        f"`{command_line('run')}` starts a new run that reads its window again",
    )
    return EXIT_OK


async def list_warnings(settings: Settings, console: Console, run_id: str | None, limit: int) -> int:
    async def read(store: CheckpointStore, run: str | None) -> Listing:
        entries = await store.warnings.entries(run, limit=limit)
        counts = await store.warnings.counts(run)
        lines = [
            f"{w.run_id} {w.flow} {w.sf_id} {w.external_id} -> {w.internal_id or '-'} [{w.kind}] {w.message}"
            for w in entries
        ]
        total = sum(sum(kinds.values()) for kinds in counts.values())
        return lines, total, f"by flow and kind: {warning_counts(counts)}"

    return await _list(settings, console, run_id, read, "no warning", "warnings export")


Exporter = Callable[[CheckpointStore, TextIO, Literal["csv", "jsonl"], str | None], Awaitable[int]]
ExportKind = Literal["dlq", "warnings"]
# What each export is called in messages, and how it reads the checkpoint.
_EXPORTS: dict[ExportKind, tuple[str, Exporter]] = {
    "dlq": ("DLQ", lambda store, out, fmt, run: export(store.dlq, out, fmt, run_id=run)),
    "warnings": (
        "warnings",
        lambda store, out, fmt, run: export_warnings(store.warnings, out, fmt, run_id=run),
    ),
}


async def export_entries(
    settings: Settings,
    console: Console,
    kind: ExportKind,
    out: Path,
    fmt: Literal["csv", "jsonl"],
    run_id: str | None,
) -> int:
    name, write = _EXPORTS[kind]
    async with open_store(_existing_checkpoint(settings)) as store:
        run_id = await _known(store, run_id)
        if str(out) == "-":
            written = await write(store, sys.stdout, fmt, run_id)
        else:
            what = f"the {name} export {out}"
            with (
                refusals(what),
                os.fdopen(open_private(out, what), "w", encoding="utf-8", newline="") as handle,
            ):
                written = await write(store, handle, fmt, run_id)
    if str(out) != "-":
        console.print(f"{written} entries written to {out}")
    return EXIT_OK
