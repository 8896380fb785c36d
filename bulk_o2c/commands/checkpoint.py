"""``status`` and ``dlq``: reading and adjusting the checkpoint without talking to either system."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from rich.console import Console

from bulk_o2c.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from bulk_o2c.commands.invocation import command_line
from bulk_o2c.config import Settings
from bulk_o2c.console import styled
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.flows import SENT_WITH
from bulk_o2c.pipeline.run import checkpoint_path
from bulk_o2c.private_files import open_private, refusals
from bulk_o2c.store.export import export
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
        highlight=False,
    )
    if run.status == "running":
        console.print(f"continue it with: {command_line('resume', run.run_id)}", highlight=False)
    return EXIT_OK


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in counts.items()) or "-"


async def list_dlq(settings: Settings, console: Console, run_id: str | None, limit: int) -> int:
    async with open_store(_existing_checkpoint(settings)) as store:
        run_id = await _known(store, run_id)
        entries = await store.dlq.entries(run_id, limit=limit)
        codes = await store.dlq.codes(run_id)
    if not entries:
        console.print("no open DLQ entry" + (f" in run {run_id}" if run_id else ""), highlight=False)
        return EXIT_OK
    # One line per entry: reads well in a narrow terminal, greps well in a log.
    for entry in entries:
        console.print(
            f"#{entry.dlq_id} {entry.run_id} {entry.flow} {entry.sf_id} [{entry.stage}] "
            f"{entry.code}: {entry.message}",
            highlight=False,
            markup=False,
        )
    total = sum(codes.values())
    if total > len(entries):
        console.print(
            f"showing {len(entries):,} of {total:,}; --limit for more, `dlq export` writes them all"
        )
    console.print(f"by code: {_counts(codes)}", highlight=False, markup=False)
    return EXIT_OK


async def retry_dlq(
    settings: Settings, console: Console, run_id: str | None, code: str | None, dlq_ids: list[int] | None
) -> int:
    async with open_store(_existing_checkpoint(settings)) as store:
        run_id = await _known(store, run_id)
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
        highlight=False,
    )
    return EXIT_OK


async def export_dlq(
    settings: Settings, console: Console, out: Path, fmt: Literal["csv", "jsonl"], run_id: str | None
) -> int:
    async with open_store(_existing_checkpoint(settings)) as store:
        run_id = await _known(store, run_id)
        if str(out) == "-":
            written = await export(store.dlq, sys.stdout, fmt, run_id=run_id)
        else:
            what = f"the DLQ export {out}"
            with (
                refusals(what),
                os.fdopen(open_private(out, what), "w", encoding="utf-8", newline="") as handle,
            ):
                written = await export(store.dlq, handle, fmt, run_id=run_id)
    if str(out) != "-":
        console.print(f"{written} entries written to {out}")
    return EXIT_OK
