"""The HTTP layer every Salesforce REST / Bulk 2.0 call goes through.

Rules this module owns:

- The ``Authorization`` header is built from ``tokens.get()`` when each request is sent, never kept
  from an earlier call: a run of many hours outlives several sessions.
- A refreshable 401 (``INVALID_SESSION_ID`` / ``INVALID_AUTH_HEADER``) invalidates exactly the token
  that request carried and replays the request once; a second 401 on a brand-new token is an
  ``AuthError`` (the grant or the user is wrong) rather than a loop.
- 429, 5xx, ``ConcurrentRequests`` limits, connection resets and timeouts are retried by the shared
  ``RetryPolicy`` (jittered exponential backoff); ``TotalRequests`` and every other 4xx are not.
- Streamed downloads are retried as a whole: ``download`` runs "send + read the body" as one
  attempt, so a connection reset half-way through a results page re-fetches that page. A download
  may ask for the body as it travelled (``decompress=False``): the caller then owns undoing the
  ``Content-Encoding`` it reads from the response.
- A JSON answer that does not parse is a ``SalesforceProtocolError`` naming the request, never a
  decoder's traceback.
- Every body, error answers included, is read within ``body_limits`` (transport/body.py): its size
  after decompression and the time it takes to arrive; the wait for an answer's headers is held to
  the same time. Going over either is transient, so the
  request is retried, then the run stops where resume asks for it again.
- The latest ``Sforce-Limit-Info`` (used/max, not remaining) of any response is kept for reports,
  and every request sent is counted (``requests``).
- Requests go to the token's ``instance_url`` only; an absolute link from the server is followed
  only if it points at that same origin, so a token is never sent to another host. A redirect is
  followed only to https or to loopback (transport/endpoint_guard.py).
- Nothing here logs headers or bodies; a token never reaches a log line or an exception.

Retrying a POST after a reset that happened once the server had the request may create a second
query job; the first is left for Salesforce's 7-day clean-up, which costs one job of the daily 10,000.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Container, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import aiohttp
import orjson
from yarl import URL

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.errors import ConfigError, TransientError
from bulk_o2c.protocol.salesforce.errors import (
    FreshTokenRefusedError,
    InvalidSessionError,
    SalesforceProtocolError,
    api_error,
    parse_limit_info,
)
from bulk_o2c.transport.body import MIB, READ_BYTES, BodyLimits, answer_within, body_chunks, read_body
from bulk_o2c.transport.endpoint_guard import ENDPOINT_GUARD
from bulk_o2c.transport.retry import RetryPolicy
from bulk_o2c.transport.tokens import AccessToken, TokenManager

T = TypeVar("T")
log = logging.getLogger(__name__)

LIMIT_INFO_HEADER = "Sforce-Limit-Info"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
_NETWORK_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)


class ConnectionLostError(TransientError):
    """The connection failed, was reset or timed out before the whole answer arrived."""


def network_failure(exc: BaseException, what: str) -> ConnectionLostError:
    """A library failure as the transient error retries understand (message without any URL query)."""
    return ConnectionLostError(f"{what}: {type(exc).__name__}: {exc}".rstrip(": "))


def client_session(
    *, connect_timeout_s: float = 30.0, read_timeout_s: float = 300.0
) -> aiohttp.ClientSession:
    """A session fit for Salesforce: no cap on a whole request (a results page may take minutes to
    stream) but one on each wait for bytes; gzip answers are undone as they arrive."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout_s, sock_read=read_timeout_s)
    return aiohttp.ClientSession(timeout=timeout, auto_decompress=True)


def body_limits(settings: SalesforceSettings) -> BodyLimits:
    """The bounds of every Salesforce answer, from the settings."""
    return BodyLimits(
        settings.max_body_mib * MIB,
        settings.body_timeout_s,
        size_setting="salesforce.max_body_mib",
        time_setting="salesforce.body_timeout_s",
    )


class SalesforceHttp:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: TokenManager,
        *,
        api_version: str,
        retry: RetryPolicy,
        accept_gzip: bool = True,
        limits: BodyLimits | None = None,
    ) -> None:
        self._session = session
        self._limits = limits if limits is not None else body_limits(SalesforceSettings())
        self._csv_encoding = "gzip" if accept_gzip else "identity"
        self._tokens = tokens
        self.api_version = api_version
        self.retry = retry
        self.limits: dict[str, tuple[int, int]] = {}
        self.requests = 0  # requests sent, retries and 401 replays included

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        json: object | None = None,
        params: Mapping[str, str] | None = None,
        expected: Container[int] = (200,),
    ) -> Any:
        """Send a JSON request to ``/services/data/vXX.X/<path>``; the parsed answer, None if empty."""
        body = None if json is None else orjson.dumps(json)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = JSON_CONTENT_TYPE

        async def attempt() -> Any:
            async with self._send(
                method, path, params=params, headers=headers, body=body, expected=expected
            ) as resp:
                try:
                    raw = await read_body(resp, self._limits, what=f"{method} {resp.url.path}")
                except _NETWORK_ERRORS as exc:
                    raise network_failure(exc, f"{method} {path}") from None
                status = resp.status
            try:
                return orjson.loads(raw) if raw.strip() else None
            except orjson.JSONDecodeError:
                # A proxy's or portal's page, or a body cut short: a wire fault, not a traceback.
                raise SalesforceProtocolError(
                    f"{method} {path}: Salesforce answered HTTP {status} with a body that is not JSON",
                    status=status,
                ) from None

        return await self.retry.call(attempt)

    async def upload_csv(self, path: str, body: bytes | AsyncIterable[bytes]) -> None:
        """PUT a CSV body (201 expected). Bytes are replayed and retried; a stream can be sent only once,
        so its failures (a 401 included, after the token is renewed) go to the caller, who re-sends it.
        """
        headers = {"Content-Type": "text/csv", "Accept": "application/json"}
        replayable = isinstance(body, bytes)

        async def attempt() -> None:
            async with self._send(
                "PUT", path, headers=headers, body=body, expected=(201,), replay=replayable
            ):
                pass

        if replayable:
            await self.retry.call(attempt)
        else:
            await attempt()

    def _stream(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        expected: Container[int] = (200,),
        decompress: bool = True,
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """One attempt (plus the 401 replay) at a CSV download, the body left to read from the response.

        gzip is asked for (unless ``accept_gzip`` is off) and undone by aiohttp unless ``decompress``
        is off. Private: the body is unbounded here; ``download`` reads it within its bounds.
        """
        headers = {"Accept": "text/csv", "Accept-Encoding": self._csv_encoding}
        return self._send(
            method,
            path_or_url,
            params=params,
            headers=headers,
            body=None,
            expected=expected,
            decompress=decompress,
        )

    async def download(
        self,
        path_or_url: str,
        consume: Callable[[aiohttp.ClientResponse, AsyncIterator[bytes]], Awaitable[T]],
        *,
        params: Mapping[str, str] | None = None,
        expected: Container[int] = (200,),
        decompress: bool = True,
        chunk_bytes: int = READ_BYTES,
    ) -> T:
        """GET and ``consume`` the response and its bounded body (read it from the chunks given, not
        from the response); a failure anywhere, body included, retries both."""

        async def attempt() -> T:
            async with self._stream(
                "GET", path_or_url, params=params, expected=expected, decompress=decompress
            ) as resp:
                chunks = body_chunks(
                    resp,
                    self._limits,
                    what=f"GET {resp.url.path}",
                    chunk_bytes=chunk_bytes,
                    encoded=not decompress,
                )
                try:
                    return await consume(resp, chunks)
                except _NETWORK_ERRORS as exc:
                    raise network_failure(exc, "results download interrupted") from None

        return await self.retry.call(attempt)

    def url_for(self, path_or_url: str, instance_url: str) -> URL:
        """Where a request goes: a path under the versioned API, an instance path, or a same-origin URL."""
        base = URL(instance_url)
        if path_or_url.startswith(("https://", "http://")):
            url = URL(path_or_url, encoded=True)
            if url.origin() != base.origin():
                raise ConfigError(
                    f"refusing to send the Salesforce token to {url.origin()}: it is not {base.origin()}"
                )
            return url
        if path_or_url.startswith("/"):
            # Links from the server arrive encoded; re-encoding would change a locator.
            return URL(f"{instance_url.rstrip('/')}{path_or_url}", encoded=True)
        return URL(f"{instance_url.rstrip('/')}/services/data/v{self.api_version}/{path_or_url}")

    @asynccontextmanager
    async def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str],
        body: bytes | AsyncIterable[bytes] | None,
        expected: Container[int],
        replay: bool = True,
        decompress: bool = True,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        token = await self._tokens.get()
        try:
            resp = await self._attempt(
                method, path_or_url, params, headers, body, expected, token, decompress
            )
        except InvalidSessionError:
            fresh = await self._tokens.invalidate(token)
            if not replay:
                raise
            log.info("Salesforce session expired; replaying %s once with a new token", method)
            try:
                resp = await self._attempt(
                    method, path_or_url, params, headers, body, expected, fresh, decompress
                )
            except InvalidSessionError as exc:
                raise FreshTokenRefusedError(
                    f"{exc}; the token was issued moments ago, so check the connected app, the user's "
                    "permissions and the login URL",
                    status=exc.status,
                    error_code=exc.error_code,
                ) from None
        try:
            yield resp
        finally:
            resp.release()

    async def _attempt(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        body: bytes | AsyncIterable[bytes] | None,
        expected: Container[int],
        token: AccessToken,
        decompress: bool = True,
    ) -> aiohttp.ClientResponse:
        """The response if its status is expected; otherwise the classified error is raised."""
        if token.instance_url is None:
            raise ConfigError("no Salesforce instance URL: the token answer had none and none is configured")
        url = self.url_for(path_or_url, token.instance_url)
        self.requests += 1
        try:
            async with answer_within(self._limits, what=f"{method} {url.path}"):
                resp = await self._session.request(
                    method,
                    url,
                    params=params,
                    data=body,
                    headers={**headers, "Authorization": f"Bearer {token.value}"},
                    auto_decompress=decompress,
                    middlewares=ENDPOINT_GUARD,
                )
        except _NETWORK_ERRORS as exc:
            raise network_failure(exc, f"{method} {url.path}") from None
        self._note_limits(resp)
        if resp.status in expected:
            return resp
        try:
            raw = await read_body(resp, self._limits, what=f"{method} {url.path}", encoded=not decompress)
        except _NETWORK_ERRORS as exc:
            raise network_failure(exc, f"{method} {url.path}") from None
        finally:
            resp.release()
        if not decompress and resp.headers.get("Content-Encoding", "").lower() == "gzip":
            # The error answer of a download asked for undecoded: undo gzip here, the caller won't.
            try:
                raw = zlib.decompress(raw, wbits=31)
            except zlib.error:
                raw = b""
        log.debug("Salesforce %s %s answered %s", method, url.path, resp.status)
        raise api_error(resp.status, raw)

    def _note_limits(self, resp: aiohttp.ClientResponse) -> None:
        header = resp.headers.get(LIMIT_INFO_HEADER)
        if header:
            self.limits.update(parse_limit_info(header))
