from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from rich.console import Console

from bulk_o2c.bench.sweep import BenchResult, Setting
from bulk_o2c.commands.bench import (
    BenchOptions,
    Watchers,
    bench_command,
    default_prefix,
    parse_grid,
    run_bench,
)
from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.load import FlowLoader
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox

PREFIX = "BOC_BENCH_TEST_"


@pytest.fixture
async def sandbox() -> AsyncIterator[NetSuiteSandbox]:
    async with NetSuiteSandbox(NetSuiteSandboxConfig(concurrency_limit=2, time_scale=0.002)) as running:
        yield running


def account_settings(sandbox: NetSuiteSandbox) -> NetSuiteSettings:
    """Settings of a 'real' account: here a second sandbox, so every request to it can be counted."""
    credentials = sandbox.credentials
    return NetSuiteSettings(
        account_id=sandbox.config.account_id,
        soap_url=sandbox.soap_url(),
        consumer_key=SecretStr(credentials.consumer_key),
        consumer_secret=SecretStr(credentials.consumer_secret),
        token_id=SecretStr(credentials.token_id),
        token_secret=SecretStr(credentials.token_secret),
    )


async def sweep_sandbox(
    sandbox: NetSuiteSandbox, concurrencies: list[int], *, chunk_size: int, records: int
) -> BenchResult:
    return await run_bench(
        NetSuiteSettings(),
        target_sandbox_url=sandbox.base_url,
        concurrencies=concurrencies,
        chunk_sizes=[chunk_size],
        records_per_setting=records,
        real_account=False,
        record_cap=0,  # a cap only matters on a real account
        prefix=PREFIX,
    )


async def test_a_tiny_sweep_measures_each_setting_and_recommends_one_without_faults() -> None:
    # Requests of 375 ms: long enough that the client's own time (a few milliseconds a chunk, and up
    # to the settler's linger of 0.1 s for the last commit, as in a run) keeps it above 80 %.
    config = NetSuiteSandboxConfig(concurrency_limit=2, time_scale=0.5)
    async with NetSuiteSandbox(config) as sandbox:
        result = await sweep_sandbox(sandbox, [2, 4], chunk_size=25, records=200)
        stored = sandbox.records("customer")
    assert [r.setting for r in result.rows] == [Setting(2, 25), Setting(4, 25)]
    assert [r.saved for r in result.rows] == [200, 200]
    assert result.rows[0].faults == {}
    assert result.rows[1].concurrency_faults > 0  # 4 at once on a pool of 2
    assert result.recommendation.setting == Setting(2, 25)
    assert "pool 2" in result.target
    assert len(stored) == 400
    assert all(r.external_id.startswith(PREFIX) for r in stored)


async def test_each_setting_is_loaded_by_the_runs_flow_loader(
    sandbox: NetSuiteSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    workers: list[int] = []
    run = FlowLoader.run

    async def observed(loader: FlowLoader) -> None:
        workers.append(loader._workers)
        await run(loader)

    monkeypatch.setattr(FlowLoader, "run", observed)
    result = await sweep_sandbox(sandbox, [1, 2], chunk_size=10, records=40)
    assert workers == [1, 2]  # one loader per setting, a worker per slot as in a run
    assert [r.saved for r in result.rows] == [40, 40]


async def test_without_the_flag_the_configured_account_is_never_contacted(sandbox: NetSuiteSandbox) -> None:
    async with NetSuiteSandbox(NetSuiteSandboxConfig(time_scale=0)) as configured:
        await run_bench(
            account_settings(configured),
            target_sandbox_url=sandbox.base_url,
            concurrencies=[1],
            chunk_sizes=[10],
            records_per_setting=20,
            real_account=False,
            record_cap=0,
            prefix=PREFIX,
        )
        assert configured.stats.requests == 0
    assert len(sandbox.records("customer")) == 20


@pytest.mark.parametrize(
    ("records", "cap", "prefix", "url", "message"),
    [
        (None, 0, PREFIX, False, "record cap of at least 1"),
        (300, 500, PREFIX, False, "over the record cap of 500"),
        (None, 100, PREFIX, False, "cannot fill one request per slot"),
        (None, 2000, "MY_", False, "must start with BOC_BENCH_"),
        (None, 2000, PREFIX, True, "not both"),
    ],
)
async def test_a_real_account_is_refused_without_a_cap_a_bench_prefix_or_a_clear_target(
    sandbox: NetSuiteSandbox, records: int | None, cap: int, prefix: str, url: bool, message: str
) -> None:
    started: list[str] = []
    with pytest.raises(ConfigError, match=message):
        await run_bench(
            account_settings(sandbox),
            target_sandbox_url=sandbox.base_url if url else None,
            concurrencies=[1, 2],
            chunk_sizes=[50],
            records_per_setting=records,
            real_account=True,
            record_cap=cap,
            prefix=prefix,
            watchers=Watchers(on_start=lambda target, _: started.append(target)),
        )
    assert sandbox.stats.requests == 0  # refused before the first request
    assert started == []  # and before announcing a sweep


async def test_a_real_account_needs_its_credentials(sandbox: NetSuiteSandbox) -> None:
    with pytest.raises(ConfigError, match="token-based auth"):
        await run_bench(
            NetSuiteSettings(soap_url=sandbox.soap_url()),
            target_sandbox_url=None,
            concurrencies=[1],
            chunk_sizes=[10],
            records_per_setting=None,
            real_account=True,
            record_cap=100,
            prefix=PREFIX,
        )
    assert sandbox.stats.requests == 0


async def sweep_real_account(
    settings: NetSuiteSettings, record_cap: int, started: list[tuple[str, int]]
) -> BenchResult:
    """A two-setting sweep of a 'real' account; ``started`` collects what it announced."""
    return await run_bench(
        settings,
        target_sandbox_url=None,
        concurrencies=[1, 2],
        chunk_sizes=[10],
        records_per_setting=None,
        real_account=True,
        record_cap=record_cap,
        prefix=PREFIX,
        watchers=Watchers(on_start=lambda target, records: started.append((target, records))),
    )


async def test_a_real_account_that_refuses_the_login_stops_the_sweep_before_it_starts(
    sandbox: NetSuiteSandbox,
) -> None:
    started: list[tuple[str, int]] = []
    wrong = account_settings(sandbox).model_copy(update={"token_secret": SecretStr("not-the-secret")})
    with pytest.raises(ConfigError, match="NetSuite refused the check"):
        await sweep_real_account(wrong, 100, started)
    assert started == []
    assert sandbox.stats.requests == 1  # the getServerTime, and no upsert
    assert sandbox.records("customer") == []


async def test_a_real_account_gets_at_most_the_cap_shared_out(sandbox: NetSuiteSandbox) -> None:
    started: list[tuple[str, int]] = []
    result = await sweep_real_account(account_settings(sandbox), 101, started)
    assert started == [(result.target, 100)]
    assert [r.records for r in result.rows] == [50, 50]
    assert all(r.ceiling is None and r.efficiency is None for r in result.rows)
    assert len(sandbox.records("customer")) == 100
    assert result.target.startswith("NetSuite account 1234567_SB1")


async def test_the_command_prints_the_table_and_writes_json_and_csv(
    sandbox: NetSuiteSandbox, tmp_path: Path
) -> None:
    console = Console(width=200, record=True)
    options = BenchOptions(
        sandbox=sandbox.base_url,
        concurrency="1,2",
        chunk_size="20",
        records=40,
        prefix=PREFIX,
        json=tmp_path / "b.json",
        csv=tmp_path / "b.csv",
    )
    assert await bench_command(NetSuiteSettings(), console, options) == 0
    text = console.export_text()
    assert "sweeping 2 settings against NetSuite sandbox at" in text
    assert f"80 customers, external ids starting with {PREFIX}" in text
    assert "recommended (*)" in text
    doc = json.loads((tmp_path / "b.json").read_text())
    assert [(s["concurrency"], s["chunk_size"], s["saved"]) for s in doc["settings"]] == [
        (1, 20, 40),
        (2, 20, 40),
    ]
    with (tmp_path / "b.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["concurrency"]), float(r["records_per_s"])) for r in rows] == [
        (s["concurrency"], s["records_per_s"]) for s in doc["settings"]
    ]
    assert [r["recommended"] == "True" for r in rows] == [s["recommended"] for s in doc["settings"]]


async def test_the_command_spawns_a_sandbox_process_when_no_target_is_given(tmp_path: Path) -> None:
    console = Console(width=200, record=True)
    options = BenchOptions(concurrency="1", chunk_size="10", records=20, prefix=PREFIX, time_scale=0.0)
    assert await bench_command(NetSuiteSettings(), console, options) == 0
    assert "pool 5" in console.export_text()


def test_grids_and_prefixes() -> None:
    assert parse_grid("10, 1,5,5") == [1, 5, 10]
    with pytest.raises(ConfigError, match="whole numbers"):
        parse_grid("1,x")
    with pytest.raises(ConfigError, match="at least one"):
        parse_grid(" , ")
    assert default_prefix(datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)) == "BOC_BENCH_20250301123005_"
