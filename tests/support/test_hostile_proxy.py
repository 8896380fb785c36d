"""The hostile proxy itself: what each mischief does to an answer, how often, and that an unarmed
proxy changes nothing. These hold whatever the client does with the answers."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
from aiohttp import web
from lxml import etree

from bulk_o2c.sandbox.netsuite.outcomes import StatusDetail, WriteOutcome
from bulk_o2c.sandbox.netsuite.soap_response import render_upsert_response
from tests.support.hostile_proxy import (
    FOREIGN_EXTERNAL_ID,
    FOREIGN_INTERNAL_ID,
    REDIRECT_HOST,
    HostileProxy,
    Kind,
    Mischief,
    NotApplicable,
    classify,
    drop_write_response,
    gzip_bomb,
    loop_result_pages,
    reorder_write_responses,
    strip_internal_id,
    swap_in_foreign_external_id,
    truncate_csv,
)
from tests.support.loopback import serving

VERSION = "2025_2"
FAILED = WriteOutcome("customer", "C-2", None, (StatusDetail("INVALID_KEY_OR_REF", "no such record"),))
ANSWER = render_upsert_response(
    VERSION,
    "ns-1",
    [WriteOutcome("customer", "C-1", "11"), FAILED, WriteOutcome("customer", "C-3", "13")],
)


def _outcomes(body: bytes) -> list[tuple[bool, str | None, str | None]]:
    """(success, externalId, internalId) of each writeResponse, read with no client code."""
    outcomes = []
    for response in etree.fromstring(body).iter("{*}writeResponse"):
        status, ref = response.find("{*}status"), response.find("{*}baseRef")
        assert status is not None
        assert ref is not None
        outcomes.append((status.get("isSuccess") == "true", ref.get("externalId"), ref.get("internalId")))
    return outcomes


def _refs(body: bytes) -> list[tuple[str | None, str | None]]:
    return [(external_id, internal_id) for _, external_id, internal_id in _outcomes(body)]


# -- classify -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "kind"),
    [
        ("POST", "/services/NetSuitePort_2025_2", {"SOAPAction": '"upsertList"'}, b"", Kind.UPSERT_LIST),
        ("POST", "/services/NetSuitePort_2025_2", {"SOAPAction": "getServerTime"}, b"", None),
        ("GET", "/services/data/v62.0/jobs/query/750x/results", {}, b"", Kind.QUERY_RESULTS),
        ("GET", "/services/data/v62.0/jobs/query/750x/resultPages", {}, b"", Kind.RESULT_PAGES),
        ("GET", "/services/data/v62.0/jobs/query/750x", {}, b"", None),
        (
            "PATCH",
            "/services/data/v62.0/jobs/ingest/750y",
            {},
            b'{"state":"UploadComplete"}',
            Kind.UPLOAD_COMPLETE,
        ),
        ("PATCH", "/services/data/v62.0/jobs/ingest/750y", {}, b'{"state":"Aborted"}', None),
        ("PATCH", "/services/data/v62.0/jobs/ingest/750y", {}, b"not json", None),
        ("GET", "/services/data/v62.0/jobs/ingest/750y/successfulResults/", {}, b"", Kind.INGEST_SUCCESSES),
        ("GET", "/services/data/v62.0/jobs/ingest/750y/failedResults/", {}, b"", None),
        ("POST", "/services/oauth2/token", {}, b"", None),
    ],
)
def test_requests_are_sorted_into_the_kinds_mischief_is_armed_for(
    method: str, path: str, headers: dict[str, str], body: bytes, kind: Kind | None
) -> None:
    assert classify(method, path, headers, body) is kind


# -- NetSuite answers ---------------------------------------------------------------------------


def test_reorder_reverses_the_write_responses() -> None:
    assert _refs(reorder_write_responses(ANSWER)) == list(reversed(_refs(ANSWER)))


def test_a_foreign_external_id_replaces_the_first_record_and_its_internal_id() -> None:
    assert _refs(swap_in_foreign_external_id(ANSWER)) == [
        (FOREIGN_EXTERNAL_ID, FOREIGN_INTERNAL_ID),
        ("C-2", None),
        ("C-3", "13"),
    ]


def test_dropping_leaves_out_the_first_write_response() -> None:
    assert _refs(drop_write_response(ANSWER)) == [("C-2", None), ("C-3", "13")]


def test_stripping_takes_the_internal_id_off_the_first_success_only() -> None:
    assert _outcomes(strip_internal_id(ANSWER)) == [
        (True, "C-1", None),
        (False, "C-2", None),
        (True, "C-3", "13"),
    ]


def test_an_answer_the_mischief_cannot_work_on_is_not_applicable() -> None:
    one_failure = render_upsert_response(VERSION, "ns-1", [FAILED])
    with pytest.raises(NotApplicable):
        reorder_write_responses(one_failure)
    with pytest.raises(NotApplicable):
        strip_internal_id(one_failure)


def test_a_gzip_bomb_is_small_and_inflates_to_its_size() -> None:
    bomb = gzip_bomb(8 * 1024 * 1024 + 5)
    assert len(bomb) < 16 * 1024
    assert zlib.decompress(bomb, wbits=31) == b" " * (8 * 1024 * 1024 + 5)


# -- Salesforce answers -------------------------------------------------------------------------


def test_truncating_a_page_drops_its_last_rows_and_keeps_it_well_formed() -> None:
    page = b'"Id","Name"\n"001A","one"\n"001B","two\nlines, and ""quotes"""\n"001C","three"\n'
    truncated, rows = truncate_csv(page)
    assert rows == 2
    assert list(csv.reader(io.StringIO(truncated.decode(), newline=""))) == [
        ["Id", "Name"],
        ["001A", "one"],
        ["001B", 'two\nlines, and "quotes"'],
    ]
    with pytest.raises(NotApplicable):
        truncate_csv(b'"Id"\n')


def test_a_looped_listing_names_itself_as_the_next_one() -> None:
    listing = orjson.dumps(
        {"resultPages": [{"resultUrl": "/r?locator=MA"}], "nextRecordsUrl": "/n", "done": False}
    )
    looped = orjson.loads(loop_result_pages(listing, "/services/data/v62.0/jobs/query/7/resultPages"))
    assert looped["nextRecordsUrl"] == "/services/data/v62.0/jobs/query/7/resultPages"
    assert looped["resultPages"] == [{"resultUrl": "/r?locator=MA"}]
    with pytest.raises(NotApplicable):
        loop_result_pages(orjson.dumps({"resultPages": [], "nextRecordsUrl": None, "done": True}), "/x")


# -- the proxy on the wire ----------------------------------------------------------------------

PAGE = b'"Id","Name"\n"001A","one"\n"001B","two"\n'
RESULTS = "/services/data/v62.0/jobs/query/750Q/results"
LISTING = "/services/data/v62.0/jobs/query/750Q/resultPages"


class _Upstream:
    """A stand-in server: gzip query pages (the last one at locator ``END``), upsertList, the token."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(RESULTS, self.results)
        app.router.add_get(LISTING, self.listing)
        app.router.add_post("/services/NetSuitePort_2025_2", self.soap)
        app.router.add_post("/services/oauth2/token", self.token)
        app.router.add_patch("/services/data/v62.0/jobs/ingest/750I", self.patch)
        return app

    async def results(self, request: web.Request) -> web.Response:
        self.seen["results"] += 1
        last = request.query.get("locator") == "END"
        headers = {
            "Content-Encoding": "gzip",
            "Sforce-NumberOfRecords": "2",
            "Sforce-Locator": "null" if last else "END",
            "Sforce-Limit-Info": "api-usage=3/15000",
        }
        return web.Response(body=zlib.compress(PAGE, wbits=31), headers=headers, content_type="text/csv")

    async def listing(self, request: web.Request) -> web.Response:
        self.seen["listing"] += 1
        return web.json_response({"resultPages": [], "nextRecordsUrl": None, "done": True})

    async def soap(self, request: web.Request) -> web.Response:
        self.seen["soap"] += 1
        return web.Response(body=ANSWER, content_type="text/xml")

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "instance_url": "http://127.0.0.1:1"})

    async def patch(self, request: web.Request) -> web.Response:
        self.seen["patch"] += 1
        return web.json_response({"id": "750I", "state": "UploadComplete"})


@pytest.fixture
def server() -> _Upstream:
    return _Upstream()


@pytest.fixture
async def proxy(server: _Upstream) -> AsyncIterator[HostileProxy]:
    async with serving(server.app()) as url, HostileProxy(url) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


async def _get(
    client: aiohttp.ClientSession, proxy: HostileProxy, path: str
) -> tuple[int, dict[str, str], bytes]:
    async with client.get(f"{proxy.base_url}{path}", allow_redirects=False) as resp:
        return resp.status, dict(resp.headers), await resp.read()


async def _upsert(client: aiohttp.ClientSession, proxy: HostileProxy) -> bytes:
    async with client.post(
        f"{proxy.base_url}/services/NetSuitePort_2025_2", data=b"<x/>", headers={"SOAPAction": "upsertList"}
    ) as resp:
        return await resp.read()


async def test_an_unarmed_proxy_passes_answers_on_byte_for_byte(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    status, headers, body = await _get(client, proxy, f"{RESULTS}?locator=END")
    soap = await _upsert(client, proxy)
    assert status == 200
    assert (headers["Content-Encoding"], headers["Sforce-Locator"]) == ("gzip", "null")
    assert headers["Sforce-Limit-Info"] == "api-usage=3/15000"
    assert zlib.decompress(body, wbits=31) == PAGE
    assert soap == ANSWER
    assert proxy.requests == Counter({Kind.QUERY_RESULTS: 1, Kind.UPSERT_LIST: 1})
    assert not proxy.applied


async def test_the_token_answer_names_the_proxy_as_instance(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    async with client.post(f"{proxy.base_url}/services/oauth2/token") as resp:
        answer = orjson.loads(await resp.read())
    assert answer == {"access_token": "t", "instance_url": proxy.base_url}


async def test_mischief_is_spent_only_where_it_applies_and_only_so_many_times(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    proxy.arm(Mischief.TRUNCATE_LAST_PAGE, times=1)
    first = await _get(client, proxy, RESULTS)  # not the last page: untouched
    truncated = await _get(client, proxy, f"{RESULTS}?locator=END")
    again = await _get(client, proxy, f"{RESULTS}?locator=END")
    assert zlib.decompress(first[2], wbits=31) == PAGE
    assert truncated[1]["Sforce-NumberOfRecords"] == "1"
    assert truncated[1]["Content-Encoding"] == "gzip"
    assert zlib.decompress(truncated[2], wbits=31) == b"Id,Name\n001A,one\n"
    assert zlib.decompress(again[2], wbits=31) == PAGE
    assert proxy.applied == Counter({Mischief.TRUNCATE_LAST_PAGE: 1})


async def test_a_locator_loop_points_a_page_back_at_itself(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    proxy.arm(Mischief.LOCATOR_LOOP, times=2)
    first = await _get(client, proxy, RESULTS)  # a first page has no locator to repeat
    looped = await _get(client, proxy, f"{RESULTS}?locator=MID")
    assert first[1]["Sforce-Locator"] == "END"
    assert looped[1]["Sforce-Locator"] == "MID"
    assert proxy.applied == Counter({Mischief.LOCATOR_LOOP: 1})


async def test_a_redirect_points_off_the_machine_and_never_reaches_the_server(
    proxy: HostileProxy, server: _Upstream, client: aiohttp.ClientSession
) -> None:
    proxy.arm(Mischief.REDIRECT_OFF_BOX)
    status, headers, _ = await _get(client, proxy, f"{RESULTS}?locator=END")
    assert status == 302
    assert headers["Location"] == f"{REDIRECT_HOST}{RESULTS}?locator=END"
    assert server.seen["results"] == 0


async def test_a_missing_listing_is_answered_404_without_asking_the_server(
    proxy: HostileProxy, server: _Upstream, client: aiohttp.ClientSession
) -> None:
    proxy.arm(Mischief.NO_RESULT_PAGES)
    status, _, body = await _get(client, proxy, LISTING)
    honest = await _get(client, proxy, LISTING)
    assert status == 404
    assert orjson.loads(body)[0]["errorCode"] == "NOT_FOUND"
    assert honest[0] == 200
    assert server.seen["listing"] == 1


async def test_bombs_and_oversize_bodies_are_what_they_claim(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    proxy.bomb_bytes, proxy.oversize_bytes = 4 << 20, 3 << 20
    proxy.arm(Mischief.GZIP_BOMB)
    proxy.arm(Mischief.OVERSIZE)
    bomb = await _get(client, proxy, RESULTS)
    oversize = await _get(client, proxy, RESULTS)
    assert bomb[1]["Content-Encoding"] == "gzip"
    assert len(bomb[2]) < 16 * 1024
    assert len(zlib.decompress(bomb[2], wbits=31)) == 4 << 20
    assert "Content-Encoding" not in oversize[1]
    assert len(oversize[2]) == 3 << 20
    assert oversize[2].startswith(PAGE)


async def test_a_trickled_page_arrives_whole_at_the_set_rate(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    proxy.trickle_bytes_per_s = 200.0
    proxy.arm(Mischief.TRICKLE)
    started = time.monotonic()
    status, _, body = await _get(client, proxy, RESULTS)
    elapsed = time.monotonic() - started
    assert status == 200
    assert zlib.decompress(body, wbits=31) == PAGE
    assert elapsed >= 0.9 * len(body) / 200.0 - 0.1


async def test_a_lost_answer_was_acted_on_upstream(
    proxy: HostileProxy, server: _Upstream, client: aiohttp.ClientSession
) -> None:
    url = f"{proxy.base_url}/services/data/v62.0/jobs/ingest/750I"
    proxy.arm(Mischief.LOSE_ANSWER)
    async with client.patch(url, json={"state": "UploadComplete"}) as lost:
        assert lost.status == 502
    async with client.patch(url, json={"state": "UploadComplete"}) as honest:
        assert honest.status == 200
    assert server.seen["patch"] == 2


async def test_requests_in_flight_together_spend_mischief_no_more_than_armed(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    proxy.arm(Mischief.REORDER)
    answers = await asyncio.gather(*(_upsert(client, proxy) for _ in range(4)))
    assert sorted(answer == ANSWER for answer in answers) == [False, True, True, True]
    assert proxy.applied == Counter({Mischief.REORDER: 1})


async def test_an_upsert_answer_is_edited_and_honest_again_once_disarmed(
    proxy: HostileProxy, client: aiohttp.ClientSession
) -> None:
    proxy.arm(Mischief.REORDER, times=5)
    reordered = await _upsert(client, proxy)
    proxy.honest()
    honest = await _upsert(client, proxy)
    assert _refs(reordered) == list(reversed(_refs(ANSWER)))
    assert honest == ANSWER
