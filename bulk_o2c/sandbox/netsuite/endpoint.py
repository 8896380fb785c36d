"""The SOAP endpoint ``POST /services/NetSuitePort_{version}``: one request from arrival to answer.

The SuiteTalk operations emulated, chosen by the SOAPAction header (quoted or not): ``upsertList``;
``getServerTime``, which a client calls to check its connection and credentials cheaply before a
long run; ``getAccountGovernanceInfo`` and ``getIntegrationGovernanceInfo``, answered from the pool
settings (an InsufficientPermission fault for a role that is not an administrator); ``get`` of
one record (``reading``); and ``getSelectValue``, which lists the account's custom forms for the
``customForm`` field of a customer or a sales order (one page; any other field lists nothing).
Anything else is refused. The calls other than upsertList are "calls without records" below.

The order of checks, each answering with its fault and writing nothing:
 1. the concurrency pool (WS_REQUEST_BLOCKED at once, before the body is read); every request,
    getServerTime included, holds a slot until it is answered;
 2. request size (exceededRequestSizeFault), a SOAPAction emulated, XML, endpoint version and a
    Body holding that operation (soap_request);
 3. authentication: exactly one tokenPassport, valid (INVALID_LOGIN_ATTEMPT) and alone
    ("Ambiguous authentication");
 4. upsertList only: the record-count cap (exceededRecordCountFault, the whole request);
 5. injected transient faults (faults.FaultPlan), for either operation.
Then the request holds its slot for the latency model's time. For upsertList the account writes the
records, and the answer is HTTP 200 with one writeResponse per record; for a call without records
the time is the model's fixed part alone (``base_s``, as for a request of zero records) and the
answer is HTTP 200 (getServerTime: the sandbox clock's current time, the clock that checks passport
timestamps, in UTC).
Either answer may be lost if the plan says so: the connection is closed after any records are
committed, and the client sees a disconnect. Per-record plans (changed records, warnings) are never
spent by a call without records.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from functools import partial

from aiohttp import web

from bulk_o2c.sandbox.netsuite import outcomes
from bulk_o2c.sandbox.netsuite.account import Account, request_load
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.faults import FaultPlan
from bulk_o2c.sandbox.netsuite.outcomes import SoapFault, WriteOutcome
from bulk_o2c.sandbox.netsuite.passport_check import PassportVerifier
from bulk_o2c.sandbox.netsuite.pool import ConcurrencyPool
from bulk_o2c.sandbox.netsuite.reading import read
from bulk_o2c.sandbox.netsuite.soap_request import (
    CallRequest,
    GetRequest,
    RequestRejected,
    SelectValueRequest,
    UpsertRequest,
    parse_call_request,
    parse_get_request,
    parse_select_value_request,
    parse_upsert_request,
)
from bulk_o2c.sandbox.netsuite.soap_response import (
    render_account_governance_response,
    render_fault,
    render_get_response,
    render_integration_governance_response,
    render_select_value_response,
    render_server_time_response,
    render_upsert_response,
)
from bulk_o2c.sandbox.netsuite.stats import Counters

log = logging.getLogger(__name__)

ROUTE = r"/services/NetSuitePort_{version:\d{4}_\d}"

# An answer to a call without records, given the response's nsId: the body, or a fault.
_Answer = Callable[[str], "bytes | SoapFault"]


class SoapEndpoint:
    def __init__(
        self,
        config: NetSuiteSandboxConfig,
        account: Account,
        pool: ConcurrencyPool,
        plan: FaultPlan,
        counters: Counters,
    ) -> None:
        self._config = config
        self._account = account
        self._pool = pool
        self._plan = plan
        self._counters = counters
        self.passports = PassportVerifier(
            config.account_id, config.credentials, config.clock, config.timestamp_window_s
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        version = request.match_info["version"]
        self._counters.requests += 1
        if not self._pool.try_acquire():
            return self._fault(version, outcomes.concurrency_limit_exceeded())
        try:
            return await self._handle_admitted(request, version)
        finally:
            self._pool.release()

    async def _handle_admitted(self, request: web.Request, version: str) -> web.StreamResponse:
        body = await request.read()
        limit = self._config.max_request_bytes
        if limit is not None and len(body) > limit:
            return self._fault(version, outcomes.request_size_exceeded(limit))
        action = request.headers.get("SOAPAction", "").strip().strip('"')
        if action == "upsertList":
            return await self._upsert_list(request, version, body)
        calls = self._no_argument_calls(version)
        if action not in ("get", "getSelectValue") and action not in calls:
            return self._fault(version, outcomes.unreadable_request(f"Unsupported SOAPAction {action!r}."))
        try:
            if action == "get":
                get = parse_get_request(body, version)
                return await self._call(request, version, get, partial(self._read, version, get))
            if action == "getSelectValue":
                select = parse_select_value_request(body, version)
                return await self._call(
                    request, version, select, partial(self._select_values, version, select)
                )
            call = parse_call_request(body, version, action)
        except RequestRejected as rejected:
            return self._fault(version, rejected.fault)
        return await self._call(request, version, call, calls[action])

    def _read(self, version: str, get: GetRequest, ns_id: str) -> bytes:
        return render_get_response(version, ns_id, read(get, self._account.store, self._config))

    def _select_values(self, version: str, select: SelectValueRequest, ns_id: str) -> bytes:
        forms = select.field == "customForm" and select.record_type in ("customer", "salesOrder")
        values = sorted(self._config.custom_form_ids) if forms else []
        pages = 1 if values else 0
        return render_select_value_response(
            version, ns_id, values if select.page_index <= pages else [], pages
        )

    def _no_argument_calls(self, version: str) -> dict[str, _Answer]:
        config = self._config

        def server_time(ns_id: str) -> bytes | SoapFault:
            return render_server_time_response(version, ns_id, config.clock())

        def account(ns_id: str) -> bytes | SoapFault:
            if not config.administrator:
                return outcomes.governance_refused()
            return render_account_governance_response(
                version, ns_id, config.concurrency_limit, config.unallocated_limit
            )

        def integration(ns_id: str) -> bytes | SoapFault:
            if not config.administrator:
                return outcomes.governance_refused()
            return render_integration_governance_response(version, ns_id, config.integration_limit)

        return {
            "getServerTime": server_time,
            "getAccountGovernanceInfo": account,
            "getIntegrationGovernanceInfo": integration,
        }

    async def _upsert_list(self, request: web.Request, version: str, body: bytes) -> web.StreamResponse:
        try:
            upsert = parse_upsert_request(body, version)
        except RequestRejected as rejected:
            return self._fault(version, rejected.fault)
        refused = self._refuse(version, upsert, len(upsert.records))
        if refused is not None:
            return refused

        counts, lines = request_load(upsert.records)
        await asyncio.sleep(self._config.request_seconds(counts, lines))
        written = self._account.write(upsert.records)
        self._count_outcomes(written)
        if self._plan.take_lost_response():
            return self._drop_connection(request)
        return _xml_response(200, render_upsert_response(version, self._ns_id(), written))

    async def _call(
        self,
        request: web.Request,
        version: str,
        parsed: CallRequest | GetRequest | SelectValueRequest,
        answer: _Answer,
    ) -> web.StreamResponse:
        refused = self._refuse(version, parsed, 0)
        if refused is not None:
            return refused
        # No records: the latency model's fixed part only (request_seconds of an empty request).
        await asyncio.sleep(self._config.request_seconds({}))
        if self._plan.take_lost_response():
            return self._drop_connection(request)
        answered = answer(self._ns_id())
        if isinstance(answered, SoapFault):
            return self._fault(version, answered)
        return _xml_response(200, answered)

    def _refuse(
        self,
        version: str,
        parsed: UpsertRequest | CallRequest | GetRequest | SelectValueRequest,
        records: int,
    ) -> web.StreamResponse | None:
        """The answer to a request that goes no further (checks 3 to 5), or None to serve it."""
        refusal = self._authenticate(parsed)
        if refusal is None:
            self._counters.records_received += records
            if records > self._config.max_records:
                refusal = outcomes.record_count_exceeded(self._config.max_records)
        if refusal is not None:
            return self._fault(version, refusal)
        return self._injected_fault(version)

    def _injected_fault(self, version: str) -> web.StreamResponse | None:
        injected = self._plan.take_request_fault()
        if injected == "unexpected":
            return self._fault(version, outcomes.unexpected_error(secrets.token_hex(12)))
        if injected == "concurrency":
            return self._fault(version, outcomes.concurrency_limit_exceeded())
        return None

    def _ns_id(self) -> str:
        return f"WEBSERVICES_{self._config.account_id}_{self._counters.requests:012d}_{secrets.token_hex(6)}"

    def _authenticate(
        self, parsed: UpsertRequest | CallRequest | GetRequest | SelectValueRequest
    ) -> SoapFault | None:
        if parsed.passport is None:
            log.debug("netsuite sandbox: request without tokenPassport")
            return outcomes.invalid_login()
        if parsed.other_authentication:
            return outcomes.ambiguous_authentication()
        reason = self.passports.verify(parsed.passport)
        if reason is not None:
            log.debug("netsuite sandbox: tokenPassport refused (%s)", reason)
            return outcomes.invalid_login()
        return None

    def _count_outcomes(self, written: Sequence[WriteOutcome]) -> None:
        for outcome in written:
            if outcome.internal_id is not None:
                self._counters.records_written += 1
            for detail in outcome.details:
                if detail.type == "ERROR":
                    self._counters.record_errors[detail.code] += 1
                else:
                    self._counters.warnings_sent += 1

    def _drop_connection(self, request: web.Request) -> web.StreamResponse:
        self._counters.lost_responses += 1
        if request.transport is not None:
            request.transport.close()
        # Never delivered: aiohttp drops a response whose connection is already closed.
        return web.Response(status=200)

    def _fault(self, version: str, fault: SoapFault) -> web.StreamResponse:
        self._counters.faults_sent[fault.code] += 1
        return _xml_response(500, render_fault(version, fault))


def _xml_response(status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, content_type="text/xml", charset="utf-8")
