"""A checkpoint that cannot be used, through ``bulk-o2c`` as a user meets it: one line naming the file
and what to do, exit 1, never a traceback; after a full disk the same command continues the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.config import Settings
from bulk_o2c.store import Fingerprint
from bulk_o2c.store.store import CHECKPOINT_FILE, open_store
from tests.support.cli import (
    bulk_o2c,
    bulk_o2c_with_file_size_limit,
    error_line,
    run,
    without_privileges,
)
from tests.support.runs import expected, write_config


def _config(tmp_path: Path, state_dir: Path) -> Path:
    config = tmp_path / "bulk-o2c.toml"
    config.write_text(f'[run]\nstate_dir = "{state_dir}"\n')
    return config


async def _a_checkpoint(state_dir: Path) -> Path:
    path = state_dir / CHECKPOINT_FILE
    async with open_store(path):
        pass
    return path


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:50], id="truncated-in-the-header"),
        pytest.param(lambda data: b"order_id,amount\n" * 300, id="not-a-database"),
    ],
)
async def test_a_damaged_checkpoint_says_which_file_and_what_to_do(
    tmp_path: Path, damage: Callable[[bytes], bytes], settings_fingerprint: Fingerprint
) -> None:
    path = await _a_checkpoint(tmp_path / "state")
    async with open_store(path) as store:
        for _ in range(50):  # some pages, so that half of the file is a real truncation
            await store.runs.start(settings_fingerprint)
    path.write_bytes(damage(path.read_bytes()))

    code, output = await run(bulk_o2c("--config", str(_config(tmp_path, tmp_path / "state")), "status"))

    assert code == 1
    line = error_line(output)
    assert f"checkpoint {path}" in line
    assert "move it aside" in line
    assert "restore it from a backup" in line


async def test_a_read_only_state_directory_is_named(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    await _a_checkpoint(state_dir)
    state_dir.chmod(0o500)
    try:
        code, output = await run(
            without_privileges(bulk_o2c("--config", str(_config(tmp_path, state_dir)), "status"))
        )
    finally:
        state_dir.chmod(0o700)

    assert code == 1
    line = error_line(output)
    assert str(state_dir) in line
    assert "writable" in line


@pytest.mark.parametrize("command", [["status"], ["dlq", "list"], ["dlq", "export", "--out", "-"]])
async def test_a_state_dir_that_is_a_file_is_named(tmp_path: Path, command: list[str]) -> None:
    state_dir = tmp_path / "state"
    state_dir.write_text("not a folder")

    code, output = await run(bulk_o2c("--config", str(_config(tmp_path, state_dir)), *command))

    assert code == 1
    assert f"run.state_dir {state_dir} is a file, not a folder" in error_line(output)


@pytest.mark.parametrize("problem", ["a file", "read-only"])
async def test_a_run_names_a_state_dir_it_cannot_use_before_extracting(
    boxes: Sandboxes, settings: Settings, tmp_path: Path, problem: str
) -> None:
    config, env = write_config(settings, boxes, tmp_path)
    state_dir = settings.run.state_dir
    if problem == "a file":
        state_dir.write_text("not a folder")
    else:
        state_dir.mkdir(mode=0o500)

    code, output = await run(without_privileges(bulk_o2c("--config", str(config), "run")), env)

    assert code == 1
    line = error_line(output)
    assert f"the checkpoint {state_dir / CHECKPOINT_FILE}" in line
    assert (f"{state_dir} is a file, not a folder" if problem == "a file" else "not writable") in line
    assert boxes.salesforce.stats.query_jobs_created == 0


async def test_a_full_disk_stops_the_run_in_one_line_and_the_same_command_continues_it(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    want = expected(boxes, settings)
    config, env = write_config(settings, boxes, tmp_path)
    checkpoint = settings.run.state_dir / CHECKPOINT_FILE

    # The disk fills up in the middle of the customers' load: files stop growing at 2.5 MiB.
    code, output = await run(bulk_o2c_with_file_size_limit(2560 * 1024, "--config", str(config), "run"), env)

    assert code == 1
    assert boxes.netsuite.stats.records_written > 0
    line = error_line(output)
    assert f"checkpoint {checkpoint}" in line
    assert "run the same command again" in line
    async with open_store(checkpoint) as store:
        started = await store.runs.latest()
    assert started is not None
    assert started.status == "running"

    code, output = await run(bulk_o2c("--config", str(config), "run"), env)

    assert code == 3, output  # partial success: the deliberately bad records are in the DLQ
    assert f"run {started.run_id} (completed)" in output
    assert sorted(r.external_id for r in boxes.netsuite.records("customer")) == sorted(want.customers)
    assert sorted(r.external_id for r in boxes.netsuite.records("salesOrder")) == sorted(want.sales_orders)
