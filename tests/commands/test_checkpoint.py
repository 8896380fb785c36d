"""``status`` and ``dlq`` against the checkpoint of a real run, through the CLI as a user types it."""

from __future__ import annotations

import csv
import io
import os
import socket
import sys
from pathlib import Path
from subprocess import CompletedProcess

import anyio
import orjson
import pytest
from typer.testing import CliRunner

from bulk_o2c.cli import app
from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.commands.exit_codes import EXIT_LOCKED
from bulk_o2c.config import Settings
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.run import run_pipeline
from bulk_o2c.store.lock import lock_state_dir
from bulk_o2c.store.runs import RunInfo
from bulk_o2c.store.store import CheckpointStore, open_store
from tests.support.runs import expected, write_config


@pytest.fixture
async def finished(boxes: Sandboxes, settings: Settings, tmp_path: Path) -> Path:
    """A completed run's config file (its state dir is all the commands read)."""
    await run_pipeline(settings)
    config = tmp_path / "status.toml"
    config.write_text(f'[run]\nstate_dir = "{settings.run.state_dir}"\n')
    return config


async def _invoke(config: Path, *args: str) -> str:
    # A process of its own: the command runs its own event loop, as when a user types it.
    result = await anyio.run_process([sys.executable, "-m", "bulk_o2c", "--config", str(config), *args])
    return result.stdout.decode()


async def test_status_shows_the_run_and_its_counts(
    finished: Path, boxes: Sandboxes, settings: Settings
) -> None:
    output = await _invoke(finished, "status")
    assert "completed" in output
    assert f"DLQ open: {len(expected(boxes, settings).dlq)}" in output
    assert "staged (sent in their Order)" in output  # order lines are never loaded on their own


async def test_dlq_list_gives_one_line_per_entry_with_its_reason(
    finished: Path, boxes: Sandboxes, settings: Settings
) -> None:
    lines = [
        line
        for line in (await _invoke(finished, "dlq", "list", "--limit", "1000")).splitlines()
        if line.startswith("#")
    ]
    want = expected(boxes, settings).dlq
    assert len(lines) == len(want)
    assert all(f"{code}:" in line for line in lines for (flow, sf_id), code in want.items() if sf_id in line)


async def test_dlq_list_says_how_many_it_left_out_and_counts_by_code(
    finished: Path, boxes: Sandboxes, settings: Settings
) -> None:
    output = await _invoke(finished, "dlq", "list", "--limit", "2")
    want = expected(boxes, settings).dlq
    assert len([line for line in output.splitlines() if line.startswith("#")]) == 2
    assert f"showing 2 of {len(want):,}" in output
    by_code = output.split("by code: ")[1].strip()
    counted = {
        code: int(n.replace(",", "")) for code, n in (part.rsplit(" ", 1) for part in by_code.split(", "))
    }
    assert counted == {code: list(want.values()).count(code) for code in set(want.values())}


@pytest.mark.parametrize(
    "command", [["status"], ["dlq", "list", "--run"], ["dlq", "retry", "--run"], ["dlq", "export", "--run"]]
)
async def test_a_mistyped_run_id_is_an_error(finished: Path, command: list[str]) -> None:
    result = await anyio.run_process(
        [sys.executable, "-m", "bulk_o2c", "--config", str(finished), *command, "20250101T000000Z-nope00"],
        check=False,
    )
    assert result.returncode == 1
    assert "no run 20250101T000000Z-nope00" in result.stdout.decode()


async def test_dlq_retry_that_matches_nothing_says_what_there_is_and_exits_1(finished: Path) -> None:
    result = await anyio.run_process(
        [
            sys.executable,
            "-m",
            "bulk_o2c",
            "--config",
            str(finished),
            "dlq",
            "retry",
            "--code",
            "NO_SUCH_CODE",
        ],
        check=False,
    )
    output = result.stdout.decode()
    assert result.returncode == 1
    assert "no open DLQ entry matches" in output
    assert "MAPPING_" in output  # the codes that are there


async def test_dlq_export_writes_every_entry_with_its_salesforce_row(
    finished: Path, boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "dlq.csv"
    await _invoke(finished, "dlq", "export", "--out", str(out), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {(r["flow"], r["sf_id"]): r["code"] for r in rows} == expected(boxes, settings).dlq
    accounts = [r for r in rows if r["flow"] == "Account"]
    assert all(orjson.loads(r["source"])["Id"] == r["sf_id"] for r in accounts)


async def test_dlq_retry_reopens_the_run_and_a_resume_settles_the_entries_again(
    finished: Path, boxes: Sandboxes, settings: Settings
) -> None:
    await _invoke(finished, "dlq", "retry", "--code", "MAPPING_NEGATIVE_QUANTITY")
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        run = await store.runs.latest()
        assert run is not None
        assert run.status == "running"
    status = await _invoke(finished, "status")
    assert "unfinished (running elsewhere, or stopped)" in status
    assert f"bulk-o2c --config {finished} resume {run.run_id}" in status

    resumed = await run_pipeline(settings)

    # The data did not change, so the same orders fail again for the same reason: none is lost.
    assert resumed.completed
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        open_entries = {(e.flow, e.sf_id): e.code for e in await store.dlq.entries(limit=10_000)}
    assert open_entries == expected(boxes, settings).dlq


def test_status_without_a_checkpoint_says_so(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text(f'[run]\nstate_dir = "{tmp_path / "nothing"}"\n')
    result = CliRunner().invoke(app, ["--config", str(config), "status"])
    assert result.exit_code == 1
    assert "no checkpoint" in result.output


async def test_while_a_run_holds_the_state_dir_reading_works_and_writing_exits_5(
    finished: Path, settings: Settings
) -> None:
    with lock_state_dir(settings.run.state_dir) as lock:
        lock.record_run("20250301T120000Z-abc123")
        for command in (["status"], ["dlq", "list"], ["dlq", "export", "--out", "-"]):
            read = await _invoke_for_code(finished, *command)
            assert read.returncode == 0, (command, read.stdout)
        for command in (["dlq", "retry"], ["abandon", "20250301T120000Z-abc123"]):
            refused = await _invoke_for_code(finished, *command)
            output = refused.stdout.decode()
            assert refused.returncode == EXIT_LOCKED, (command, output)
            assert (
                f"pid {os.getpid()} on {socket.gethostname()}, run 20250301T120000Z-abc123, since 20"
                in output
            )
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        assert await store.dlq.count((await _latest(store)).run_id) > 0  # nothing was retried


async def test_a_second_run_process_exits_5_naming_the_holder(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    config, env = write_config(settings, boxes, tmp_path)
    with lock_state_dir(settings.run.state_dir) as lock:
        lock.record_run("20250301T120000Z-abc123")
        refused = await anyio.run_process(
            [sys.executable, "-m", "bulk_o2c", "--config", str(config), "run"], env=env, check=False
        )
    output = refused.stdout.decode()
    assert refused.returncode == EXIT_LOCKED, output
    assert f"pid {os.getpid()} on {socket.gethostname()}, run 20250301T120000Z-abc123, since 20" in output
    assert boxes.netsuite.stats.requests == 0  # refused before anything was asked of either system
    assert boxes.salesforce.stats.query_jobs_created == 0


async def test_abandon_closes_an_unfinished_run_and_the_next_run_is_a_new_one(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    done = await run_pipeline(settings)
    stop = anyio.Event()
    stop.set()
    stuck = await run_pipeline(settings, stop=stop)
    assert stuck.run.run_id != done.run.run_id
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        marks = {flow: await store.runs.high_water_mark(flow) for flow in ("Account", "Order", "OrderItem")}
    config = tmp_path / "abandon.toml"
    config.write_text(f'[run]\nstate_dir = "{settings.run.state_dir}"\n')

    abandoned = await _invoke_for_code(config, "abandon", stuck.run.run_id)

    assert abandoned.returncode == 0, abandoned.stdout
    assert f"run {stuck.run.run_id} abandoned" in abandoned.stdout.decode()
    assert f"run {stuck.run.run_id}: abandoned" in await _invoke(config, "status", stuck.run.run_id)
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        assert {f: await store.runs.high_water_mark(f) for f in marks} == marks
    again = await _invoke_for_code(config, "abandon", stuck.run.run_id)
    assert again.returncode == 1
    assert "only an unfinished run can be abandoned" in again.stdout.decode()
    with pytest.raises(ConfigError, match="was abandoned"):
        await run_pipeline(settings, run_id=stuck.run.run_id)
    await anyio.sleep(1.1)  # windows end on a whole second

    after = await run_pipeline(settings)

    assert after.completed
    assert after.run.run_id not in (done.run.run_id, stuck.run.run_id)


async def test_resume_with_another_subsidiary_is_refused_until_accepted(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    stop = anyio.Event()
    stop.set()
    stopped = await run_pipeline(settings, stop=stop)
    config, env = write_config(settings, boxes, tmp_path)
    config.write_text(config.read_text() + '[mapping]\nsubsidiary_id = "2"\n')
    command = [sys.executable, "-m", "bulk_o2c", "--config", str(config), "resume", stopped.run.run_id]

    refused = await anyio.run_process(command, env=env, check=False)

    output = refused.stdout.decode()
    assert refused.returncode == 1, output
    assert (
        f'run {stopped.run.run_id} was started with other settings: mapping.subsidiary_id ("1" -> "2").'
        in output
    )
    assert "--accept-changed-settings" in output
    assert boxes.netsuite.stats.records_received == 0

    accepted = await anyio.run_process([*command, "--accept-changed-settings"], env=env, check=False)

    assert accepted.returncode in (0, 3), accepted.stdout.decode()
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        assert (await _latest(store)).status == "completed"


async def _invoke_for_code(config: Path, *args: str) -> CompletedProcess[bytes]:
    return await anyio.run_process(
        [sys.executable, "-m", "bulk_o2c", "--config", str(config), *args], check=False
    )


async def _latest(store: CheckpointStore) -> RunInfo:
    run = await store.runs.latest()
    assert run is not None
    return run
