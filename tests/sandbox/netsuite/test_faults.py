"""Injected faults: transient request faults, changed records, warnings, lost responses, random faults."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bulk_o2c.sandbox.netsuite import NetSuiteSandbox
from bulk_o2c.sandbox.netsuite.faults import FaultPlan


async def test_the_next_requests_fail_with_unexpected_error_and_write_nothing(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.fail_requests(2)
    for _ in range(2):
        reply = await client.upsert(wire.customer("CUST-1"))
        assert reply.status == 500
        element, code, text = reply.fault()
        assert (element, code) == ("unexpectedErrorFault", "UNEXPECTED_ERROR")
        assert text.startswith("An unexpected error occurred. Error ID: ")
    assert sandbox.records("customer") == []
    assert (await client.upsert(wire.customer("CUST-1"))).status == 200
    assert sandbox.stats.faults_sent == {"UNEXPECTED_ERROR": 2}


async def test_an_injected_concurrency_fault_is_not_counted_as_blocked(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.fail_requests(1, "concurrency")
    reply = await client.upsert(wire.customer("CUST-1"))
    assert reply.fault()[:2] == ("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED")
    assert sandbox.stats.blocked == 0
    assert sandbox.stats.faults_sent == {"WS_REQUEST_BLOCKED": 1}


async def test_refused_logins_do_not_consume_planned_faults(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.fail_requests(1)
    await client.upsert(wire.customer("CUST-1"), header=client.passport(signature="bad"))
    assert (await client.upsert(wire.customer("CUST-1"))).fault()[1] == "UNEXPECTED_ERROR"


async def test_the_next_records_fail_with_record_changed(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.change_records(2)
    rows = (await client.upsert(*(wire.customer(f"CUST-{n}") for n in range(3)))).outcomes()
    assert [(r["isSuccess"], r["code"]) for r in rows] == [
        ("false", "RCRD_HAS_BEEN_CHANGED"),
        ("false", "RCRD_HAS_BEEN_CHANGED"),
        ("true", None),
    ]
    assert rows[0]["message"] == "Record has been changed"
    assert [r.external_id for r in sandbox.records("customer")] == ["CUST-2"]
    assert sandbox.stats.record_errors == {"RCRD_HAS_BEEN_CHANGED": 2}


async def test_a_warning_rides_on_a_success(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.warn_records(1)
    rows = (await client.upsert(wire.customer("CUST-1"), wire.customer("CUST-2"))).outcomes()
    assert (rows[0]["isSuccess"], rows[0]["detailType"], rows[0]["code"]) == ("true", "WARN", "USER_ERROR")
    assert rows[0]["internalId"] == "1"
    assert rows[1]["detailType"] is None
    assert sandbox.stats.warnings_sent == 1


async def test_a_lost_response_is_committed_before_the_connection_drops(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.lose_responses(1)
    with pytest.raises(aiohttp.ClientError):
        await client.upsert(wire.customer("CUST-1"), wire.customer("CUST-2"))
    assert [r.external_id for r in sandbox.records("customer")] == ["CUST-1", "CUST-2"]
    assert sandbox.stats.lost_responses == 1
    assert sandbox.stats.records_written == 2

    # The client resends the chunk: the upsert makes it an update, not a duplicate.
    rows = (await client.upsert(wire.customer("CUST-1"), wire.customer("CUST-2"))).outcomes()
    assert [r["internalId"] for r in rows] == ["1", "2"]
    assert [r.write_count for r in sandbox.records("customer")] == [2, 2]


async def test_random_faults_follow_the_seed(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.set_random_rate(0.5, seed=42)
    statuses = [(await client.upsert(wire.customer(f"CUST-{n}"))).status for n in range(20)]
    expected = FaultPlan()
    expected.set_random_rate(0.5, seed=42)
    assert statuses == [500 if expected.take_request_fault() else 200 for _ in range(20)]
    assert 0 < statuses.count(500) < 20
    assert sandbox.stats.faults_sent == {"UNEXPECTED_ERROR": statuses.count(500)}
    sandbox.faults.clear()
    assert (await client.upsert(wire.customer("CUST-x"))).status == 200


async def test_faults_can_be_planned_and_cleared_over_http(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    url = f"{sandbox.base_url}/sandbox/faults"
    plan = {"fail_requests": 1, "failure_kind": "concurrency", "change_records": 1, "warn_records": 2}
    async with client.session.post(url, json=plan) as response:
        assert response.status == 200
        pending = (await response.json())["pending_faults"]
    assert pending["failing_requests"] == 1
    assert pending["failure_kind"] == "concurrency"
    assert (await client.upsert(wire.customer("CUST-1"))).fault()[1] == "WS_REQUEST_BLOCKED"
    rows = (await client.upsert(wire.customer("CUST-1"), wire.customer("CUST-2"))).outcomes()
    assert [r["code"] for r in rows] == ["RCRD_HAS_BEEN_CHANGED", "USER_ERROR"]

    async with client.session.post(url, json={"lose_responses": 3, "random_rate": 1, "seed": 3}) as response:
        assert response.status == 200
    async with client.session.delete(url) as response:
        assert (await response.json())["pending_faults"]["lost_responses"] == 0
    assert (await client.upsert(wire.customer("CUST-3"))).status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"fail_requests": -1},
        {"fail_requests": 1.5},
        {"failure_kind": "boom"},
        {"random_rate": 2},
        {"random_rate": True},
        {"explode": 1},
        [],
    ],
)
async def test_a_bad_fault_plan_is_refused_and_changes_nothing(
    client: Any, sandbox: NetSuiteSandbox, body: Any
) -> None:
    async with client.session.post(f"{sandbox.base_url}/sandbox/faults", json=body) as response:
        assert response.status == 400
    assert sandbox.faults.pending()["failing_requests"] == 0
    assert sandbox.faults.pending()["random_rate"] == 0.0


def test_fault_counts_cannot_be_negative() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="negative"):
        plan.change_records(-1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        plan.set_random_rate(1.5)
