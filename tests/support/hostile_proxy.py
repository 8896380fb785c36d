"""A hostile reverse proxy on loopback, between bulk-o2c and one of its sandboxes.

The sandboxes answer as Salesforce and NetSuite document; this proxy answers as a wire that cannot
be trusted. It forwards every request to its upstream sandbox and passes the answer on unchanged,
except where a test armed a piece of mischief for that kind of request: then, a bounded number of
times, it reorders, truncates, loops, bombs, trickles or redirects. The client under test is aimed
at the proxy (the login URL, or the SOAP URL) and cannot tell it from the server.

Rules this module owns:

- One proxy per upstream. Requests are sorted into kinds (``classify``): NetSuite ``upsertList``,
  Bulk 2.0 query results and resultPages, the ingest PATCH ``UploadComplete`` and an ingest job's
  ``successfulResults``; any other request
  is only forwarded. A mischief belongs to the kinds ``MISCHIEF_KINDS`` names.
- ``arm(mischief, times)`` applies it to the next ``times`` requests it can apply to (a loop needs a
  page that has a next one, truncating needs the last page, ...); requests it cannot apply to are
  forwarded honestly and do not count. ``honest()`` disarms everything. ``applied`` counts what was
  done. A mischief is spent when it is decided, before any streamed body starts, so requests in
  flight together never spend it more often than armed.
- Mischief that changes an answer forwards the request first (the server acts, the client hears a
  lie); a redirect and a missing resultPages never reach the server.
- The OAuth token answer always names the proxy as ``instance_url``, so the API calls of a client
  that logged in through the proxy come back through it. (The Salesforce sandbox must accept the
  proxy's URL as JWT audience: ``demo.sandboxes(options, jwt_audience=...)``.)
- It binds 127.0.0.1 only, and redirects point at ``example.invalid``, a name that never resolves:
  a client that follows one fails to look it up and connects nowhere.
- The transformations are pure functions of bytes (``reorder_write_responses``, ``truncate_csv``,
  ...) so they are tested without a network.
"""

from __future__ import annotations

import asyncio
import csv
import io
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Self

import aiohttp
import orjson
from aiohttp import web
from lxml import etree
from multidict import CIMultiDict

from tests.support.loopback import serving

REDIRECT_HOST = "http://example.invalid"
FOREIGN_EXTERNAL_ID = "hostile-foreign-record"
FOREIGN_INTERNAL_ID = "987654321"
# Headers that describe one connection or one encoding of a body: the proxy sets its own.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade", "te", "trailer"}
)
_STREAM_CHUNK = 64 * 1024
_GZIP_WBITS = 31


class Kind(StrEnum):
    UPSERT_LIST = "NetSuite upsertList"
    QUERY_RESULTS = "Bulk 2.0 query results page"
    RESULT_PAGES = "Bulk 2.0 resultPages listing"
    UPLOAD_COMPLETE = "Bulk 2.0 ingest PATCH UploadComplete"
    INGEST_SUCCESSES = "Bulk 2.0 ingest successfulResults"


class Mischief(StrEnum):
    REORDER = "writeResponses in reverse order"
    FOREIGN_EXTERNAL_ID = "a writeResponse for a record that was not sent"
    DROP_WRITE_RESPONSE = "the first writeResponse left out"
    STRIP_INTERNAL_ID = "a success without its internalId"
    GZIP_BOMB = "a small gzip body that inflates past any sane size"
    OVERSIZE = "a plain body past any sane size"
    TRUNCATE_LAST_PAGE = "the last page short of rows, its count header agreeing"
    LOCATOR_LOOP = "Sforce-Locator pointing back at the page itself"
    RESULT_PAGES_LOOP = "nextRecordsUrl pointing back at the listing itself"
    NO_RESULT_PAGES = "resultPages answered 404"
    TRICKLE = "a page sent a few bytes at a time"
    REDIRECT_OFF_BOX = "302 to plain http on a host that is not this machine"
    LOSE_ANSWER = "the request done upstream, its answer replaced by 502"
    TRUNCATE_SUCCESSES = "successfulResults short of its last row"


MISCHIEF_KINDS: Mapping[Mischief, frozenset[Kind]] = {
    Mischief.REORDER: frozenset({Kind.UPSERT_LIST}),
    Mischief.FOREIGN_EXTERNAL_ID: frozenset({Kind.UPSERT_LIST}),
    Mischief.DROP_WRITE_RESPONSE: frozenset({Kind.UPSERT_LIST}),
    Mischief.STRIP_INTERNAL_ID: frozenset({Kind.UPSERT_LIST}),
    Mischief.GZIP_BOMB: frozenset({Kind.UPSERT_LIST, Kind.QUERY_RESULTS}),
    Mischief.OVERSIZE: frozenset({Kind.UPSERT_LIST, Kind.QUERY_RESULTS}),
    Mischief.TRUNCATE_LAST_PAGE: frozenset({Kind.QUERY_RESULTS}),
    Mischief.LOCATOR_LOOP: frozenset({Kind.QUERY_RESULTS}),
    Mischief.RESULT_PAGES_LOOP: frozenset({Kind.RESULT_PAGES}),
    Mischief.NO_RESULT_PAGES: frozenset({Kind.RESULT_PAGES}),
    Mischief.TRICKLE: frozenset({Kind.QUERY_RESULTS}),
    Mischief.REDIRECT_OFF_BOX: frozenset({Kind.QUERY_RESULTS}),
    Mischief.LOSE_ANSWER: frozenset({Kind.UPLOAD_COMPLETE}),
    Mischief.TRUNCATE_SUCCESSES: frozenset({Kind.INGEST_SUCCESSES}),
}
# Decided before the request is forwarded: the server never sees it.
_INSTEAD_OF_SERVER = frozenset({Mischief.REDIRECT_OFF_BOX, Mischief.NO_RESULT_PAGES})


# -- what a request is ---------------------------------------------------------------------------


def classify(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Kind | None:
    """The kind of request mischief can be armed for, or None for one that is only forwarded."""
    parts = path.strip("/").split("/")
    if method == "POST" and path.startswith("/services/NetSuitePort_"):
        return Kind.UPSERT_LIST if headers.get("SOAPAction", "").strip().strip('"') == "upsertList" else None
    # /services/data/vXX.X/jobs/<query|ingest>/<id>[/<what>]
    if len(parts) < 6 or parts[:2] != ["services", "data"] or parts[3] != "jobs":
        return None
    family, rest = parts[4], parts[6:]
    if family == "query" and method == "GET" and rest == ["results"]:
        return Kind.QUERY_RESULTS
    if family == "query" and method == "GET" and rest == ["resultPages"]:
        return Kind.RESULT_PAGES
    if family == "ingest" and method == "GET" and rest == ["successfulResults"]:
        return Kind.INGEST_SUCCESSES
    if family == "ingest" and method == "PATCH" and not rest:
        try:
            wanted = orjson.loads(body).get("state")
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return Kind.UPLOAD_COMPLETE if wanted == "UploadComplete" else None
    return None


# -- pure transformations of answers --------------------------------------------------------------


class NotApplicable(Exception):
    """This answer gives the mischief nothing to work on (one record, no next page, ...)."""


def _write_responses(body: bytes) -> tuple[etree._Element, list[etree._Element]]:
    root = etree.fromstring(body)
    return root, list(root.iter("{*}writeResponse"))


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _base_ref(response: etree._Element) -> etree._Element:
    ref = response.find("{*}baseRef")
    if ref is None:
        raise NotApplicable("a writeResponse without baseRef")
    return ref


def reorder_write_responses(body: bytes) -> bytes:
    """The upsertList answer with its writeResponses in reverse order (needs two or more)."""
    root, responses = _write_responses(body)
    if len(responses) < 2:
        raise NotApplicable("fewer than two writeResponses")
    parent = responses[0].getparent()
    assert parent is not None
    for response in responses:
        parent.remove(response)
    parent.extend(reversed(responses))
    return _xml(root)


def swap_in_foreign_external_id(body: bytes) -> bytes:
    """The first writeResponse claims a record nobody sent, with an internalId NetSuite never gave."""
    root, responses = _write_responses(body)
    if not responses:
        raise NotApplicable("no writeResponse")
    ref = _base_ref(responses[0])
    ref.set("externalId", FOREIGN_EXTERNAL_ID)
    if ref.get("internalId") is not None:
        ref.set("internalId", FOREIGN_INTERNAL_ID)
    return _xml(root)


def drop_write_response(body: bytes) -> bytes:
    """The upsertList answer without its first writeResponse."""
    root, responses = _write_responses(body)
    if not responses:
        raise NotApplicable("no writeResponse")
    parent = responses[0].getparent()
    assert parent is not None
    parent.remove(responses[0])
    return _xml(root)


def strip_internal_id(body: bytes) -> bytes:
    """The first successful writeResponse without the internalId NetSuite gave the record."""
    root, responses = _write_responses(body)
    for response in responses:
        status = response.find("{*}status")
        ref = response.find("{*}baseRef")
        succeeded = status is not None and status.get("isSuccess") == "true"
        if succeeded and ref is not None and ref.get("internalId") is not None:
            del ref.attrib["internalId"]
            return _xml(root)
    raise NotApplicable("no success with an internalId")


def truncate_csv(body: bytes, drop: int = 1) -> tuple[bytes, int]:
    """The CSV page without its last ``drop`` rows, still well formed; and the rows it keeps."""
    text = body.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) < 2:
        raise NotApplicable("a page without rows")
    kept = rows[: max(1, len(rows) - drop)]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(kept)
    return out.getvalue().encode("utf-8"), len(kept) - 1


def loop_result_pages(listing: bytes, own_url: str) -> bytes:
    """A resultPages listing whose ``nextRecordsUrl`` is the URL that fetched it (needs a next one)."""
    answer = orjson.loads(listing)
    if not isinstance(answer, dict) or not answer.get("nextRecordsUrl"):
        raise NotApplicable("the last listing")
    answer["nextRecordsUrl"] = own_url
    answer["done"] = False
    return orjson.dumps(answer)


@cache
def gzip_bomb(inflated_bytes: int) -> bytes:
    """gzip of ``inflated_bytes`` spaces: about a thousandth of that on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _GZIP_WBITS)
    block = b" " * (1 << 20)
    parts = [compressor.compress(block) for _ in range(inflated_bytes // len(block))]
    parts.append(compressor.compress(b" " * (inflated_bytes % len(block))))
    parts.append(compressor.flush())
    return b"".join(parts)


def inflate(body: bytes, encoding: str) -> bytes:
    return zlib.decompress(body, wbits=_GZIP_WBITS) if encoding == "gzip" else body


def deflate(body: bytes, encoding: str) -> bytes:
    if encoding != "gzip":
        return body
    compressor = zlib.compressobj(1, zlib.DEFLATED, _GZIP_WBITS)
    return compressor.compress(body) + compressor.flush()


# -- the proxy -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Armed:
    mischief: Mischief
    remaining: int


_Streamed = tuple[CIMultiDict[str], AsyncIterator[bytes]]


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: CIMultiDict[str]
    body: bytes


class HostileProxy:
    """A reverse proxy on 127.0.0.1 in front of ``upstream``, honest until armed."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream  # may be set once the sandbox behind is up
        # How big a bomb inflates, how big an oversize body is, how fast a trickle goes: far past
        # any bound a client should set, and slow enough to outlast any patience.
        self.bomb_bytes = 256 * 1024 * 1024
        self.oversize_bytes = 256 * 1024 * 1024
        self.trickle_bytes_per_s = 8.0
        self.requests: Counter[Kind | None] = Counter()
        self.applied: Counter[Mischief] = Counter()
        self._armed: list[_Armed] = []
        self._running = AsyncExitStack()
        self._client: aiohttp.ClientSession | None = None
        self._base_url: str | None = None

    # -- control ---------------------------------------------------------------------------------

    def arm(self, mischief: Mischief, times: int = 1) -> None:
        if times < 1:
            raise ValueError("mischief is armed for at least one request")
        self._armed.append(_Armed(mischief, times))

    def honest(self) -> None:
        self._armed.clear()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the proxy is not running")
        return self._base_url

    def fronting(self, url: str) -> str:
        """``url`` of the upstream, through the proxy."""
        assert self.upstream is not None, "the proxy has no upstream yet"
        if not url.startswith(self.upstream):
            raise ValueError(f"{url} is not under {self.upstream}")
        return self.base_url + url.removeprefix(self.upstream)

    # -- life ------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        async with AsyncExitStack() as stack:
            self._base_url = await stack.enter_async_context(serving(app))
            self._client = await stack.enter_async_context(
                aiohttp.ClientSession(auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None))
            )
            self._running = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._running.aclose()
        self._client = None
        self._base_url = None

    # -- serving ---------------------------------------------------------------------------------

    def _candidates(self, kind: Kind | None) -> list[_Armed]:
        if kind is None:
            return []
        return [a for a in self._armed if a.remaining > 0 and kind in MISCHIEF_KINDS[a.mischief]]

    def _spend(self, armed: _Armed) -> None:
        armed.remaining -= 1
        self.applied[armed.mischief] += 1

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        kind = classify(request.method, request.path, request.headers, body)
        self.requests[kind] += 1
        candidates = self._candidates(kind)
        for armed in candidates:
            if armed.mischief in _INSTEAD_OF_SERVER:
                self._spend(armed)
                return _instead_of_server(armed.mischief, request)
        answer = await self._forward(request, body)
        for armed in candidates:
            # Spent meanwhile by a request that was answered first.
            if armed.mischief in _INSTEAD_OF_SERVER or armed.remaining <= 0:
                continue
            try:
                response = self._mischief(armed.mischief, request, answer)
            except NotApplicable:
                continue
            self._spend(armed)  # before a streamed body starts, so no other request spends it too
            if isinstance(response, web.Response):
                return response
            return await _stream(request, *response)
        return _send(answer.status, answer.headers, answer.body)

    async def _forward(self, request: web.Request, body: bytes) -> _Answer:
        assert self._client is not None
        assert self.upstream is not None, "the proxy has no upstream yet"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._client.request(
            request.method,
            f"{self.upstream}{request.path_qs}",
            data=body if body else None,
            headers=headers,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            answer_headers = CIMultiDict(
                (k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP
            )
            if request.path == "/services/oauth2/token" and upstream.status == 200:
                payload = self._rewrite_instance_url(payload)
            return _Answer(upstream.status, answer_headers, payload)

    def _rewrite_instance_url(self, payload: bytes) -> bytes:
        answer = orjson.loads(payload)
        if isinstance(answer, dict) and "instance_url" in answer:
            answer["instance_url"] = self.base_url
        return orjson.dumps(answer)

    def _mischief(
        self, mischief: Mischief, request: web.Request, answer: _Answer
    ) -> web.Response | _Streamed:
        """The response the mischief gives instead of ``answer`` (or the headers and the chunks of a
        body to stream); NotApplicable leaves the answer alone."""
        if answer.status != 200:
            raise NotApplicable(f"HTTP {answer.status}")
        encoding = answer.headers.get("Content-Encoding", "identity").lower()
        headers = CIMultiDict(answer.headers)
        if mischief in _SOAP_EDITS:
            return _send(
                200, headers, deflate(_SOAP_EDITS[mischief](inflate(answer.body, encoding)), encoding)
            )
        if mischief is Mischief.TRUNCATE_LAST_PAGE:
            if answer.headers.get("Sforce-Locator", "null") != "null":
                raise NotApplicable("not the last page")
            page, rows = truncate_csv(inflate(answer.body, encoding))
            headers["Sforce-NumberOfRecords"] = str(rows)
            return _send(200, headers, deflate(page, encoding))
        if mischief is Mischief.TRUNCATE_SUCCESSES:
            return _send(200, headers, deflate(truncate_csv(inflate(answer.body, encoding))[0], encoding))
        if mischief is Mischief.LOCATOR_LOOP:
            own = request.query.get("locator")
            if not own or answer.headers.get("Sforce-Locator", "null") == "null":
                raise NotApplicable("a first or last page")
            headers["Sforce-Locator"] = own
            return _send(200, headers, answer.body)
        if mischief is Mischief.RESULT_PAGES_LOOP:
            return _send(200, headers, loop_result_pages(inflate(answer.body, encoding), request.path_qs))
        if mischief is Mischief.GZIP_BOMB:
            headers["Content-Encoding"] = "gzip"
            return _send(200, headers, gzip_bomb(self.bomb_bytes))
        if mischief is Mischief.OVERSIZE:
            headers.popall("Content-Encoding", None)
            return (headers, _padded(inflate(answer.body, encoding), self.oversize_bytes))
        if mischief is Mischief.TRICKLE:
            return (headers, _trickled(answer.body, self.trickle_bytes_per_s))
        if mischief is Mischief.LOSE_ANSWER:
            return web.Response(status=502, text="Bad Gateway", content_type="text/plain")
        raise AssertionError(f"unhandled mischief {mischief}")


_SOAP_EDITS: Mapping[Mischief, Callable[[bytes], bytes]] = {
    Mischief.REORDER: reorder_write_responses,
    Mischief.FOREIGN_EXTERNAL_ID: swap_in_foreign_external_id,
    Mischief.DROP_WRITE_RESPONSE: drop_write_response,
    Mischief.STRIP_INTERNAL_ID: strip_internal_id,
}


def _instead_of_server(mischief: Mischief, request: web.Request) -> web.Response:
    if mischief is Mischief.REDIRECT_OFF_BOX:
        return web.Response(status=302, headers={"Location": f"{REDIRECT_HOST}{request.path_qs}"})
    return web.json_response(
        [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], status=404
    )


def _send(status: int, headers: CIMultiDict[str], body: bytes) -> web.Response:
    return web.Response(status=status, headers=headers, body=body)


async def _padded(body: bytes, total: int) -> AsyncIterator[bytes]:
    """``body``, then spaces (whitespace after the root is still a well-formed document) to ``total``."""
    yield body
    left = total - len(body)
    block = b" " * _STREAM_CHUNK
    while left > 0:
        yield block[:left]
        left -= _STREAM_CHUNK
        await asyncio.sleep(0)


async def _trickled(body: bytes, bytes_per_s: float) -> AsyncIterator[bytes]:
    step = max(1, int(bytes_per_s / 10))
    for start in range(0, len(body), step):
        yield body[start : start + step]
        await asyncio.sleep(step / bytes_per_s)


async def _stream(
    request: web.Request, headers: CIMultiDict[str], chunks: AsyncIterator[bytes]
) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers=headers)
    await response.prepare(request)
    try:
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
    except ConnectionError:
        pass  # the client hung up: what it refused to read is not sent
    return response
