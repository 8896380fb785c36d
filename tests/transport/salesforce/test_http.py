from __future__ import annotations

import asyncio
import gzip
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import orjson
import pytest
from aiohttp import web
from aioresponses import aioresponses
from yarl import URL

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.errors import AuthError, BodyTooLargeError, ConfigError, PermanentError, TransientError
from bulk_o2c.protocol.salesforce.errors import (
    ConcurrentRequestLimitError,
    DailyApiLimitError,
    FreshTokenRefusedError,
    InvalidSessionError,
    SalesforceProtocolError,
    ServerBusyError,
    SessionNotUsableError,
)
from bulk_o2c.transport.body import BodyLimits, BodyTimeoutError
from bulk_o2c.transport.endpoint_guard import InsecureEndpointError
from bulk_o2c.transport.salesforce.http import (
    ConnectionLostError,
    SalesforceHttp,
    body_limits,
    client_session,
)
from tests.support.loopback import serving
from tests.support.loopback_http import MIB, fixed, gzip_of_zeros, trickle

from .conftest import API, INSTANCE, FakeTokens, quick_retry

EXPIRED = orjson.dumps([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])


def _auth_headers(mocked: aioresponses, method: str, url: str) -> list[str]:
    calls = mocked.requests.get((method, URL(url)), [])
    return [call.kwargs["headers"]["Authorization"] for call in calls]


async def test_json_round_trip_and_limit_header(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(
        f"{API}/jobs/query",
        payload={"id": "750A", "state": "UploadComplete"},
        headers={"Sforce-Limit-Info": "api-usage=18/5000; api-bursts=1/750"},
    )
    answer = await http.request_json("POST", "jobs/query", json={"operation": "query"})
    assert answer == {"id": "750A", "state": "UploadComplete"}
    assert http.limits == {"api-usage": (18, 5000), "api-bursts": (1, 750)}
    call = mocked.requests[("POST", URL(f"{API}/jobs/query"))][0]
    assert orjson.loads(call.kwargs["data"]) == {"operation": "query"}
    assert call.kwargs["headers"]["Content-Type"] == "application/json; charset=UTF-8"
    assert call.kwargs["headers"]["Authorization"] == "Bearer tok-1"


async def test_empty_answer_is_none(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.delete(f"{API}/jobs/query/750A", status=204, body=b"")
    assert await http.request_json("DELETE", "jobs/query/750A", expected=(204,)) is None


async def test_401_invalidates_and_replays_once(
    http: SalesforceHttp, mocked: aioresponses, fake_tokens: FakeTokens, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{API}/jobs/query/750A"
    mocked.get(url, status=401, body=EXPIRED)
    mocked.get(url, payload={"id": "750A"}, headers={"Sforce-Limit-Info": "api-usage=20/5000"})
    assert await http.request_json("GET", "jobs/query/750A") == {"id": "750A"}
    assert _auth_headers(mocked, "GET", url) == ["Bearer tok-1", "Bearer tok-2"]
    assert fake_tokens.issued == ["tok-1", "tok-2"]
    assert http.limits["api-usage"] == (20, 5000)
    assert "tok-" not in caplog.text


async def test_second_401_on_a_fresh_token_is_an_auth_error(
    http: SalesforceHttp, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    url = f"{API}/jobs/query/750A"
    mocked.get(url, status=401, body=EXPIRED, repeat=True)
    with pytest.raises(FreshTokenRefusedError) as info:
        await http.request_json("GET", "jobs/query/750A")
    assert isinstance(info.value, AuthError)
    assert not isinstance(info.value, TransientError)
    assert len(_auth_headers(mocked, "GET", url)) == 2
    assert "tok-" not in str(info.value)


async def test_session_not_for_rest_is_not_refreshed(
    http: SalesforceHttp, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    body = orjson.dumps(
        [
            {
                "message": "This session is not valid for use with the REST API",
                "errorCode": "INVALID_SESSION_ID",
            }
        ]
    )
    mocked.get(f"{API}/limits", status=401, body=body)
    with pytest.raises(SessionNotUsableError):
        await http.request_json("GET", "limits")
    assert fake_tokens.issued == ["tok-1"]


async def test_concurrent_401s_refresh_once(
    http: SalesforceHttp, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    import asyncio

    url = f"{API}/limits"
    mocked.get(url, payload={})  # obtains tok-1, which both concurrent requests then carry
    await http.request_json("GET", "limits")
    mocked.get(url, status=401, body=EXPIRED)
    mocked.get(url, status=401, body=EXPIRED)
    mocked.get(url, payload={}, repeat=True)
    await asyncio.gather(http.request_json("GET", "limits"), http.request_json("GET", "limits"))
    assert fake_tokens.issued == ["tok-1", "tok-2"]


async def test_token_is_read_at_send_time(
    http: SalesforceHttp, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    url = f"{API}/limits"
    mocked.get(url, payload={}, repeat=True)
    await http.request_json("GET", "limits")
    fake_tokens.now += 7200 * 0.8  # past the refresh margin: the next request must renew first
    await http.request_json("GET", "limits")
    assert _auth_headers(mocked, "GET", url) == ["Bearer tok-1", "Bearer tok-2"]


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_busy_answers_are_retried(http: SalesforceHttp, mocked: aioresponses, status: int) -> None:
    url = f"{API}/jobs/query/750A"
    mocked.get(url, status=status, body=b"<html>down</html>")
    mocked.get(url, payload={"ok": True})
    assert await http.request_json("GET", "jobs/query/750A") == {"ok": True}
    assert len(_auth_headers(mocked, "GET", url)) == 2


async def test_busy_forever_gives_up_with_the_last_error(
    session: aiohttp.ClientSession, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    http = SalesforceHttp(session, fake_tokens.manager(), api_version="62.0", retry=quick_retry(3))
    url = f"{API}/limits"
    mocked.get(url, status=503, body=b"", repeat=True)
    with pytest.raises(ServerBusyError):
        await http.request_json("GET", "limits")
    assert len(_auth_headers(mocked, "GET", url)) == 3


async def test_connection_reset_is_retried(http: SalesforceHttp, mocked: aioresponses) -> None:
    url = f"{API}/limits"
    mocked.get(url, exception=aiohttp.ServerDisconnectedError())
    mocked.get(url, exception=TimeoutError())
    mocked.get(url, payload={"DailyApiRequests": {}})
    assert await http.request_json("GET", "limits") == {"DailyApiRequests": {}}


async def test_connection_failures_surface_as_transient(
    session: aiohttp.ClientSession, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    http = SalesforceHttp(session, fake_tokens.manager(), api_version="62.0", retry=quick_retry(2))
    mocked.get(f"{API}/limits", exception=aiohttp.ClientConnectionError("reset"), repeat=True)
    with pytest.raises(ConnectionLostError):
        await http.request_json("GET", "limits")


async def test_total_requests_stops_at_once(http: SalesforceHttp, mocked: aioresponses) -> None:
    url = f"{API}/jobs/query"
    body = orjson.dumps([{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}])
    mocked.post(url, status=403, body=body, repeat=True)
    with pytest.raises(DailyApiLimitError, match="daily API request limit") as info:
        await http.request_json("POST", "jobs/query", json={})
    assert isinstance(info.value, PermanentError)
    assert len(_auth_headers(mocked, "POST", url)) == 1


async def test_concurrent_requests_limit_is_retried(http: SalesforceHttp, mocked: aioresponses) -> None:
    url = f"{API}/jobs/query"
    body = orjson.dumps(
        [
            {
                "errorCode": "REQUEST_LIMIT_EXCEEDED",
                "message": "ConcurrentRequests (Concurrent API Requests) Limit",
            }
        ]
    )
    mocked.post(url, status=403, body=body)
    mocked.post(url, payload={"id": "750A"})
    assert await http.request_json("POST", "jobs/query", json={}) == {"id": "750A"}
    assert issubclass(ConcurrentRequestLimitError, TransientError)


async def test_bad_query_is_not_retried(http: SalesforceHttp, mocked: aioresponses) -> None:
    url = f"{API}/jobs/query"
    body = orjson.dumps([{"errorCode": "MALFORMED_QUERY", "message": "unexpected token: FORM"}])
    mocked.post(url, status=400, body=body, repeat=True)
    with pytest.raises(PermanentError, match="MALFORMED_QUERY"):
        await http.request_json("POST", "jobs/query", json={})
    assert len(_auth_headers(mocked, "POST", url)) == 1


async def test_upload_csv_bytes(http: SalesforceHttp, mocked: aioresponses) -> None:
    url = f"{API}/jobs/ingest/750B/batches"
    mocked.put(url, status=401, body=EXPIRED)
    mocked.put(url, status=201, body=b"")
    await http.upload_csv("jobs/ingest/750B/batches", b"Id\n1\n")
    calls = mocked.requests[("PUT", URL(url))]
    assert [c.kwargs["data"] for c in calls] == [b"Id\n1\n", b"Id\n1\n"]
    assert calls[0].kwargs["headers"]["Content-Type"] == "text/csv"
    assert _auth_headers(mocked, "PUT", url) == ["Bearer tok-1", "Bearer tok-2"]


async def test_upload_csv_stream_is_sent_once(
    http: SalesforceHttp, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    async def body() -> Any:
        yield b"Id\n"
        yield b"1\n"

    url = f"{API}/jobs/ingest/750B/batches"
    mocked.put(url, status=401, body=EXPIRED)
    with pytest.raises(InvalidSessionError):
        await http.upload_csv("jobs/ingest/750B/batches", body())
    # The token was renewed, so the caller's re-send goes out with a live one.
    assert fake_tokens.issued == ["tok-1", "tok-2"]
    assert len(mocked.requests[("PUT", URL(url))]) == 1


async def test_stream_asks_for_gzip_csv(http: SalesforceHttp, mocked: aioresponses) -> None:
    url = f"{API}/jobs/query/750A/results?maxRecords=10"
    mocked.get(url, body=b"Id\n1\n", content_type="text/csv")

    async def consume(resp: aiohttp.ClientResponse, body: AsyncIterator[bytes]) -> bytes:
        return b"".join([chunk async for chunk in body])

    assert await http.download("jobs/query/750A/results", consume, params={"maxRecords": "10"}) == b"Id\n1\n"
    headers = mocked.requests[("GET", URL(url))][0].kwargs["headers"]
    assert headers["Accept-Encoding"] == "gzip"
    assert headers["Accept"] == "text/csv"


def test_urls(http: SalesforceHttp) -> None:
    assert str(http.url_for("jobs/query", INSTANCE)) == f"{API}/jobs/query"
    assert str(http.url_for("/services/data/v58.0/jobs/query/750/results?locator=a%2Bb", INSTANCE)) == (
        f"{INSTANCE}/services/data/v58.0/jobs/query/750/results?locator=a%2Bb"
    )
    assert str(http.url_for(f"{INSTANCE}/services/x", INSTANCE)) == f"{INSTANCE}/services/x"
    with pytest.raises(ConfigError, match="refusing to send"):
        http.url_for("https://evil.example/services/x", INSTANCE)


@pytest.mark.parametrize("body", [b"<html>Sign in to the proxy</html>", b'{"id": "750A", "sta'])
async def test_a_json_answer_that_does_not_parse_is_a_protocol_error(
    http: SalesforceHttp, mocked: aioresponses, body: bytes
) -> None:
    mocked.get(f"{API}/jobs/query/750A", status=200, body=body)
    with pytest.raises(SalesforceProtocolError, match=r"GET jobs/query/750A: .* HTTP 200 .* not JSON"):
        await http.request_json("GET", "jobs/query/750A")


async def test_missing_instance_url(session: aiohttp.ClientSession, mocked: aioresponses) -> None:
    http = SalesforceHttp(
        session, FakeTokens(instance_url=None).manager(), api_version="62.0", retry=quick_retry()
    )
    with pytest.raises(ConfigError, match="instance URL"):
        await http.request_json("GET", "limits")


async def test_client_session_bounds_each_read_not_the_whole_download() -> None:
    async with client_session(read_timeout_s=120) as session:
        assert session.timeout.total is None
        assert session.timeout.sock_read == 120
        assert session.auto_decompress


async def test_a_download_can_keep_the_body_as_it_travelled() -> None:
    page = b"Id\n" + b"".join(b"%d\n" % n for n in range(1000))
    error = orjson.dumps([{"errorCode": "INVALIDJOB", "message": "no such job 750B"}])

    async def results(request: web.Request) -> web.Response:
        body = page if request.match_info["job"] == "750A" else error
        status = 200 if request.match_info["job"] == "750A" else 404
        return web.Response(status=status, body=gzip.compress(body), headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/services/data/v62.0/jobs/query/{job}/results", results)
    async with serving(app) as base, aiohttp.ClientSession() as session:
        http = SalesforceHttp(
            session, FakeTokens(instance_url=base).manager(), api_version="62.0", retry=quick_retry()
        )

        async def body(resp: aiohttp.ClientResponse, chunks: AsyncIterator[bytes]) -> tuple[str, bytes]:
            return resp.headers["Content-Encoding"], b"".join([chunk async for chunk in chunks])

        encoding, raw = await http.download("jobs/query/750A/results", body, decompress=False)
        assert (encoding, gzip.decompress(raw)) == ("gzip", page)
        assert (await http.download("jobs/query/750A/results", body))[1] == page
        # An error answer is still read and classified: its gzip is undone for the caller.
        with pytest.raises(PermanentError, match="INVALIDJOB: no such job 750B"):
            await http.download("jobs/query/750B/results", body, decompress=False)


RESULTS = "/services/data/v62.0/jobs/query/750A/results"


def _loopback_http(session: aiohttp.ClientSession, base: str, limits: BodyLimits) -> SalesforceHttp:
    return SalesforceHttp(
        session,
        FakeTokens(instance_url=base).manager(),
        api_version="62.0",
        retry=quick_retry(2),
        limits=limits,
    )


async def _keep(resp: aiohttp.ClientResponse, chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in chunks]


@pytest.mark.parametrize("decompress", [False, True])
async def test_a_gzip_page_over_the_bound_is_refused_after_its_retries(decompress: bool) -> None:
    hits: list[str] = []
    bomb = fixed(gzip_of_zeros(64 * MIB), headers={"Content-Encoding": "gzip"})

    async def results(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        return await bomb(request)

    app = web.Application()
    app.router.add_get(RESULTS, results)
    limits = BodyLimits(MIB, size_setting="salesforce.max_body_mib")
    async with serving(app) as base, aiohttp.ClientSession() as session:
        http = _loopback_http(session, base, limits)
        with pytest.raises(BodyTooLargeError, match=r"GET /services/.*/results: .*salesforce\.max_body_mib"):
            await http.download("jobs/query/750A/results", _keep, decompress=decompress)
    assert len(hits) == 2  # retried within the policy's budget, then left for resume


async def test_an_oversize_json_answer_is_refused() -> None:
    app = web.Application()
    app.router.add_get("/services/data/v62.0/limits", fixed(b"[" + b"0," * MIB + b"0]"))
    async with serving(app) as base, aiohttp.ClientSession() as session:
        http = _loopback_http(session, base, BodyLimits(MIB))
        with pytest.raises(BodyTooLargeError, match=r"GET /services/data/v62\.0/limits"):
            await http.request_json("GET", "limits")


async def test_a_trickling_page_hits_the_total_time_bound() -> None:
    handler, _ = trickle(0.05)
    app = web.Application()
    app.router.add_get(RESULTS, handler)
    limits = BodyLimits(MIB, max_seconds=0.3, time_setting="salesforce.body_timeout_s")
    async with serving(app) as base, client_session() as session:
        http = _loopback_http(session, base, limits)
        started = time.monotonic()
        with anyio.fail_after(5), pytest.raises(BodyTimeoutError, match=r"salesforce\.body_timeout_s"):
            await http.download("jobs/query/750A/results", _keep, decompress=False)
    assert 0.6 <= time.monotonic() - started < 3.0  # two attempts of 0.3 s each


async def test_an_answer_that_never_starts_hits_the_total_time_bound() -> None:
    # Status line and headers withheld (or trickled): the session's wait per read never trips.
    release = asyncio.Event()

    async def silent(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/services/data/v62.0/limits", silent)
    limits = BodyLimits(MIB, max_seconds=0.3, time_setting="salesforce.body_timeout_s")
    async with serving(app) as base, client_session() as session:
        http = _loopback_http(session, base, limits)
        try:
            with (
                anyio.fail_after(5),
                pytest.raises(
                    BodyTimeoutError, match=r"no answer within 0\.3 s \(salesforce\.body_timeout_s\)"
                ),
            ):
                await http.request_json("GET", "limits")
        finally:
            release.set()


async def test_a_redirect_is_followed_only_to_https_or_loopback() -> None:
    landed: list[str] = []

    async def target(request: web.Request) -> web.Response:
        landed.append(request.host)
        return web.json_response({"ok": True})

    async def moved(request: web.Request) -> web.Response:
        port = request.url.port
        # 0.0.0.0 reaches this machine too, but it is not a loopback name: the rule refuses it.
        host = "127.0.0.1" if request.match_info["to"] == "loopback" else "0.0.0.0"  # noqa: S104
        raise web.HTTPFound(f"http://{host}:{port}/services/data/v62.0/target")

    app = web.Application()
    app.router.add_get("/services/data/v62.0/moved/{to}", moved)
    app.router.add_get("/services/data/v62.0/target", target)
    async with serving(app) as base, client_session() as session:
        http = _loopback_http(session, base, BodyLimits(MIB))
        assert await http.request_json("GET", "moved/loopback") == {"ok": True}
        with pytest.raises(InsecureEndpointError, match=r"refusing to send GET to http://0\.0\.0\.0"):
            await http.request_json("GET", "moved/elsewhere")
    assert len(landed) == 1


def test_the_bounds_come_from_the_settings() -> None:
    settings = SalesforceSettings(max_body_mib=3, body_timeout_s=9.5)
    assert body_limits(settings) == BodyLimits(
        3 * MIB, 9.5, size_setting="salesforce.max_body_mib", time_setting="salesforce.body_timeout_s"
    )
