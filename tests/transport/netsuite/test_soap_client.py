"""SoapClient against a loopback stub: headers, fresh passports, status mapping, limiter feedback."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import anyio
import pytest
from aiohttp import web

from bulk_o2c.errors import (
    BodyTooLargeError,
    ConcurrencyLimitError,
    PermanentError,
    ResponseMismatchError,
    TransientError,
)
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord, Preferences
from bulk_o2c.protocol.netsuite.faults import ConcurrencyFault, PermanentFault
from bulk_o2c.protocol.netsuite.passport import PassportSigner, TbaCredentials
from bulk_o2c.transport.body import READ_BYTES
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.metrics import RequestMetrics
from bulk_o2c.transport.netsuite.soap_client import SoapClient
from tests.support.loopback import serving
from tests.support.loopback_http import MIB, finished, fixed, gzip_of_zeros, routes, streaming

VERSION = "2025_2"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CORE = f"urn:core_{VERSION}.platform.webservices.netsuite.com"
MESSAGES = f"urn:messages_{VERSION}.platform.webservices.netsuite.com"
FAULTS = f"urn:faults_{VERSION}.platform.webservices.netsuite.com"
CREDENTIALS = TbaCredentials("1234567_SB1", "CK" * 32, "CS" * 32, "TI" * 32, "TS" * 32)
FRAGMENT = b'<platformMsgs:record xsi:type="listRel:Customer" externalId="C-%d"/>'


def write_response_list(count: int) -> bytes:
    answers = "".join(
        f'<writeResponse><platformCore:status xmlns:platformCore="{CORE}" isSuccess="true"/>'
        f'<baseRef xmlns:platformCore="{CORE}" internalId="{i + 1}" externalId="C-{i}" type="customer"/>'
        "</writeResponse>"
        for i in range(count)
    )
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
        f'<upsertListResponse xmlns="{MESSAGES}"><writeResponseList>{answers}</writeResponseList>'
        "</upsertListResponse></soapenv:Body></soapenv:Envelope>"
    ).encode()


def fault(element: str, code: str, message: str) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>soapenv:Server.userException</faultcode><faultstring>{message}</faultstring>"
        f'<detail><f:{element} xmlns:f="{FAULTS}"><f:code>{code}</f:code><f:message>{message}</f:message>'
        f"</f:{element}></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()


Responder = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]


@dataclass
class Stub:
    """A loopback endpoint whose answer each test chooses; it remembers what it received."""

    respond: Responder | None = None
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    in_flight: int = 0
    highest: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.highest = max(self.highest, self.in_flight)
        try:
            body = await request.read()
            self.bodies.append(body)
            self.headers.append(dict(request.headers))
            assert self.respond is not None
            return await self.respond(request, body)
        finally:
            self.in_flight -= 1


def answer(status: int, body: bytes, delay: float = 0.0) -> Responder:
    async def respond(request: web.Request, received: bytes) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, body=body, content_type="text/xml")

    return respond


def success(delay: float = 0.0) -> Responder:
    async def respond(request: web.Request, received: bytes) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        count = received.count(b"<platformMsgs:record ")
        return web.Response(status=200, body=write_response_list(count), content_type="text/xml")

    return respond


@pytest.fixture
async def stub() -> AsyncIterator[tuple[Stub, str]]:
    server = Stub()
    app = web.Application()
    app.router.add_post("/services/NetSuitePort_2025_2", server.handle)
    async with serving(app) as base_url:
        yield server, f"{base_url}/services/NetSuitePort_2025_2"


def make_client(
    session: aiohttp.ClientSession,
    url: str,
    limiter: AimdLimiter | None = None,
    timeout_s: float = 10.0,
    max_response_bytes: int = 16 * MIB,
) -> SoapClient:
    return SoapClient(
        session,
        url,
        PassportSigner(CREDENTIALS),
        version=VERSION,
        preferences=Preferences(),
        limiter=limiter if limiter is not None else AimdLimiter(4),
        timeout_s=timeout_s,
        max_response_bytes=max_response_bytes,
        metrics=RequestMetrics(),
    )


def element_text(pattern: bytes, body: bytes) -> bytes:
    found = re.search(pattern, body)
    assert found is not None
    return found.group(1)


def records(n: int) -> list[EncodedRecord]:
    return [EncodedRecord(f"C-{i}", "customer", FRAGMENT % i, (), 0) for i in range(n)]


async def test_posts_soap_headers_and_a_fresh_passport_per_attempt(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    server.respond = success()
    client = make_client(session, url)
    for _ in range(3):
        outcomes = await client.upsert_list(records(2))
        assert [o.external_id for o in outcomes] == ["C-0", "C-1"]
    assert all(h["Content-Type"] == "text/xml; charset=utf-8" for h in server.headers)
    assert all(h["SOAPAction"] == '"upsertList"' for h in server.headers)
    nonces = [element_text(rb"<platformCore:nonce>(\w+)<", b) for b in server.bodies]
    assert len(set(nonces)) == 3
    assert all(b.count(b"<platformMsgs:record ") == 2 for b in server.bodies)
    assert client.metrics.outcomes == {"OK": 3}
    assert client.metrics.records_sent == 6


async def test_concurrency_fault_shrinks_the_limiter(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    message = "SuiteTalk concurrent request limit exceeded. Request blocked."
    server.respond = answer(500, fault("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", message))
    limiter = AimdLimiter(4)
    client = make_client(session, url, limiter)
    with pytest.raises(ConcurrencyFault):
        await client.upsert_list(records(1))
    assert limiter.current_limit == 2
    assert client.metrics.faults == {"WS_REQUEST_BLOCKED": 1}


async def test_success_lets_the_limiter_grow_back(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    server.respond = success()
    limiter = AimdLimiter(2, increase_after=3)
    async with limiter.slot():
        limiter.on_overload()
    client = make_client(session, url, limiter)
    for _ in range(3):
        await client.upsert_list(records(1))
    assert limiter.current_limit == 2


@pytest.mark.parametrize("operation", ["upsert_list", "server_time"])
async def test_permanent_fault_is_raised_as_such(
    stub: tuple[Stub, str], session: aiohttp.ClientSession, operation: str
) -> None:
    server, url = stub
    server.respond = answer(
        500, fault("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", "Invalid login attempt.")
    )
    client = make_client(session, url)
    with pytest.raises(PermanentFault) as caught:
        await (client.upsert_list(records(1)) if operation == "upsert_list" else client.server_time())
    assert caught.value.code == "INVALID_LOGIN_ATTEMPT"


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (503, TransientError, "HTTP_503"),
        (502, TransientError, "HTTP_502"),
        (200, TransientError, "MALFORMED"),
        (429, ConcurrencyLimitError, "HTTP_429"),
        (404, PermanentError, "HTTP_404"),
        (403, PermanentError, "HTTP_403"),
    ],
)
async def test_a_body_without_soap_is_classified_by_status(
    stub: tuple[Stub, str], session: aiohttp.ClientSession, status: int, error: type[Exception], code: str
) -> None:
    server, url = stub
    server.respond = answer(status, b"<html><body>Service Unavailable</body></html>")
    client = make_client(session, url)
    with pytest.raises(error):
        await client.upsert_list(records(1))
    assert client.metrics.faults == {code: 1}


async def test_wrong_number_of_outcomes_is_a_transient_mismatch(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    server.respond = answer(200, write_response_list(1))
    client = make_client(session, url)
    with pytest.raises(ResponseMismatchError, match="1 outcomes for 3 records"):
        await client.upsert_list(records(3))
    assert client.metrics.faults == {"MISMATCH": 1}


async def test_timeout_is_transient(stub: tuple[Stub, str], session: aiohttp.ClientSession) -> None:
    server, url = stub
    server.respond = success(delay=1.0)
    client = make_client(session, url, timeout_s=0.2)
    with pytest.raises(TransientError, match="timed out"):
        await client.upsert_list(records(1))
    assert client.metrics.faults == {"TIMEOUT": 1}
    assert client.limiter.in_flight == 0


async def test_connection_failure_is_transient(session: aiohttp.ClientSession) -> None:
    # Bind a port, then close it: nothing listens there any more.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(session, f"http://127.0.0.1:{port}/services/NetSuitePort_2025_2")
    with pytest.raises(TransientError, match=f"upsertList to 127.0.0.1:{port} failed: ClientConnectorError"):
        await client.upsert_list(records(1))
    assert client.metrics.faults == {"CONNECTION": 1}


async def test_many_callers_never_exceed_the_limiter(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    server.respond = success(delay=0.01)
    client = make_client(session, url, AimdLimiter(3))

    async def call() -> None:
        await client.upsert_list(records(1))

    async with anyio.create_task_group() as tg:
        for _ in range(40):
            tg.start_soon(call)
    assert server.highest == 3
    assert client.metrics.peak_concurrency == 3
    assert client.metrics.attempts == 40


async def test_nothing_secret_reaches_the_log(
    stub: tuple[Stub, str], session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    server, url = stub
    server.respond = success()
    client = make_client(session, url)
    with caplog.at_level(logging.DEBUG):
        await client.upsert_list(records(1))
        server.respond = answer(500, fault("unexpectedErrorFault", "UNEXPECTED_ERROR", "oops"))
        with pytest.raises(TransientError):
            await client.upsert_list(records(1))
    logged = caplog.text + repr(client)
    assert "upsertList of 1 records" in logged
    signature = element_text(rb"<platformCore:signature[^>]*>([^<]+)<", server.bodies[0]).decode()
    for secret in (CREDENTIALS.consumer_key, CREDENTIALS.token_id, CREDENTIALS.consumer_secret, signature):
        assert secret not in logged
    assert "C-0" not in logged


def result_answer(operation: str, result: str) -> bytes:
    """A successful ``<operation>Response``: its result's status, then ``result``."""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
        f'<{operation}Response xmlns="{MESSAGES}">'
        f'<platformCore:{operation}Result xmlns:platformCore="{CORE}">'
        f'<platformCore:status isSuccess="true"/>{result}'
        f"</platformCore:{operation}Result></{operation}Response></soapenv:Body></soapenv:Envelope>"
    ).encode()


def server_time_answer(moment: str) -> bytes:
    return result_answer("getServerTime", f"<platformCore:serverTime>{moment}</platformCore:serverTime>")


async def test_server_time_is_one_signed_get_server_time_under_a_slot(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    server.respond = answer(200, server_time_answer("2026-11-27T20:00:00.000Z"))
    client = make_client(session, url)
    assert await client.server_time() == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    (headers,) = server.headers
    assert headers["SOAPAction"] == '"getServerTime"'
    assert b"<platformMsgs:getServerTime/>" in server.bodies[0]
    assert b"<platformCore:signature" in server.bodies[0]
    assert client.metrics.attempts == 1
    assert client.limiter.in_flight == 0


def serve(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Responder:
    async def respond(request: web.Request, received: bytes) -> web.StreamResponse:
        return await handler(request)

    return respond


async def test_a_gzip_bomb_answer_is_refused_as_it_inflates(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    bomb = gzip_of_zeros(64 * MIB)  # 64 KB on the wire
    server.respond = serve(fixed(bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/xml"}))
    client = make_client(session, url, max_response_bytes=MIB)
    with pytest.raises(BodyTooLargeError, match=r"netsuite\.max_response_mib") as info:
        await client.upsert_list(records(1))
    assert isinstance(info.value, TransientError)  # the writer resends, then the run stops resumably
    assert MIB < info.value.received <= MIB + READ_BYTES
    assert client.metrics.faults == {"TOO_LARGE": 1}
    assert client.limiter.in_flight == 0


async def test_an_oversize_answer_is_refused_unread(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub
    handler, streamed = streaming([bytes(MIB)] * 64)
    server.respond = serve(handler)
    client = make_client(session, url, max_response_bytes=MIB)
    with pytest.raises(BodyTooLargeError) as info:
        await client.upsert_list(records(1))
    assert MIB < info.value.received <= MIB + READ_BYTES
    # The connection was dropped: the rest stayed on the server's side of the socket buffers.
    assert await finished(streamed) < 32 * MIB


async def test_a_redirect_is_never_followed(stub: tuple[Stub, str], session: aiohttp.ClientSession) -> None:
    server, url = stub
    elsewhere = Stub(respond=success())
    app = routes()
    app.router.add_post("/soap", elsewhere.handle)
    async with serving(app) as base:
        server.respond = serve(fixed(b"", status=307, headers={"Location": f"{base}/soap?x=1"}))
        client = make_client(session, url)
        with pytest.raises(
            PermanentError, match=r"HTTP 307, a redirect to http://127\.0\.0\.1: it is not followed"
        ):
            await client.upsert_list(records(1))
    assert elsewhere.bodies == []  # the passport and the records never went there
    assert client.metrics.faults == {"HTTP_307": 1}


def select_value_answer(total_pages: int, ids: list[str]) -> bytes:
    refs = "".join(f'<platformCore:baseRef internalId="{i}"/>' for i in ids)
    return result_answer(
        "getSelectValue",
        f"<platformCore:totalPages>{total_pages}</platformCore:totalPages>"
        f"<platformCore:baseRefList>{refs}</platformCore:baseRefList>",
    )


async def test_select_values_reads_every_page_the_first_answer_names(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    server, url = stub

    async def page(request: web.Request, received: bytes) -> web.StreamResponse:
        index = int(received.split(b"<platformMsgs:pageIndex>")[1].split(b"<")[0])
        # Later pages claim more pages: only the first answer's count is believed.
        body = select_value_answer(3 if index == 1 else 99, [f"{index}0", f"{index}1"])
        return web.Response(status=200, body=body, content_type="text/xml")

    server.respond = page
    client = make_client(session, url)
    assert await client.select_values("customer", "customForm") == {"10", "11", "20", "21", "30", "31"}
    assert [h["SOAPAction"] for h in server.headers] == ['"getSelectValue"'] * 3


async def test_select_values_stops_at_a_page_ceiling(
    stub: tuple[Stub, str], session: aiohttp.ClientSession
) -> None:
    from bulk_o2c.transport.netsuite.soap_client import MAX_SELECT_PAGES

    server, url = stub
    server.respond = answer(200, select_value_answer(10**9, ["1"]))
    client = make_client(session, url)
    assert await client.select_values("customer", "customForm") == {"1"}
    assert len(server.bodies) == MAX_SELECT_PAGES
