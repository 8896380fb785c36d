"""SIGKILL a real ``bulk-o2c run`` process at several points, resume it, and count what landed.

The sandboxes live in the test process, so they outlive the killed run: the NetSuite account the
resumed run writes into is the one the killed run wrote into. Each test waits for a point in the
run (a page served, records written, a write-back job created), kills the process there, runs
``bulk-o2c run`` again (it continues the latest unfinished run) and asserts that every good record
is in NetSuite exactly once and the DLQ holds exactly the deliberately bad records.
"""

from __future__ import annotations

import shlex
import signal
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from subprocess import STDOUT

import anyio
import orjson
import pytest
from anyio.abc import Process

from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.commands.ground_truth import ExpectedOutcome
from bulk_o2c.config import Settings
from bulk_o2c.sandbox.salesforce.faults import Fault
from bulk_o2c.store.store import open_store
from tests.support.runs import (
    ACCOUNTS,
    expected,
    latest_extraction,
    run_sandboxes,
    run_settings,
    write_config,
)

RUN_TIMEOUT_S = 60


async def _start(config: Path, env: dict[str, str]) -> Process:
    return await anyio.open_process(
        [sys.executable, "-m", "bulk_o2c", "--config", str(config), "run"], env=env, stdout=None, stderr=None
    )


async def _reach(process: Process, reached: Callable[[], bool]) -> None:
    """Poll the sandboxes (they have no events to wait on) until the run gets to the point."""
    with anyio.fail_after(RUN_TIMEOUT_S):
        while not reached():
            if process.returncode is not None:
                pytest.fail(f"the run ended (exit {process.returncode}) before the kill point")
            await anyio.sleep(0.002)


async def _kill_when(process: Process, reached: Callable[[], bool]) -> None:
    await _reach(process, reached)
    process.send_signal(signal.SIGKILL)
    await process.wait()


async def _run_to_the_end(config: Path, env: dict[str, str]) -> int:
    process = await _start(config, env)
    with anyio.fail_after(RUN_TIMEOUT_S):
        return await process.wait()


async def _run_as_printed(output: str, env: dict[str, str]) -> int:
    """Run the command the output says to continue with, exactly as printed (bulk-o2c being this
    interpreter's ``-m bulk_o2c``)."""
    (printed,) = [
        line.split("Continue with: ", 1)[1] for line in output.splitlines() if "Continue with: " in line
    ]
    program, *args = shlex.split(printed)
    assert program == "bulk-o2c"
    process = await anyio.open_process(
        [sys.executable, "-m", "bulk_o2c", *args], env=env, stdout=None, stderr=None
    )
    with anyio.fail_after(RUN_TIMEOUT_S):
        return await process.wait()


async def _start_watched(config: Path, env: dict[str, str], *, stderr: int | None = None) -> Process:
    """``bulk-o2c run`` with its output captured (``_finish`` reads it)."""
    return await anyio.open_process(
        [sys.executable, "-m", "bulk_o2c", "--config", str(config), "run"], env=env, stderr=stderr
    )


async def _finish(process: Process) -> tuple[str, int]:
    assert process.stdout is not None
    with anyio.fail_after(RUN_TIMEOUT_S):
        output = b"".join([chunk async for chunk in process.stdout]).decode()
        return output, await process.wait()


def _assert_landed_once(boxes: Sandboxes, want: ExpectedOutcome) -> None:
    assert sorted(r.external_id for r in boxes.netsuite.records("customer")) == sorted(want.customers)
    assert sorted(r.external_id for r in boxes.netsuite.records("salesOrder")) == sorted(want.sales_orders)


async def _killed_then_resumed(
    boxes: Sandboxes, settings: Settings, tmp_path: Path, reached: Callable[[], bool]
) -> None:
    want = expected(boxes, settings)
    config, env = write_config(settings, boxes, tmp_path)

    await _kill_when(await _start(config, env), reached)
    code = await _run_to_the_end(config, env)

    assert code == 3  # partial success: the deliberately bad records are in the DLQ
    _assert_landed_once(boxes, want)
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        runs = await store.runs.latest()
        assert runs is not None
        assert runs.status == "completed"
        entries = await store.dlq.entries(limit=100_000)
        written_back = await store.writeback.counts(runs.run_id)
    assert {(e.flow, e.sf_id): e.code for e in entries} == want.dlq
    assert len(entries) == len(want.dlq)
    assert written_back["Account"] == {"done": len(want.customers)}
    assert len(boxes.salesforce.written_values("Account")) == len(want.customers)


async def test_killed_during_extraction(boxes: Sandboxes, settings: Settings, tmp_path: Path) -> None:
    await _killed_then_resumed(boxes, settings, tmp_path, lambda: boxes.salesforce.stats.pages_served >= 3)


async def test_killed_mid_load(boxes: Sandboxes, settings: Settings, tmp_path: Path) -> None:
    await _killed_then_resumed(boxes, settings, tmp_path, lambda: boxes.netsuite.stats.records_written >= 150)


async def test_killed_during_order_load(boxes: Sandboxes, settings: Settings, tmp_path: Path) -> None:
    await _killed_then_resumed(
        boxes, settings, tmp_path, lambda: boxes.netsuite.stats.records.get("salesOrder", 0) >= 100
    )


async def test_killed_during_write_back(boxes: Sandboxes, settings: Settings, tmp_path: Path) -> None:
    await _killed_then_resumed(
        boxes, settings, tmp_path, lambda: boxes.salesforce.stats.ingest_jobs_created >= 1
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_stops_gracefully_and_prints_the_resume_command(
    boxes: Sandboxes, settings: Settings, tmp_path: Path, signum: signal.Signals
) -> None:
    want = expected(boxes, settings)
    config, env = write_config(settings, boxes, tmp_path)
    process = await _start_watched(config, env)
    await _reach(process, lambda: boxes.netsuite.stats.records_written >= 100)
    process.send_signal(signum)
    output, code = await _finish(process)

    assert code == 4
    assert f"bulk-o2c --config {config} resume" in output
    assert "(stopped)" in output  # the summary's title: the run is not running any more
    # The chunks on the wire when the signal came were let finish and settled: none is left in flight.
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        run = await store.runs.latest()
        assert run is not None
        assert run.status == "running"
        assert "in_flight" not in await store.chunks.counts(run.run_id)
    assert await _run_to_the_end(config, env) == 3
    _assert_landed_once(boxes, want)


async def test_a_signal_during_extraction_stops_at_the_next_page_boundary(tmp_path: Path) -> None:
    page_size = 20  # 12 pages of Accounts, served five at a time, 0.2 s each
    async with run_sandboxes(page_latency_s=0.2) as boxes:
        settings = run_settings(boxes, tmp_path, page_size=page_size)
        want = expected(boxes, settings)
        config, env = write_config(settings, boxes, tmp_path)
        process = await _start_watched(config, env)
        await _reach(process, lambda: boxes.salesforce.stats.pages_served >= 1)
        process.send_signal(signal.SIGINT)
        output, code = await _finish(process)

        assert code == 4
        assert f"bulk-o2c --config {config} resume" in output
        assert boxes.salesforce.stats.pages_served < ACCOUNTS // page_size  # not read to the end first
        progress, staged = await latest_extraction(settings, "Account")
        assert not progress.done
        assert progress.rows_staged == staged == progress.pages_staged * page_size
        assert await _run_to_the_end(config, env) == 3
        _assert_landed_once(boxes, want)


async def test_a_page_failing_during_parallel_paging_is_one_line_and_exit_1(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    want = expected(boxes, settings)
    config, env = write_config(settings, boxes, tmp_path)
    # The first page announces a row it does not hold while the next ones are downloading.
    boxes.salesforce.faults.inject(Fault.MISCOUNTED_PAGE)
    output, code = await _finish(await _start_watched(config, env, stderr=STDOUT))

    assert code == 1
    assert "Traceback" not in output
    assert "already running" not in output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "announced 61 rows but held 60" in errors[0]
    assert await _run_to_the_end(config, env) == 3
    _assert_landed_once(boxes, want)


async def test_a_second_signal_stops_at_once_and_prints_the_resume_command(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    want = expected(boxes, settings)
    config, env = write_config(settings, boxes, tmp_path)
    process = await _start_watched(config, env, stderr=STDOUT)  # a thread's traceback goes to stderr
    # Once the run has checked NetSuite and started extracting, other integrations take the whole
    # pool: its first requests keep backing off, so the first signal cannot end the run before the
    # second one comes.
    await _reach(process, lambda: boxes.salesforce.stats.query_jobs_created >= 1)
    boxes.netsuite.set_pressure(boxes.netsuite.config.concurrency_limit)
    await _reach(process, lambda: boxes.netsuite.stats.blocked >= 1)
    process.send_signal(signal.SIGINT)
    await anyio.sleep(0.3)
    process.send_signal(signal.SIGINT)
    output, code = await _finish(process)

    assert code == 4
    assert "Traceback" not in output
    assert "stopped at once" in output
    assert f"bulk-o2c --config {config} resume" in output
    boxes.netsuite.clear_pressure()
    assert await _run_as_printed(output, env) == 3
    _assert_landed_once(boxes, want)


async def test_refused_credentials_exit_1_before_extracting_with_the_reason(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    want = expected(boxes, settings)
    config, env = write_config(settings, boxes, tmp_path)
    wrong = {**env, "BULK_O2C_NETSUITE__TOKEN_SECRET": "not-the-token-secret"}
    output, code = await _finish(await _start_watched(config, wrong, stderr=STDOUT))

    assert code == 1
    assert "Invalid login attempt" in output
    assert "Traceback" not in output
    assert "not-the-token-secret" not in output
    assert boxes.salesforce.stats.query_jobs_created == 0
    assert await _run_to_the_end(config, env) == 3
    _assert_landed_once(boxes, want)


def _recorded_attempts(checkpoint: Path) -> int:
    """NetSuite attempts the run's first process has recorded in the checkpoint so far (0: none yet)."""
    if not checkpoint.exists():
        return 0
    with closing(sqlite3.connect(checkpoint)) as db:
        try:
            row = db.execute("SELECT figures FROM run_processes WHERE number = 1").fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            return 0
    figures = orjson.loads(row[0]) if row else {}
    return int(figures["netsuite"]["attempts"]) if figures else 0


async def test_the_report_after_a_kill_counts_what_the_killed_process_recorded(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    config, env = write_config(settings, boxes, tmp_path)
    checkpoint = settings.run.state_dir / "checkpoint.sqlite"
    process = await _start(config, env)
    # Recorded at the end of the Account load at the latest: the kill comes during the order load.
    await _kill_when(process, lambda: _recorded_attempts(checkpoint) >= 3)
    recorded, sent_before_kill = _recorded_attempts(checkpoint), boxes.netsuite.stats.requests

    assert await _run_to_the_end(config, env) == 3

    async with open_store(checkpoint) as store:
        run = await store.runs.latest()
        assert run is not None
    report = orjson.loads((settings.run.state_dir / "reports" / f"{run.run_id}.json").read_bytes())
    resumed_alone = boxes.netsuite.stats.requests - sent_before_kill
    assert report["processes"] == 2
    # The killed process counts as far as it recorded; the resumed one in full; nothing twice.
    assert report["netsuite"]["requests"] >= recorded + resumed_alone
    assert report["netsuite"]["requests"] <= boxes.netsuite.stats.requests
