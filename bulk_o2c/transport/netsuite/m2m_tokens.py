"""NetSuite OAuth 2.0 machine-to-machine tokens for REST calls, fetched and renewed in time.

Rules this module owns:

* A token is fetched with a fresh client assertion (new ``iat`` and ``jti``) every time: there is
  no refresh token, the client credentials flow simply runs again.
* The token's life is counted from the moment the request was sent, not answered, so a slow token
  endpoint can only make the client renew early, never late.
* Renewal is ``TokenManager``'s: proactive (before the 60 minutes are over) and single-flight.
* The answer is read within ``TOKEN_ANSWER_LIMITS`` (a token answer is a few hundred bytes of
  JSON), and a redirect is followed only to https or loopback (transport/endpoint_guard.py).
* Connection failures and timeouts are ``TransientError``; refusals are ``AuthError`` naming only
  the OAuth error code (see ``protocol.netsuite.m2m``). The assertion and the token never reach a
  log line or a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp

from bulk_o2c.errors import TransientError
from bulk_o2c.protocol.netsuite.m2m import (
    FORM_CONTENT_TYPE,
    M2MCredentials,
    build_client_assertion,
    parse_token_response,
    token_request_body,
)
from bulk_o2c.transport.body import BodyLimits, read_body
from bulk_o2c.transport.endpoint_guard import ENDPOINT_GUARD
from bulk_o2c.transport.tokens import AccessToken, TokenManager

# The token endpoint answers in well under a second; a stuck request must not stall a run.
TOKEN_REQUEST_TIMEOUT_S = 30.0
TOKEN_ANSWER_LIMITS = BodyLimits(64 * 1024)


class M2MTokenFetcher:
    """One token per call, from NetSuite's token endpoint."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: M2MCredentials,
        *,
        clock: Callable[[], float] = time.time,
        timeout_s: float = TOKEN_REQUEST_TIMEOUT_S,
    ) -> None:
        self._session = session
        self._credentials = credentials
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def __call__(self) -> AccessToken:
        sent_at = self._clock()
        body = token_request_body(build_client_assertion(self._credentials, now=sent_at))
        try:
            async with self._session.post(
                self._credentials.token_url,
                data=body,
                headers={"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json"},
                timeout=self._timeout,
                middlewares=ENDPOINT_GUARD,
            ) as response:
                payload = await read_body(response, TOKEN_ANSWER_LIMITS, what="NetSuite token request")
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"NetSuite token endpoint unreachable ({type(exc).__name__})") from None
        grant = parse_token_response(status, payload)
        return AccessToken(value=grant.access_token, issued_at=sent_at, lifetime_s=grant.expires_in_s)


def m2m_token_manager(
    session: aiohttp.ClientSession,
    credentials: M2MCredentials,
    *,
    clock: Callable[[], float] = time.time,
    refresh_margin: float = 0.25,
) -> TokenManager:
    """A manager that renews the 60-minute token once a quarter of its life is left (45 minutes in)."""
    fetch = M2MTokenFetcher(session, credentials, clock=clock)
    return TokenManager(fetch, refresh_margin=refresh_margin, clock=clock)
