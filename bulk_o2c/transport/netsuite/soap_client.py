"""One SuiteTalk attempt over HTTP (``upsertList``; the ``getServerTime`` and governance calls a
run starts with; a ``get`` of one record for ``doctor``): slot, passport, POST, parse, classify.

Rules this module owns:

* An attempt holds one limiter slot from before the request is sent until its body is read, so the
  limiter bounds what NetSuite counts against the pool. Waiting for a slot is not timed; the
  request is (``timeout_s``, covering connect, send and the whole answer).
* Every attempt signs a new passport: nonce and timestamp never repeat, even for a resent chunk.
* The body is read and parsed whatever the HTTP status: faults come as HTTP 500, per-record
  errors as HTTP 200. It is read within ``netsuite.max_response_mib`` after decompression
  (transport/body.py); a larger answer is not read further and the attempt is transient.
* A redirect is never followed: it would resend the passport and the records to wherever it
  points. A 3xx answer is a ``PermanentError`` naming where it pointed (the setup is wrong).
* Errors the writer acts on, by class: connection failures, timeouts, unreadable bodies and 5xx
  without a fault are ``TransientError``; HTTP 429 without a fault is a ``ConcurrencyLimitError``;
  another 4xx without a fault is a ``PermanentError`` (wrong URL, proxy refusal); SOAP faults keep
  their ``faults`` class. A concurrency fault (or HTTP 429) shrinks the limiter; an answer with
  one outcome per record lets it grow. An answer whose outcomes do not pair off with the records
  sent (``protocol.netsuite.matching``) is a ``ResponseMismatchError``: transient, resent whole.
* Nothing here logs or formats the request body, the response body or the passport.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp

from bulk_o2c.errors import (
    BodyTooLargeError,
    ConcurrencyLimitError,
    PermanentError,
    ResponseMismatchError,
    TransientError,
)
from bulk_o2c.protocol.netsuite.envelope import (
    CONTENT_TYPE,
    SOAP_ACTION_GET,
    SOAP_ACTION_GET_ACCOUNT_GOVERNANCE_INFO,
    SOAP_ACTION_GET_INTEGRATION_GOVERNANCE_INFO,
    SOAP_ACTION_GET_SELECT_VALUE,
    SOAP_ACTION_GET_SERVER_TIME,
    SOAP_ACTION_UPSERT_LIST,
    EncodedRecord,
    Preferences,
    build_get,
    build_get_account_governance_info,
    build_get_integration_governance_info,
    build_get_select_value,
    build_get_server_time,
    build_upsert_list,
)
from bulk_o2c.protocol.netsuite.faults import MalformedResponseError, SoapFault
from bulk_o2c.protocol.netsuite.governance import Governance
from bulk_o2c.protocol.netsuite.passport import PassportSigner
from bulk_o2c.protocol.netsuite.response import (
    FetchedRecord,
    WriteOutcome,
    parse_account_governance_response,
    parse_get_response,
    parse_get_select_value_response,
    parse_get_server_time_response,
    parse_integration_governance_response,
    parse_upsert_list_response,
)
from bulk_o2c.transport.body import MIB, BodyLimits, read_body
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.metrics import OK, RequestMetrics

log = logging.getLogger(__name__)

_Answer = TypeVar("_Answer")
# A select field with more pages than this is not a list of forms: stop rather than page on.
MAX_SELECT_PAGES = 50


class SoapClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        signer: PassportSigner,
        *,
        version: str,
        preferences: Preferences,
        limiter: AimdLimiter,
        timeout_s: float,
        max_response_bytes: int = 16 * MIB,
        metrics: RequestMetrics | None = None,
    ) -> None:
        self._session = session
        self._url = url
        self._signer = signer
        self._version = version
        self._preferences = preferences
        self.limiter = limiter
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        # The request's own total timeout bounds the time; the body needs a bound on its size only.
        self._limits = BodyLimits(max_response_bytes, size_setting="netsuite.max_response_mib")
        self.metrics = metrics if metrics is not None else RequestMetrics()
        self._host = urlsplit(url).netloc

    async def upsert_list(self, records: Sequence[EncodedRecord]) -> list[WriteOutcome]:
        """Send the records once; one outcome per record, in the order given, matched by key."""
        sent = [(r.record_type, r.external_id) for r in records]

        def parse(payload: bytes) -> list[WriteOutcome]:
            return parse_upsert_list_response(payload, sent)

        async with self.limiter.slot():
            self.metrics.observe_concurrency(self.limiter.in_flight)
            body = build_upsert_list(
                [r.xml for r in records],
                self._signer.sign(),
                version=self._version,
                preferences=self._preferences,
            )
            try:
                outcomes = await self._attempt("upsertList", SOAP_ACTION_UPSERT_LIST, body, len(sent), parse)
            except ConcurrencyLimitError:
                self.limiter.on_overload()
                raise
            self.limiter.on_success()
            return outcomes

    async def server_time(self) -> datetime:
        """NetSuite's clock, from one ``getServerTime``: proves the endpoint answers and takes the
        credentials, at the cost of one request and no record."""
        log.info("asking NetSuite at %s for its time (getServerTime)", self._host)
        return await self._call(
            "getServerTime",
            SOAP_ACTION_GET_SERVER_TIME,
            build_get_server_time,
            parse_get_server_time_response,
        )

    async def account_governance(self) -> Governance:
        """The account's concurrency limits (``getAccountGovernanceInfo``; administrators only)."""
        return await self._call(
            "getAccountGovernanceInfo",
            SOAP_ACTION_GET_ACCOUNT_GOVERNANCE_INFO,
            build_get_account_governance_info,
            parse_account_governance_response,
        )

    async def integration_governance(self) -> Governance:
        """This integration's concurrency limit (``getIntegrationGovernanceInfo``; administrators only)."""
        return await self._call(
            "getIntegrationGovernanceInfo",
            SOAP_ACTION_GET_INTEGRATION_GOVERNANCE_INFO,
            build_get_integration_governance_info,
            parse_integration_governance_response,
        )

    async def get_record(
        self, record_type: str, *, external_id: str | None = None, internal_id: str | None = None
    ) -> FetchedRecord | None:
        """One record by a key (``get``), or None when NetSuite has none with that key."""
        build = partial(build_get, record_type=record_type, external_id=external_id, internal_id=internal_id)
        parse = partial(parse_get_response, external_id=external_id, internal_id=internal_id)
        return await self._call("get", SOAP_ACTION_GET, build, parse)

    async def select_values(self, record_type: str, field: str) -> frozenset[str]:
        """Every internal id the select ``field`` of ``record_type`` accepts (``getSelectValue``,
        page by page; the page count is the first answer's, and at most ``MAX_SELECT_PAGES``)."""
        found: set[str] = set()
        page, pages = 1, 1
        while page <= min(pages, MAX_SELECT_PAGES):
            build = partial(build_get_select_value, record_type=record_type, field=field, page_index=page)
            answer = await self._call(
                "getSelectValue", SOAP_ACTION_GET_SELECT_VALUE, build, parse_get_select_value_response
            )
            found.update(answer.internal_ids)
            if page == 1:
                pages = answer.total_pages
            page += 1
        return frozenset(found)

    async def _call(
        self,
        operation: str,
        action: str,
        build: Callable[..., bytes],
        parse: Callable[[bytes], _Answer],
    ) -> _Answer:
        """One attempt of a call without records, under a limiter slot like any other request."""
        async with self.limiter.slot():
            body = build(self._signer.sign(), version=self._version)
            return await self._attempt(operation, action, body, 0, parse)

    async def _attempt(
        self, operation: str, action: str, body: bytes, records: int, parse: Callable[[bytes], _Answer]
    ) -> _Answer:
        started = time.perf_counter()
        outcome = "INCOMPLETE"  # stays so when the attempt is cancelled
        headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": action}
        try:
            try:
                async with self._session.post(
                    self._url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
                ) as response:
                    status = response.status
                    if 300 <= status < 400:
                        outcome = f"HTTP_{status}"
                        raise PermanentError(
                            f"{operation} to {self._host} answered HTTP {status}, a redirect to "
                            f"{_origin(response.headers.get('Location', ''))}: it is not followed "
                            "(it would resend the passport and the records); set netsuite.soap_url "
                            "(or netsuite.account_id) to the endpoint itself"
                        )
                    payload = await read_body(response, self._limits, what=f"{operation} to {self._host}")
            except BodyTooLargeError:
                outcome = "TOO_LARGE"
                raise
            except TimeoutError:
                outcome = "TIMEOUT"
                raise TransientError(f"{operation} to {self._host} timed out") from None
            except aiohttp.ClientError as exc:
                outcome = "CONNECTION"
                # aiohttp's text names the host and the socket error; the request body (and its
                # passport) is never part of it.
                raise TransientError(
                    f"{operation} to {self._host} failed: {type(exc).__name__}: {exc}"
                ) from None
            try:
                answer = parse(payload)
            except SoapFault as fault:
                outcome = fault.code or fault.fault_name or "SOAP_FAULT"
                raise
            except ResponseMismatchError:
                outcome = "MISMATCH"
                raise
            except MalformedResponseError:
                outcome = "MALFORMED" if status == 200 else f"HTTP_{status}"
                if status == 429:
                    raise ConcurrencyLimitError(
                        f"{operation} answered HTTP 429 without a SOAP fault"
                    ) from None
                if 400 <= status < 500 and status != 408:
                    raise PermanentError(f"{operation} answered HTTP {status} without a SOAP fault") from None
                raise
            outcome = OK
            return answer
        finally:
            latency = time.perf_counter() - started
            self.metrics.record(outcome=outcome, latency_s=latency, records=records)
            log.debug("%s of %d records: %s in %.3f s", operation, records, outcome, latency)


def _origin(location: str) -> str:
    """Where a redirect pointed, without its path or query (they may carry anything)."""
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else "a path on the same host"
