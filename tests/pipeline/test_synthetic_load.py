"""``load_customers``: synthetic customers through the run's ``FlowLoader``, against a sandbox."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.pipeline.load import FlowLoader
from bulk_o2c.pipeline.synthetic_load import load_customers
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox
from tests.support.netsuite_sandbox import settings_for


@pytest.fixture
async def sandbox() -> AsyncIterator[NetSuiteSandbox]:
    async with NetSuiteSandbox(NetSuiteSandboxConfig(concurrency_limit=3, time_scale=0.01)) as running:
        yield running


def aimed(sandbox: NetSuiteSandbox, **overrides: object) -> NetSuiteSettings:
    return settings_for(sandbox, concurrency=3, chunk_size=50, **overrides)


async def test_load_stores_every_customer_once_and_reports_it(sandbox: NetSuiteSandbox) -> None:
    report = await load_customers(aimed(sandbox), 420)
    assert (report.saved, report.failed, report.requests) == (420, 0, 9)
    assert 1 <= report.peak_concurrency <= 3
    assert report.first_errors == ()
    stored = sandbox.records("customer")
    assert len(stored) == 420
    assert {r.write_count for r in stored} == {1}


async def test_the_load_is_the_runs_loader_with_a_worker_per_slot(
    sandbox: NetSuiteSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[tuple[str, int, int]] = []
    run = FlowLoader.run

    async def observed(loader: FlowLoader) -> None:
        loads.append((loader._spec.flow, loader._workers, loader._chunk_size))
        await run(loader)

    monkeypatch.setattr(FlowLoader, "run", observed)
    report = await load_customers(aimed(sandbox), 120)
    assert loads == [("Account", 3, 50)]
    assert report.saved == 120


async def test_a_refused_login_fails_every_record_and_says_why(sandbox: NetSuiteSandbox) -> None:
    report = await load_customers(aimed(sandbox, token_secret="0" * 64), 60)
    assert (report.saved, report.failed) == (0, 60)
    assert any("INVALID_LOGIN_ATTEMPT" in line for line in report.first_errors)
    assert sandbox.records("customer") == []


async def test_the_throwaway_checkpoint_is_removed(
    sandbox: NetSuiteSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    await load_customers(aimed(sandbox), 10)
    assert os.listdir(tmp_path) == []
