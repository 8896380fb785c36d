"""``bulk-o2c doctor`` and ``doctor verify`` as a user runs them: a process, a config file, the
secrets in the environment, against both sandboxes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest

from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.commands.doctor import DoctorReport, record_lines, verify
from bulk_o2c.config import Settings
from bulk_o2c.pipeline.preflight import Finding
from bulk_o2c.protocol.netsuite.response import FetchedRecord
from bulk_o2c.transport.netsuite.writer import open_writer
from tests.support.runs import write_config
from tests.transport.netsuite.test_writer import customers


async def doctor(config: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Exit status, stdout (the report) and stderr (the log)."""
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [sys.executable, "-m", "bulk_o2c", "--config", str(config), "doctor", *args],
            env={**env, "COLUMNS": "200"},
            check=False,
        )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def secrets_of(env: dict[str, str], settings: Settings) -> list[str]:
    values = [v for k, v in env.items() if k.startswith("BULK_O2C_")]
    key = settings.salesforce.private_key
    assert key is not None
    return [*values, *key.get_secret_value().splitlines()[1:-1]]


async def test_a_setup_that_works_exits_0_and_prints_no_secret(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    config, env = write_config(settings, boxes, tmp_path)
    status, output, log = await doctor(config, env)
    assert status == 0, output
    assert "ok    NetSuite   token-based auth" in output
    assert "ok    Salesforce jwt token: token obtained" in output
    assert "a run can start\n" in output
    for secret in secrets_of(env, settings):
        assert secret not in output + log

    status, output, log = await doctor(config, env, "--json")
    assert status == 0, output
    report = json.loads(output)
    assert report["can_run"] is True
    assert {f["check"] for f in report["findings"]} >= {"token-based auth", "concurrency", "jwt token"}


async def test_refused_credentials_exit_1_and_say_what_to_fix(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    config, env = write_config(settings, boxes, tmp_path)
    env["BULK_O2C_NETSUITE__TOKEN_SECRET"] = "f" * 64
    status, output, log = await doctor(config, env)
    assert status == 1, output
    assert "FAIL  NetSuite   token-based auth: INVALID_LOGIN_ATTEMPT" in output
    assert "fix: check netsuite.account_id" in output
    assert "a run cannot start: 1 problem(s) to fix above" in output
    assert "f" * 64 not in output + log
    status, output, log = await doctor(config, env, "--json")
    assert status == 1
    assert json.loads(output)["can_run"] is False


async def test_verify_prints_the_record_or_exits_1(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    async with open_writer(settings.netsuite) as writer:
        (saved,) = await writer.write_chunk(customers(1))
    config, env = write_config(settings, boxes, tmp_path)
    status, output, _log = await doctor(config, env, "verify", "customer", saved.external_id)
    assert status == 0, output
    assert f"customer {saved.external_id}: internal id {saved.internal_id} (Customer)" in output
    assert "companyName: " in output
    status, output, _log = await doctor(config, env, "verify", "sales-order", "SF_ORDER_NONE", "--json")
    assert status == 1
    assert json.loads(output) == {
        "kind": "sales-order",
        "external_id": "SF_ORDER_NONE",
        "found": False,
        "record": None,
    }


async def test_verify_refuses_an_unknown_kind(settings: Settings) -> None:
    from bulk_o2c.errors import ConfigError

    with pytest.raises(ConfigError, match="customer, sales-order, item"):
        await verify(settings, "invoice", "X")


def test_report_lines_show_the_fix_only_for_what_is_not_fine() -> None:
    report = DoctorReport(
        (
            Finding("NetSuite", "clock", "ok", "fine", "never shown"),
            Finding("NetSuite", "concurrency", "warn", "no figures", "set netsuite.concurrency"),
        )
    )
    text = "\n".join(line.plain for line in report.lines())
    assert "never shown" not in text
    assert "fix: set netsuite.concurrency" in text
    assert report.can_run
    lines = record_lines("customer", "C-1", FetchedRecord("Customer", "7", "C-1", {"companyName": "Acme"}))
    assert [line.plain for line in lines] == ["customer C-1: internal id 7 (Customer)", "  companyName: Acme"]


async def test_verify_finds_an_item_of_the_catalogue(boxes: Sandboxes, settings: Settings) -> None:
    code = boxes.netsuite.records("item")[0].external_id
    found = await verify(settings, "item", code)
    assert found is not None
    assert (found.external_id, found.record_type) == (code, "InventoryItem")
    assert await verify(settings, "item", "NO-SUCH-SKU") is None
