from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bulk_o2c.commands.load_customers import load_customers
from bulk_o2c.commands.sandboxes import describe_netsuite_sandbox, netsuite_sandbox_settings
from bulk_o2c.config import load_settings
from bulk_o2c.errors import ConfigError
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[NetSuiteSandbox]:
    async with NetSuiteSandbox(NetSuiteSandboxConfig(concurrency_limit=3, time_scale=0.01)) as running:
        yield running


async def test_describe_reads_the_running_sandbox(sandbox: NetSuiteSandbox) -> None:
    account = await describe_netsuite_sandbox(sandbox.base_url)
    assert account.concurrency_limit == 3
    assert account.request_seconds(100) == pytest.approx(sandbox.config.request_seconds({"customer": 100}))
    assert account.ceiling(3, 100) == pytest.approx(300 / sandbox.config.request_seconds({"customer": 100}))


async def test_load_stores_every_customer_once_and_reports_it(sandbox: NetSuiteSandbox) -> None:
    account = await describe_netsuite_sandbox(sandbox.base_url)
    settings = netsuite_sandbox_settings(
        load_settings(netsuite={"concurrency": 3, "chunk_size": 50}).netsuite, sandbox.base_url, account
    )
    report = await load_customers(settings, 420)
    assert (report.saved, report.failed, report.requests) == (420, 0, 9)
    assert 1 <= report.peak_concurrency <= 3
    stored = sandbox.records("customer")
    assert len(stored) == 420
    assert {r.write_count for r in stored} == {1}


async def test_describe_refuses_a_port_where_no_sandbox_listens() -> None:
    with pytest.raises(ConfigError, match="no NetSuite sandbox"):
        await describe_netsuite_sandbox("http://127.0.0.1:9")


async def test_the_ceiling_is_bounded_by_the_accounts_pool_and_record_cap(sandbox: NetSuiteSandbox) -> None:
    account = await describe_netsuite_sandbox(sandbox.base_url)  # pool 3, 100 records per request
    assert account.effective(10, 500) == (3, 100)
    assert account.ceiling(10, 500) == account.ceiling(3, 100)
