"""The account's concurrency pool: over-limit requests are blocked at once; pressure takes slots."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bulk_o2c.sandbox.netsuite import LatencyModel, NetSuiteSandbox
from bulk_o2c.sandbox.netsuite.pool import ConcurrencyPool
from tests.sandbox.netsuite.conftest import until

# Slow enough that requests are still in flight while the test sends the next one.
SLOW = {"time_scale": 1.0, "latency": LatencyModel(base_s=0.5, record_s={}, other_record_s=0.0)}


@pytest.fixture
def config(make_config: Any) -> Any:
    return make_config(**SLOW)


async def test_the_request_over_the_limit_is_blocked_while_the_others_are_in_flight(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    limit = sandbox.config.concurrency_limit
    admitted = [asyncio.create_task(client.upsert(wire.customer(f"CUST-{n}"))) for n in range(limit)]
    await until(lambda: sandbox.stats.in_flight == limit)

    blocked = await client.upsert(wire.customer("CUST-over"))
    assert blocked.status == 500
    assert blocked.fault() == (
        "exceededConcurrentRequestLimitFault",
        "WS_REQUEST_BLOCKED",
        "SuiteTalk concurrent request limit exceeded. Request blocked.",
    )

    replies = await asyncio.gather(*admitted)
    assert [reply.status for reply in replies] == [200] * limit
    stats = sandbox.stats
    assert (stats.highest_concurrency, stats.blocked, stats.in_flight) == (limit, 1, 0)
    assert stats.faults_sent == {"WS_REQUEST_BLOCKED": 1}
    assert stats.requests == limit + 1
    assert sandbox.record("customer", "CUST-over") is None
    # A slot freed is a slot available again.
    assert (await client.upsert(wire.customer("CUST-after"))).status == 200


async def test_pressure_from_other_integrations_leaves_fewer_slots(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.set_pressure(3)  # 5 - 3 = 2 slots left for this client
    admitted = [asyncio.create_task(client.upsert(wire.customer(f"CUST-{n}"))) for n in range(2)]
    await until(lambda: sandbox.stats.in_flight == 2)
    assert (await client.upsert(wire.customer("CUST-3"))).fault()[1] == "WS_REQUEST_BLOCKED"

    sandbox.clear_pressure()
    assert (await client.upsert(wire.customer("CUST-4"))).status == 200
    assert [reply.status for reply in await asyncio.gather(*admitted)] == [200, 200]
    assert sandbox.stats.highest_concurrency == 3
    assert sandbox.stats.blocked == 1


async def test_full_pressure_blocks_everything_until_cleared_over_http(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    url = f"{sandbox.base_url}/sandbox/pressure"
    async with client.session.post(url, json={"slots": 5}) as response:
        assert response.status == 200
        assert await response.json() == {"pressure": 5}
    assert (await client.upsert(wire.customer("CUST-1"))).fault()[1] == "WS_REQUEST_BLOCKED"
    assert sandbox.stats.pressure == 5
    async with client.session.delete(url) as response:
        assert response.status == 200
    assert sandbox.stats.pressure == 0


@pytest.mark.parametrize("body", [{"slots": 6}, {"slots": -1}, {"slots": "2"}, {"slot": 2}, [2]])
async def test_a_bad_pressure_body_is_refused(client: Any, sandbox: NetSuiteSandbox, body: Any) -> None:
    async with client.session.post(f"{sandbox.base_url}/sandbox/pressure", json=body) as response:
        assert response.status == 400
        assert "error" in await response.json()
    assert sandbox.stats.pressure == 0


def test_pressure_cannot_exceed_the_limit(config: Any) -> None:
    sandbox = NetSuiteSandbox(config)
    with pytest.raises(ValueError, match="between 0 and the account limit"):
        sandbox.set_pressure(6)


async def test_a_blocked_request_leaves_the_connection_usable(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.set_pressure(5)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        body = wire.envelope(wire.customer("CUST-1"), client.passport())
        headers = {"SOAPAction": "upsertList"}
        for _ in range(3):
            async with session.post(sandbox.soap_url(), data=body, headers=headers) as response:
                assert response.status == 500
    assert sandbox.stats.blocked == 3


def test_the_integrations_share_is_enforced_however_idle_the_pool() -> None:
    pool = ConcurrencyPool(10, share=2)
    assert [pool.try_acquire() for _ in range(3)] == [True, True, False]
    assert (pool.in_flight, pool.blocked) == (2, 1)
    pool.release()
    assert pool.try_acquire()
    # Others' load still counts against the whole account.
    pool.set_pressure(9)
    pool.release()
    pool.release()
    assert pool.try_acquire()
    assert not pool.try_acquire()
