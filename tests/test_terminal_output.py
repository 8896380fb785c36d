"""What an ordinary 80-column terminal shows: every command's help and human output.

Large figures and text in square brackets go through the same code a user's command does. A figure
must never be cut to "…", a bracketed token (an extra, a TOML section, an array value) must never
vanish as if it were a style, and no flag may look like an option that takes a value.
"""

from __future__ import annotations

import dataclasses
import io
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from rich.console import Console
from typer.testing import CliRunner

from bulk_o2c import cli
from bulk_o2c.bench.output import bench_table
from bulk_o2c.bench.sweep import BenchResult, BenchRow, Recommendation, Setting
from bulk_o2c.config import Settings, load_settings
from bulk_o2c.console import new_console
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.pipeline.run import checkpoint_path
from bulk_o2c.progress import render_table
from bulk_o2c.report_table import summary_table
from bulk_o2c.store.extraction import ExtractionProgress
from bulk_o2c.store.fingerprint import fingerprint
from bulk_o2c.store.runs import RunInfo
from bulk_o2c.store.settle import Failure
from bulk_o2c.store.store import CheckpointStore, RunSummary, open_store
from tests.support.command_tree import command_tree

WIDTH = 80
BIG = 1_774_312  # records/s of a fast sweep, rows of a large extraction
_LEFT_MARKUP = re.compile(r"\[/?(?:red|yellow|green|bold|dim)\]")


@pytest.fixture(autouse=True)
def _cli_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.console, "width", WIDTH)


def assert_readable(text: str, *whole: str) -> None:
    """Nothing cut short (a figure, a header, a name), every token in ``whole`` printed as it is, and
    no style tag printed as text."""
    assert "…" not in text, text
    for token in whole:
        assert token in text, f"{token!r} missing from:\n{text}"
    assert not _LEFT_MARKUP.search(text), text


def console80() -> Console:
    """The console the CLI prints with, 80 columns wide, recording."""
    return new_console(width=WIDTH, record=True, file=io.StringIO())


def render(renderable: Any) -> str:
    console = console80()
    console.print(renderable)
    return console.export_text()


# --- help ---------------------------------------------------------------------------------------


_BRACKETED = re.compile(r"\[[^\[\]]+\]")


def _words(text: str) -> str:
    """``text`` without the help panel's frame and line breaks: a token may wrap across lines."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def _declared(command: Any) -> list[str]:
    """The bracketed tokens in a command's own help and its parameters' (none is markup)."""
    texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
    return [_words(token) for text in texts for token in _BRACKETED.findall(text.replace("\\[", "["))]


@pytest.mark.parametrize(
    ("path", "command"), command_tree(cli.app), ids=lambda p: " ".join(p) if isinstance(p, tuple) else ""
)
def test_help_at_80_columns_shows_flags_as_flags_and_keeps_its_brackets(
    path: tuple[str, ...], command: Any
) -> None:
    result = CliRunner().invoke(cli.app, [*path, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output
    assert_readable(_words(result.output), *_declared(command))


def test_the_top_help_shows_verbose_and_completion_without_a_value() -> None:
    output = CliRunner().invoke(cli.app, ["--help"], env={"COLUMNS": str(WIDTH)}).output
    for flag in ("--verbose", "--install-completion", "--help"):
        (line,) = [line for line in output.splitlines() if f"{flag} " in line]
        assert "<" not in line, line


# --- bench ------------------------------------------------------------------------------------------


def _bench(records_per_s: float, ceiling: float) -> BenchResult:
    rows = tuple(
        BenchRow(
            Setting(c, k),
            records=8 * c * k,
            saved=8 * c * k,
            failed=0,
            seconds=8 * c * k / (records_per_s if c == 10 else records_per_s * c / 10),
            requests=8 * c,
            latency_p50_s=0.226,
            latency_p95_s=0.231,
            peak_concurrency=c,
            faults={"WS_REQUEST_BLOCKED": 3} if c == 10 else {},
            ceiling=ceiling,
        )
        for c in (1, 2, 5, 10)
        for k in (50, 100)
    )
    target = "NetSuite sandbox at http://127.0.0.1:41234 (pool 5, 100 records per request, time scale 1)"
    return BenchResult(
        target, "BOC_BENCH_X_", rows, Recommendation(Setting(5, 100), "fastest without faults")
    )


@pytest.mark.parametrize(("records_per_s", "ceiling"), [(1_774.3, 2_004.4), (BIG, 2_004_581.0)])
def test_bench_keeps_its_records_per_second_and_ceiling_whole(records_per_s: float, ceiling: float) -> None:
    text = render(bench_table(_bench(records_per_s, ceiling)))
    assert_readable(text, f"{records_per_s:,.1f}", f"{ceiling:,.1f}")


def test_bench_plot_without_matplotlib_names_the_extra_with_its_brackets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no bulk-o2c.toml here
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    result = CliRunner().invoke(cli.app, ["bench", "--plot", "x.png"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 1
    assert_readable(result.output, "pip install 'bulk-o2c[plot]'")


# --- run: progress and summary -------------------------------------------------------------------


def test_progress_keeps_large_figures_whole() -> None:
    now = [0.0]
    metrics = RunMetrics("20261206T000000Z-abc123", concurrency_now=lambda: 20, clock=lambda: now[0])
    for name in ("Account", "Order", "OrderItem"):
        flow = metrics.flow(name)
        flow.started_at, flow.load_started_at, flow.expected = 0.0, 0.0, 90 * BIG
        flow.extracted = 90 * BIG
    metrics.sample()
    now[0] = 1.0
    for flow in metrics.flows.values():
        flow.loaded, flow.failed, flow.skipped, flow.parked = BIG, 12_345, 67_890, 1_234
    metrics.sample()
    text = render(render_table(metrics))
    assert_readable(text, f"{90 * BIG:,}", f"{BIG:,}", "12,345", "67,890", "OrderItem")


def test_summary_keeps_large_figures_whole() -> None:
    flows = [
        {
            "flow": name,
            "extracted": 90 * BIG,
            "loaded": 89 * BIG,
            "failed": 123_456,
            "skipped": 654_321,
            "parked": 99_999,
            "written_back": 89 * BIG,
            "records_per_s": BIG,
            "warnings": {"TEXT_CUT": 765_432},
        }
        for name in ("Account", "Order")
    ]
    document = {
        "run_id": "20261206T000000Z-abc123",
        "status": "completed",
        "flows": flows,
        "netsuite": {
            "faults": {"WS_REQUEST_BLOCKED": 7},
            "requests": 1_000_000,
            "mean_request_s": 0.2,
            "peak_concurrency": 20,
        },
        "wall_seconds": 36_000.0,
        "checkpoint": {"share_of_wall": 0.005},
        "dlq_open": 123_456,
    }
    text = render(summary_table(document))
    assert_readable(
        text,
        f"{90 * BIG:,}",
        f"{89 * BIG:,}",
        f"{BIG:,}",
        "654,321",
        "{'WS_REQUEST_BLOCKED': 7}",
        "Order TEXT_CUT 765,432",
    )


# --- status and dlq list, from a checkpoint, through the CLI ------------------------------------


async def _fill(path: Path, settings: Settings) -> None:
    async with open_store(path) as store:
        run = await store.runs.start(fingerprint(settings))
        await store.dlq.add(
            run.run_id,
            "Account",
            "map",
            [
                Failure(
                    "001000000000001AAA", "BAD_PICKLIST", "Industry [Aerospace] is not in [netsuite] values"
                ),
                Failure("001000000000002AAA", "BAD_ARRAY", "expected one value, got [1, 2]"),
            ],
        )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A settings file whose checkpoint holds one run with two DLQ entries."""
    settings = load_settings(run={"state_dir": tmp_path})
    anyio.run(_fill, checkpoint_path(settings), settings)
    path = tmp_path / "bulk-o2c.toml"
    path.write_text(f'[run]\nstate_dir = "{tmp_path}"\n')
    return path


def test_status_keeps_large_figures_and_bracketed_text_whole(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_summary = CheckpointStore.summary

    async def large(store: CheckpointStore, run: RunInfo) -> RunSummary:
        summary = await real_summary(store, run)
        extraction = ExtractionProgress(
            "OrderItem",
            "2026-12-01T00:00:00.000+0000",
            "2026-12-06T00:00:00.000+0000",
            "750R0000000XYZ1IAA",
            None,
            9_999,
            90 * BIG,
            True,
        )
        return dataclasses.replace(
            summary,
            extractions=(extraction,),
            records={"Account": {"loaded": 89 * BIG, "failed [netsuite]": 123_456}},
            chunks={"done": BIG},
            dlq_open=123_456,
            warnings={"Account": {"TEXT_CUT": 765_432}},
        )

    monkeypatch.setattr(CheckpointStore, "summary", large)
    result = CliRunner().invoke(cli.app, ["--config", str(config), "status"])
    assert result.exit_code == 0, result.output
    assert_readable(
        result.output,
        f"{90 * BIG:,}",
        f"{89 * BIG:,}",
        "750R0000000XYZ1IAA",
        "9,999",
        "failed [netsuite]",
        "warnings: Account TEXT_CUT 765,432",
    )


def test_dlq_list_keeps_bracketed_text(config: Path) -> None:
    result = CliRunner().invoke(cli.app, ["--config", str(config), "dlq", "list"])
    assert result.exit_code == 0, result.output
    assert_readable(result.output, "[map]", "[Aerospace]", "[netsuite]", "[1, 2]")


def test_doctor_keeps_bracketed_codes_and_figures_whole(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bulk_o2c.commands import doctor
    from bulk_o2c.pipeline.preflight import Finding

    refusal = "getAccountGovernanceInfo: insufficientPermissionFault [INSUFFICIENT_PERMISSION]: denied"
    report = doctor.DoctorReport(
        (
            Finding("NetSuite", "concurrency", "warn", f"using 5 ({refusal})", "set netsuite.concurrency"),
            Finding("Salesforce", "DailyApiRequests", "ok", f"{BIG:,} of {10 * BIG:,} left"),
            Finding("NetSuite", "role reads salesOrder", "fail", "[INSUFFICIENT_PERMISSION]", "give [Full]"),
        )
    )

    async def diagnosed(settings: Settings, records: int) -> doctor.DoctorReport:
        return report

    monkeypatch.setattr(doctor, "diagnose", diagnosed)
    result = CliRunner().invoke(cli.app, ["--config", str(config), "doctor"])
    assert result.exit_code == 1, result.output
    assert_readable(
        result.output,
        "[INSUFFICIENT_PERMISSION]",
        f"{BIG:,}",
        f"{10 * BIG:,}",
        "[Full]",
        "a run cannot start",
    )
