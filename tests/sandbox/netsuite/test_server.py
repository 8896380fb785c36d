"""The sandbox object: lifecycle, loopback only, introspection in Python and over HTTP, serve()."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
import orjson
import pytest

from bulk_o2c.errors import ConfigError
from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, NetSuiteSandboxConfig, serve


async def test_urls_follow_the_netsuite_port_pattern(sandbox: NetSuiteSandbox) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    assert sandbox.soap_url() == f"{sandbox.base_url}/services/NetSuitePort_2025_2"
    assert sandbox.soap_url("2024_2").endswith("/services/NetSuitePort_2024_2")


async def test_a_stopped_sandbox_has_no_url_and_keeps_its_records(config: NetSuiteSandboxConfig) -> None:
    sandbox = NetSuiteSandbox(config)
    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.base_url
    await sandbox.start()
    await sandbox.stop()
    await sandbox.stop()  # stopping twice is harmless
    sandbox.add_items(["SKU-9"])
    assert sandbox.stats.records["item"] == 3


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])  # noqa: S104 (refused)
async def test_only_loopback_addresses_are_served(config: NetSuiteSandboxConfig, host: str) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        await NetSuiteSandbox(config).start(host=host)


async def test_stats_in_python_and_over_http(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    await client.upsert(wire.customer("CUST-1"), wire.customer(None))
    await client.upsert(wire.customer("CUST-2"), header=client.passport(signature="bad"))
    stats = sandbox.stats
    assert stats.requests == 2
    assert stats.records_received == 2  # the refused login's record never counted
    assert stats.records_written == 1
    assert stats.faults_sent == {"INVALID_LOGIN_ATTEMPT": 1}
    assert stats.record_errors == {"USER_ERROR": 1}
    assert stats.records == {"item": 2, "customer": 1}
    assert stats.concurrency_limit == 5

    async with client.session.get(f"{sandbox.base_url}/sandbox/stats") as response:
        assert response.status == 200
        data = await response.json()
    assert data["stats"]["records_written"] == 1
    assert data["stats"]["faults_sent"] == {"INVALID_LOGIN_ATTEMPT": 1}
    assert data["stats"]["highest_concurrency"] == 1
    assert data["pending_faults"]["failing_requests"] == 0


async def test_account_over_http_describes_pool_cap_and_latency_but_no_secret(
    client: Any, sandbox: NetSuiteSandbox
) -> None:
    async with client.session.get(f"{sandbox.base_url}/sandbox/account") as response:
        assert response.status == 200
        text = await response.text()
    data = orjson.loads(text)
    config = sandbox.config
    assert data["account_id"] == config.account_id
    assert data["concurrency_limit"] == config.concurrency_limit
    assert data["max_records"] == config.max_records
    assert data["time_scale"] == config.time_scale
    assert data["latency"]["base_s"] == config.latency.base_s
    assert data["latency"]["record_s"] == dict(config.latency.record_s)
    for secret in (config.credentials.consumer_secret, config.credentials.token_secret):
        assert secret not in text


async def test_records_over_http_with_paging(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    await client.upsert(*(wire.customer(f"CUST-{n}", f"Company {n}") for n in range(5)))
    url = f"{sandbox.base_url}/sandbox/records"
    async with client.session.get(url, params={"type": "customer", "offset": "1", "limit": "2"}) as response:
        data = await response.json()
    assert data["total"] == 5
    assert [(r["internal_id"], r["external_id"], r["write_count"]) for r in data["records"]] == [
        ("2", "CUST-1", 1),
        ("3", "CUST-2", 1),
    ]
    assert data["records"][0]["fields"]["companyName"] == "Company 1"
    async with client.session.get(url, params={"type": "salesOrder"}) as response:
        assert (await response.json())["records"] == []
    for params in ({}, {"type": "customer", "limit": "x"}, {"type": "customer", "offset": "-1"}):
        async with client.session.get(url, params=params) as response:
            assert response.status == 400


async def test_items_can_be_added_over_http(client: Any, sandbox: NetSuiteSandbox) -> None:
    url = f"{sandbox.base_url}/sandbox/items"
    async with client.session.post(url, json={"external_ids": ["SKU-1", "SKU-3"]}) as response:
        assert await response.json() == {"items": 3}
    async with client.session.post(url, json={"external_ids": ["", 4]}) as response:
        assert response.status == 400
    assert [r.external_id for r in sandbox.records("item")] == ["SKU-1", "SKU-2", "SKU-3"]


async def test_introspection_returns_copies(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    await client.upsert(wire.customer("CUST-1"))
    sandbox.records("customer")[0].fields["companyName"] = "changed"
    sandbox.stats.faults_sent["X"] = 1
    record = sandbox.record("customer", "cust-1")
    assert record is not None
    assert record.fields["companyName"] == "Acme Corp"
    assert "X" not in sandbox.stats.faults_sent
    assert sandbox.record("customer", "nope") is None


async def test_serve_runs_until_cancelled(config: NetSuiteSandboxConfig) -> None:
    ready: asyncio.Queue[NetSuiteSandbox] = asyncio.Queue()
    task = asyncio.create_task(serve(config, "127.0.0.1", 0, on_ready=ready.put_nowait))
    sandbox = await asyncio.wait_for(ready.get(), 5)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sandbox.base_url}/sandbox/stats") as response,
    ):
        assert response.status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(RuntimeError):
        _ = sandbox.base_url


def test_request_seconds_is_the_scaled_latency_model(make_config: Any) -> None:
    default = NetSuiteSandboxConfig()
    # base 0.25 s + 100 customers x 0.02 s
    assert default.request_seconds({"customer": 100}) == pytest.approx(2.25)
    # base 0.25 s + 100 orders x 0.05 s + 300 lines x 0.005 s
    assert default.request_seconds({"salesOrder": 100}, sales_order_lines=300) == pytest.approx(6.75)
    assert default.request_seconds({"contact": 10}) == pytest.approx(0.45)
    scaled = NetSuiteSandbox(make_config(time_scale=0.01))
    assert scaled.request_seconds({"customer": 100}) == pytest.approx(0.0225)


@pytest.mark.parametrize(
    "overrides",
    [
        {"max_records": 0},
        {"max_records": 1001},
        {"concurrency_limit": 0},
        {"time_scale": -1.0},
        {"account_id": "1234567_sb1"},
        {"max_request_bytes": 0},
        {"timestamp_window_s": 0.0},
    ],
)
def test_config_refuses_impossible_accounts(overrides: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        NetSuiteSandboxConfig(**overrides)


def test_max_records_may_go_up_to_a_thousand() -> None:
    assert NetSuiteSandboxConfig(max_records=1000).max_records == 1000
