"""The REST endpoint ``GET /services/rest/system/v1/governanceLimits`` (NetSuite 2025.2; reference
netsuite-rest.md sections 1.4 and 5.1).

Rules this module owns:
- It shares the account's concurrency pool with SOAP: a request over the client's share is refused
  at once with 429 and NetSuite's error body.
- Authentication is TBA (``rest_auth_check``): a bad header answers 401 INVALID_LOGIN with Oracle's
  documented body.
- ``rest_governance`` False answers 404 (a release without the endpoint); a role that is not an
  administrator gets 403 INSUFFICIENT_PERMISSION. Both bodies are the sandbox's own wording in
  NetSuite's error layout, since the real ones are unpublished.
- The answer: ``accountConcurrencyLimit``, ``accountUnallocatedConcurrencyLimit``,
  ``integrationLimitType`` (``integrationSpecific`` or ``accountLimit``) and, for an
  integration-specific limit only, ``integrationConcurrencyLimit``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.outcomes import CONCURRENCY_MESSAGE
from bulk_o2c.sandbox.netsuite.passport_check import PassportVerifier
from bulk_o2c.sandbox.netsuite.pool import ConcurrencyPool
from bulk_o2c.sandbox.netsuite.rest_auth_check import RestAuthVerifier
from bulk_o2c.sandbox.netsuite.stats import Counters

log = logging.getLogger(__name__)

GOVERNANCE_ROUTE = "/services/rest/system/v1/governanceLimits"
_ERROR_TYPE = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)


def _error(status: int, title: str, code: str, detail: str) -> web.Response:
    body = {
        "type": _ERROR_TYPE,
        "title": title,
        "status": status,
        "o:errorDetails": [{"detail": detail, "o:errorCode": code}],
    }
    return web.json_response(body, status=status)


class RestEndpoint:
    def __init__(
        self,
        config: NetSuiteSandboxConfig,
        pool: ConcurrencyPool,
        passports: PassportVerifier,
        counters: Counters,
    ) -> None:
        self._config = config
        self._pool = pool
        self._verifier = RestAuthVerifier(config.account_id, config.credentials, passports)
        self._counters = counters

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(GOVERNANCE_ROUTE, self.governance_limits)

    async def governance_limits(self, request: web.Request) -> web.Response:
        self._counters.requests += 1
        if not self._pool.try_acquire():
            return _error(429, "Too Many Requests", "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_MESSAGE)
        try:
            return await self._answer(request)
        finally:
            self._pool.release()

    async def _answer(self, request: web.Request) -> web.Response:
        config = self._config
        if not config.rest_governance:
            return _error(404, "Not Found", "NONEXISTENT_ID", "The governanceLimits resource does not exist.")
        base_url = str(request.url.with_query(None).with_fragment(None))
        reason = self._verifier.verify(
            request.headers.get("Authorization", ""), request.method, base_url, request.url.query.items()
        )
        if reason is not None:
            log.debug("netsuite sandbox: REST authorization refused (%s)", reason)
            return _error(401, "Unauthorized", "INVALID_LOGIN", _LOGIN_DETAIL)
        if not config.administrator:
            return _error(
                403,
                "Forbidden",
                "INSUFFICIENT_PERMISSION",
                "Permission Violation: governance information is available to administrator roles only.",
            )
        await asyncio.sleep(config.request_seconds({}))
        body: dict[str, Any] = {
            "accountConcurrencyLimit": config.concurrency_limit,
            "accountUnallocatedConcurrencyLimit": config.unallocated_limit,
            "integrationLimitType": "accountLimit"
            if config.integration_limit is None
            else "integrationSpecific",
        }
        if config.integration_limit is not None:
            body["integrationConcurrencyLimit"] = config.integration_limit
        return web.json_response(body)
