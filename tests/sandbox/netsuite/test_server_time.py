"""``getServerTime``: the cheap connection and credentials check, answered like a real account.

Same door as upsertList (pool slot, size cap, XML and version checks, tokenPassport), no records.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from lxml import etree

from bulk_o2c.sandbox.netsuite import LatencyModel, NetSuiteSandbox
from bulk_o2c.sandbox.netsuite.soap_request import RequestRejected, parse_call_request
from bulk_o2c.sandbox.netsuite.soap_response import render_server_time_response, server_time_text
from tests.sandbox.netsuite.conftest import until
from tests.support.shared_files import Validate

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
INVALID_LOGIN = ("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", "Invalid login attempt.")
BLOCKED = (
    "exceededConcurrentRequestLimitFault",
    "WS_REQUEST_BLOCKED",
    "SuiteTalk concurrent request limit exceeded. Request blocked.",
)


def _server_time(reply: Any, version: str = "2025_2") -> str:
    """The serverTime text of a getServerTimeResponse, after checking its shape and namespaces."""
    messages = f"urn:messages_{version}.platform.webservices.netsuite.com"
    core = f"urn:core_{version}.platform.webservices.netsuite.com"
    body = reply.root.find(f"{{{SOAPENV}}}Body")
    assert body is not None
    (response,) = body
    assert response.tag == f"{{{messages}}}getServerTimeResponse"
    (result,) = response
    assert result.tag == f"{{{core}}}getServerTimeResult"
    status, server_time = result
    assert status.tag == f"{{{core}}}status"
    assert status.get("isSuccess") == "true"
    assert len(status) == 0
    assert server_time.tag == f"{{{core}}}serverTime"
    assert reply.root.findtext(f"{{{SOAPENV}}}Header/{{{messages}}}documentInfo/{{{messages}}}nsId")
    return str(server_time.text)


@pytest.fixture
async def live(make_config: Any, wire: SimpleNamespace) -> AsyncIterator[tuple[NetSuiteSandbox, Any]]:
    """A sandbox on the real wall clock, and a client whose passports carry the real time."""
    async with NetSuiteSandbox(make_config(clock=time.time)) as sandbox, aiohttp.ClientSession() as session:
        yield sandbox, wire.SoapClient(sandbox, session)


# --- success -------------------------------------------------------------------------------------


@pytest.mark.parametrize("soap_action", ['"getServerTime"', "getServerTime", ' "getServerTime" '])
async def test_a_valid_passport_gets_the_current_utc_time(
    live: tuple[NetSuiteSandbox, Any], soap_action: str
) -> None:
    sandbox, client = live
    before = time.time()
    reply = await client.server_time(header=client.passport(timestamp=time.time()), soap_action=soap_action)
    after = time.time()
    assert reply.status == 200, reply.body
    text = _server_time(reply)
    assert len(text) == len("2026-11-27T20:21:03.123Z")
    assert text.endswith("Z")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert moment.utcoffset() == timedelta(0)
    # Milliseconds are truncated, so allow one below the request's start.
    assert before - 0.001 <= moment.timestamp() <= after
    assert sandbox.records("customer") == []


async def test_server_time_is_the_sandbox_clock_the_one_passports_are_checked_against(
    client: Any, wire: SimpleNamespace
) -> None:
    reply = await client.server_time()  # the fixture's fake clock, NOW = 1 750 000 000
    assert reply.status == 200
    assert _server_time(reply) == "2025-06-15T15:06:40.000Z"
    assert datetime.fromisoformat(_server_time(reply).replace("Z", "+00:00")).timestamp() == wire.NOW


def test_server_time_text_is_utc_to_the_millisecond() -> None:
    assert server_time_text(1_750_000_000.1239) == "2025-06-15T15:06:40.123Z"
    assert server_time_text(0.0) == "1970-01-01T00:00:00.000Z"


@pytest.mark.parametrize("version", ["2024_2", "2025_2"])
async def test_each_version_answers_in_its_own_namespaces(client: Any, version: str) -> None:
    reply = await client.server_time(version=version)
    assert reply.status == 200
    _server_time(reply, version)
    other = b"_2025_2" if version == "2024_2" else b"_2024_2"
    assert other not in reply.body


async def test_it_counts_as_a_request_and_writes_nothing(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    await client.server_time()
    await client.server_time(header=client.passport(signature="bad"))
    stats = sandbox.stats
    assert stats.requests == 2
    assert (stats.records_received, stats.records_written) == (0, 0)
    assert stats.faults_sent == {"INVALID_LOGIN_ATTEMPT": 1}
    assert stats.records == {"item": 2}
    assert stats.highest_concurrency == 1


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override",
    [{"signature": "bad"}, {"account": "1234567_sb1"}, {"timestamp": 1_750_000_000.0 - 301}],
    ids=["signature", "account", "timestamp"],
)
async def test_an_invalid_passport_gets_the_same_fault_as_upsert_list(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace, override: dict[str, Any]
) -> None:
    reply = await client.server_time(header=client.passport(**override))
    assert reply.status == 500
    assert reply.fault() == INVALID_LOGIN
    upsert = await client.upsert(wire.customer("CUST-1"), header=client.passport(**override))
    assert upsert.fault() == reply.fault()
    assert reply.root.findtext(".//faultcode") == upsert.root.findtext(".//faultcode")


async def test_no_passport_and_ambiguous_authentication_are_refused(client: Any) -> None:
    assert (await client.server_time(header="")).fault() == INVALID_LOGIN
    header = client.passport() + (
        "<platformMsgs:applicationInfo><platformMsgs:applicationId>X</platformMsgs:applicationId>"
        "</platformMsgs:applicationInfo>"
    )
    assert (await client.server_time(header=header)).fault() == (
        "invalidCredentialsFault",
        "USER_ERROR",
        "Ambiguous authentication",
    )


async def test_a_nonce_spent_on_get_server_time_cannot_be_replayed_on_upsert_list(
    client: Any, wire: SimpleNamespace
) -> None:
    assert (await client.server_time(header=client.passport(nonce="SameNonce1"))).status == 200
    reply = await client.upsert(wire.customer("CUST-1"), header=client.passport(nonce="SameNonce1"))
    assert reply.fault() == INVALID_LOGIN


# --- the concurrency pool ------------------------------------------------------------------------

# Slow enough that requests are still in flight while the test sends the next one.
SLOW = {"time_scale": 1.0, "latency": LatencyModel(base_s=0.5, record_s={}, other_record_s=0.0)}


async def test_full_pressure_blocks_it_like_upsert_list(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.set_pressure(sandbox.config.concurrency_limit)
    reply = await client.server_time()
    assert reply.status == 500
    assert reply.fault() == BLOCKED
    assert (await client.upsert(wire.customer("CUST-1"))).fault() == reply.fault()
    assert (sandbox.stats.blocked, sandbox.stats.requests) == (2, 2)
    sandbox.clear_pressure()
    assert (await client.server_time()).status == 200


async def test_it_holds_a_slot_for_the_base_latency(make_config: Any, wire: SimpleNamespace) -> None:
    async with NetSuiteSandbox(make_config(**SLOW)) as sandbox, aiohttp.ClientSession() as session:
        client = wire.SoapClient(sandbox, session)
        limit = sandbox.config.concurrency_limit
        started = time.monotonic()
        checks = [asyncio.create_task(client.server_time()) for _ in range(limit)]
        await until(lambda: sandbox.stats.in_flight == limit)

        # Every slot is taken by getServerTime: either operation is refused at once.
        assert (await client.upsert(wire.customer("CUST-over"))).fault() == BLOCKED
        assert (await client.server_time()).fault() == BLOCKED

        replies = await asyncio.gather(*checks)
        assert [reply.status for reply in replies] == [200] * limit
        assert time.monotonic() - started >= 0.45  # base_s x time_scale = 0.5 s
        stats = sandbox.stats
        assert (stats.highest_concurrency, stats.blocked, stats.in_flight) == (limit, 2, 0)
        assert sandbox.record("customer", "CUST-over") is None
        assert (await client.server_time()).status == 200


async def test_its_latency_is_the_base_of_the_model_scaled(make_config: Any, wire: SimpleNamespace) -> None:
    config = make_config(time_scale=0.5, latency=LatencyModel(base_s=0.4))
    assert config.request_seconds({}) == pytest.approx(0.2)
    async with NetSuiteSandbox(config) as sandbox, aiohttp.ClientSession() as session:
        started = time.monotonic()
        assert (await wire.SoapClient(sandbox, session).server_time()).status == 200
        elapsed = time.monotonic() - started
    assert 0.19 <= elapsed < 2.0


# --- the fault plan ------------------------------------------------------------------------------


async def test_planned_request_faults_apply_to_it(client: Any, sandbox: NetSuiteSandbox) -> None:
    sandbox.faults.fail_requests(1)
    assert (await client.server_time()).fault()[:2] == ("unexpectedErrorFault", "UNEXPECTED_ERROR")
    sandbox.faults.fail_requests(1, "concurrency")
    assert (await client.server_time()).fault() == BLOCKED
    assert sandbox.stats.blocked == 0
    assert (await client.server_time()).status == 200


async def test_a_refused_login_does_not_consume_planned_faults(client: Any, sandbox: NetSuiteSandbox) -> None:
    sandbox.faults.fail_requests(1)
    assert (await client.server_time(header=client.passport(signature="bad"))).fault() == INVALID_LOGIN
    assert sandbox.faults.pending()["failing_requests"] == 1


async def test_per_record_plans_are_left_for_upsert_list(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    sandbox.faults.change_records(1)
    sandbox.faults.warn_records(1)
    assert (await client.server_time()).status == 200
    pending = sandbox.faults.pending()
    assert (pending["changed_records"], pending["warned_records"]) == (1, 1)
    rows = (await client.upsert(wire.customer("CUST-1"), wire.customer("CUST-2"))).outcomes()
    assert [(r["code"], r["detailType"]) for r in rows] == [
        ("RCRD_HAS_BEEN_CHANGED", "ERROR"),
        ("USER_ERROR", "WARN"),
    ]


async def test_a_planned_lost_response_drops_the_connection(client: Any, sandbox: NetSuiteSandbox) -> None:
    sandbox.faults.lose_responses(1)
    with pytest.raises(aiohttp.ClientError):
        await client.server_time()
    assert sandbox.stats.lost_responses == 1
    assert (await client.server_time()).status == 200


# --- requests refused before authentication ------------------------------------------------------


@pytest.mark.parametrize("action", [None, "", '"add"', "getserverTime", "getServerTimes", "upsert"])
async def test_an_unknown_soap_action_is_still_refused(client: Any, action: str | None) -> None:
    reply = await client.server_time(soap_action=action)
    assert reply.status == 500
    assert reply.root.findtext(".//faultcode") == "soapenv:Client"
    assert "SOAPAction" in reply.fault()[2]


async def test_the_soap_action_must_match_the_body(client: Any, wire: SimpleNamespace) -> None:
    upsert_body = wire.envelope(wire.customer("CUST-1"), client.passport())
    reply = await client.post_raw(upsert_body, soap_action='"getServerTime"')
    assert reply.status == 500
    assert reply.root.findtext(".//faultcode") == "soapenv:Client"
    assert "getServerTime" in reply.fault()[2]

    reply = await client.post_raw(wire.server_time_envelope(client.passport()), soap_action='"upsertList"')
    assert reply.status == 500
    assert "upsertList" in reply.fault()[2]
    assert client.sandbox.records("customer") == []


async def test_a_body_in_another_version_than_the_url_is_refused(client: Any, wire: SimpleNamespace) -> None:
    body = wire.server_time_envelope(client.passport(), version="2024_2")
    reply = await client.post_raw(body, version="2025_2", soap_action="getServerTime")
    assert reply.status == 500
    assert reply.fault()[:2] == ("invalidVersionFault", "INVALID_WS_VERSION")


async def test_a_request_over_the_size_cap_is_refused(make_config: Any, wire: SimpleNamespace) -> None:
    async with (
        NetSuiteSandbox(make_config(max_request_bytes=200)) as sandbox,
        aiohttp.ClientSession() as session,
    ):
        body = wire.server_time_envelope(wire.passport_xml(sandbox.credentials))
        headers = {"SOAPAction": "getServerTime"}
        async with session.post(sandbox.soap_url(), data=body, headers=headers) as response:
            reply = wire.Reply(response.status, await response.read())
    assert reply.status == 500
    assert reply.fault()[:2] == ("exceededRequestSizeFault", "EXCEEDED_RQST_SIZE_LIMIT")


def test_parsing_reads_the_passport_and_refuses_arguments(wire: SimpleNamespace) -> None:
    header = wire.passport_xml(NetSuiteSandbox().credentials, nonce="Parsed123")
    parsed = parse_call_request(wire.server_time_envelope(header), wire.VERSION, "getServerTime")
    assert parsed.passport is not None
    assert parsed.passport.nonce == "Parsed123"
    assert not parsed.other_authentication
    assert parse_call_request(wire.server_time_envelope(""), wire.VERSION, "getServerTime").passport is None

    with_argument = wire.soap_envelope(
        "<platformMsgs:getServerTime><platformMsgs:x>1</platformMsgs:x></platformMsgs:getServerTime>", ""
    )
    with pytest.raises(RequestRejected) as refused:
        parse_call_request(with_argument, wire.VERSION, "getServerTime")
    assert "no arguments" in refused.value.fault.message
    with pytest.raises(RequestRejected, match="USER_ERROR"):
        parse_call_request(b"<x/>", wire.VERSION, "getServerTime")


# --- NetSuite's own schema (shared/, build machine only) -----------------------------------------


@pytest.mark.parametrize("version", ["2024_2", "2025_2"])
async def test_the_response_is_schema_valid(client: Any, xsd_validate: Validate, version: str) -> None:
    reply = await client.server_time(version=version)
    assert reply.status == 200
    assert xsd_validate(reply.body) == []
    # The validator checks the Body's first child: make sure that is the response, not nothing.
    body = etree.fromstring(reply.body).find(f"{{{SOAPENV}}}Body")
    assert body is not None
    assert etree.QName(body[0]).localname == "getServerTimeResponse"


def test_the_validator_would_catch_a_wrong_response(xsd_validate: Validate) -> None:
    # Same layout with serverTime before status: the schema's sequence refuses it.
    good = render_server_time_response("2025_2", "WEBSERVICES_X", 1_750_000_000.0).decode()
    status = '<platformCore:status isSuccess="true"/>'
    start = good.index("<platformCore:serverTime>")
    end = good.index("</platformCore:serverTime>") + len("</platformCore:serverTime>")
    swapped = good.replace(status, "").replace(good[start:end], good[start:end] + status)
    assert xsd_validate(good.encode()) == []
    assert xsd_validate(swapped.encode()) != []


async def test_the_request_written_here_is_schema_valid(
    client: Any, wire: SimpleNamespace, xsd_validate: Validate
) -> None:
    # The test's request matches platformMsgs:getServerTime and the tokenPassport header.
    assert xsd_validate(wire.server_time_envelope(client.passport())) == []
