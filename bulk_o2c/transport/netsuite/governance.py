"""Ask NetSuite how many requests this integration may have in flight, and bind the limiter to it.

Rules this module owns:
- SOAP first: ``getAccountGovernanceInfo`` and ``getIntegrationGovernanceInfo``. Each may be refused
  on its own (both answer administrators only), so what did answer is combined.
- REST ``GET /services/rest/system/v1/governanceLimits`` (2025.2) when SOAP gave no bound: one call,
  TBA-signed, under a limiter slot like every request to the pool, its body bounded.
- Each call is tried once: the answer only refines a bound the run can do without. A refusal or a
  failure is kept as a line of text (the operation and NetSuite's reason, never a credential) for
  the log and for ``doctor``, and the run falls back to ``netsuite.concurrency`` and says so.
- The limiter's ceiling becomes the chosen bound (``governance.choose_bound``); AIMD works below it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import aiohttp

from bulk_o2c.errors import BulkO2CError, PermanentError, TransientError
from bulk_o2c.protocol.netsuite.governance import (
    Governance,
    PoolBound,
    choose_bound,
    parse_governance_limits,
    rest_error_code,
)
from bulk_o2c.protocol.netsuite.limits import BASE_ACCOUNT_CONCURRENCY
from bulk_o2c.protocol.netsuite.passport import TbaCredentials
from bulk_o2c.protocol.netsuite.rest_auth import rest_authorization
from bulk_o2c.transport.body import BodyLimits, read_body
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.netsuite.soap_client import SoapClient

log = logging.getLogger(__name__)

GOVERNANCE_LIMITS_PATH = "/system/v1/governanceLimits"
# The answer is four numbers; anything much larger is not it.
_MAX_REST_BODY = 64 * 1024
_WHAT = "GET governanceLimits"


@dataclass(frozen=True, slots=True)
class GovernanceReading:
    governance: Governance | None
    refusals: tuple[str, ...]  # "<operation>: <reason>" for every call that did not answer


class RestGovernance:
    """``GET governanceLimits`` on the REST host, signed with the same TBA token as SOAP."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        rest_url: str,
        credentials: TbaCredentials,
        limiter: AimdLimiter,
        timeout_s: float,
    ) -> None:
        self._session = session
        self._url = rest_url.rstrip("/") + GOVERNANCE_LIMITS_PATH
        self._credentials = credentials
        self._limiter = limiter
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        # One read of the stream returns only what has arrived: the whole body goes through the
        # bounded reader, which also counts it decompressed.
        self._limits = BodyLimits(max_bytes=_MAX_REST_BODY, max_seconds=timeout_s)

    async def read(self) -> Governance:
        async with self._limiter.slot():
            headers = {
                "Authorization": rest_authorization(self._credentials, "GET", self._url),
                "Accept": "application/json",
            }
            try:
                async with self._session.get(self._url, headers=headers, timeout=self._timeout) as response:
                    status, body = response.status, await read_body(response, self._limits, what=_WHAT)
            except TimeoutError:
                raise TransientError("governanceLimits timed out") from None
            except aiohttp.ClientError as exc:
                raise TransientError(f"governanceLimits failed: {type(exc).__name__}") from None
        if status != 200:
            code = rest_error_code(body)
            raise PermanentError(f"governanceLimits answered HTTP {status}" + (f" {code}" if code else ""))
        return parse_governance_limits(body)


async def _tried(
    operation: str, call: Callable[[], Awaitable[Governance]], refusals: list[str]
) -> Governance | None:
    try:
        return await call()
    except BulkO2CError as exc:
        refusals.append(f"{operation}: {exc}")
        return None


class GovernanceReader:
    def __init__(self, soap: SoapClient, rest: RestGovernance | None) -> None:
        self._soap = soap
        self._rest = rest

    async def read(self) -> GovernanceReading:
        refusals: list[str] = []
        account = await _tried("getAccountGovernanceInfo", self._soap.account_governance, refusals)
        integration = await _tried(
            "getIntegrationGovernanceInfo", self._soap.integration_governance, refusals
        )
        soap = None
        if account is not None or integration is not None:
            soap = Governance(
                source="SOAP",
                account_limit=None if account is None else account.account_limit,
                unallocated_limit=None if account is None else account.unallocated_limit,
                integration_limit=None if integration is None else integration.integration_limit,
                limit_type=None if integration is None else integration.limit_type,
            )
        if (soap is None or soap.bound is None) and self._rest is not None:
            rest = await _tried("REST governanceLimits", self._rest.read, refusals)
            if rest is not None:
                return GovernanceReading(rest, tuple(refusals))
        return GovernanceReading(soap, tuple(refusals))


async def bind_pool(limiter: AimdLimiter, reader: GovernanceReader, cap: int | None) -> PoolBound:
    """Ask NetSuite, choose the bound, set the limiter's ceiling to it, and log all three figures."""
    reading = await reader.read()
    bound = replace(
        choose_bound(reading.governance, cap, BASE_ACCOUNT_CONCURRENCY), refusals=reading.refusals
    )
    limiter.rebind(bound.bound)
    for refusal in reading.refusals:
        log.info("NetSuite governance: %s", refusal)
    if bound.reported is None:
        log.warning("%s; set netsuite.concurrency to this integration's share", bound.describe())
    else:
        log.info("%s", bound.describe())
    return bound
