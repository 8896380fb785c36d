"""``status`` and ``dlq`` against the checkpoint of a real run, through the CLI as a user types it."""

from __future__ import annotations

import csv
import io
import os
import socket
import stat
import sys
from pathlib import Path

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
from tests.support.cli import bulk_o2c, error_line, run
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


def _warned(boxes: Sandboxes, settings: Settings) -> dict[str, set[str]]:
    """Kind -> the loaded Accounts the data set gave a NUL in the name or a name NetSuite must cut."""
    dataset, want = boxes.salesforce.dataset, expected(boxes, settings)
    kinds: dict[str, set[str]] = {"CHARACTERS_REMOVED": set(), "TEXT_CUT": set()}
    for slot in range(dataset.count("Account")):
        row = dataset.row("Account", slot)
        sf_id, name = row["Id"] or "", row["Name"] or ""
        if settings.mapping.customer_external_id_prefix + sf_id not in want.customers:
            continue
        if "\x00" in name:
            kinds["CHARACTERS_REMOVED"].add(sf_id)
        if len(name) > settings.mapping.company_name_limit:
            kinds["TEXT_CUT"].add(sf_id)
    assert all(kinds.values()), "the data set has records of both kinds"
    return kinds


async def test_warnings_are_counted_in_status_and_each_is_listed_and_exported_with_its_record(
    finished: Path, boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    kinds = _warned(boxes, settings)
    # A NUL is removed twice: from companyName and from the billing address's addressee (the name).
    counted = f"CHARACTERS_REMOVED {2 * len(kinds['CHARACTERS_REMOVED'])}, TEXT_CUT {len(kinds['TEXT_CUT'])}"

    assert f"warnings: Account {counted}" in await _invoke(finished, "status")

    listing = await _invoke(finished, "warnings", "list", "--limit", "1000")
    assert f"by flow and kind: Account {counted}" in listing
    for kind, ids in kinds.items():
        lines = [line for line in listing.splitlines() if f"[{kind}]" in line]
        assert {line.split()[2] for line in lines} == ids
    assert "removed from addressbookList[0].addressbookAddress.addressee" in listing

    out = tmp_path / "exports" / "warnings.csv"
    await _invoke(finished, "warnings", "export", "--out", str(out), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {kind: {r["sf_id"] for r in rows if r["kind"] == kind} for kind in kinds} == kinds
    assert all(orjson.loads(r["source"])["Id"] == r["sf_id"] and r["internal_id"] for r in rows)
    nul = next(r for r in rows if r["kind"] == "CHARACTERS_REMOVED")
    assert "\x00" in orjson.loads(nul["source"])["Name"]  # the record as Salesforce has it
    assert out.stat().st_mode & 0o777 == 0o600


def test_status_without_a_checkpoint_says_so(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text(f'[run]\nstate_dir = "{tmp_path / "nothing"}"\n')
    result = CliRunner().invoke(app, ["--config", str(config), "status"])
    assert result.exit_code == 1
    assert "no checkpoint" in result.output


async def test_dlq_export_into_a_missing_folder_creates_it_for_its_owner_only(
    finished: Path, tmp_path: Path
) -> None:
    out = tmp_path / "exports" / "today" / "dlq.jsonl"

    code, output = await run(
        bulk_o2c("--config", str(finished), "dlq", "export", "--out", str(out), "--format", "jsonl")
    )

    assert code == 0, output
    assert f"written to {out}" in output
    assert out.read_text().count("\n") > 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    for folder in (tmp_path / "exports", out.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


async def test_dlq_export_to_a_folder_says_to_give_a_file(finished: Path, tmp_path: Path) -> None:
    code, output = await run(bulk_o2c("--config", str(finished), "dlq", "export", "--out", str(tmp_path)))

    assert code == 1
    assert f"cannot write the DLQ export {tmp_path}: {tmp_path} is a folder: give a file path" in error_line(
        output
    )


async def test_while_a_run_holds_the_state_dir_reading_works_and_writing_exits_5(
    finished: Path, settings: Settings
) -> None:
    with lock_state_dir(settings.run.state_dir) as lock:
        lock.record_run("20250301T120000Z-abc123")
        for command in (["status"], ["dlq", "list"], ["dlq", "export", "--out", "-"]):
            code, output = await run(bulk_o2c("--config", str(finished), *command))
            assert code == 0, (command, output)
        for command in (["dlq", "retry"], ["abandon", "20250301T120000Z-abc123"]):
            code, output = await run(bulk_o2c("--config", str(finished), *command))
            assert code == EXIT_LOCKED, (command, output)
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
        code, output = await run(bulk_o2c("--config", str(config), "run"), env)
    assert code == EXIT_LOCKED, output
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

    code, output = await run(bulk_o2c("--config", str(config), "abandon", stuck.run.run_id))

    assert code == 0, output
    assert f"run {stuck.run.run_id} abandoned" in output
    assert f"run {stuck.run.run_id}: abandoned" in await _invoke(config, "status", stuck.run.run_id)
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        assert {f: await store.runs.high_water_mark(f) for f in marks} == marks
    code, output = await run(bulk_o2c("--config", str(config), "abandon", stuck.run.run_id))
    assert code == 1
    assert "only an unfinished run can be abandoned" in error_line(output)
    with pytest.raises(ConfigError, match="was abandoned"):
        await run_pipeline(settings, run_id=stuck.run.run_id)
    await anyio.sleep(1.1)  # windows end on a whole second

    after = await run_pipeline(settings)

    assert after.completed
    assert after.run.run_id not in (done.run.run_id, stuck.run.run_id)


async def test_resume_with_another_mapping_is_refused_until_accepted(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    stop = anyio.Event()
    stop.set()
    stopped = await run_pipeline(settings, stop=stop)
    config, env = write_config(settings, boxes, tmp_path, extra={"mapping": {"time_zone": "Asia/Tokyo"}})
    command = bulk_o2c("--config", str(config), "resume", stopped.run.run_id)

    code, output = await run(command, env)

    assert code == 1, output
    assert (
        f"run {stopped.run.run_id} was started with other settings: "
        f'mapping.time_zone ("{settings.mapping.time_zone}" -> "Asia/Tokyo").' in error_line(output)
    )
    assert "--accept-changed-settings" in output
    assert boxes.netsuite.stats.records_received == 0

    code, output = await run([*command, "--accept-changed-settings"], env)

    assert code in (0, 3), output
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        assert (await _latest(store)).status == "completed"


async def _latest(store: CheckpointStore) -> RunInfo:
    run = await store.runs.latest()
    assert run is not None
    return run
