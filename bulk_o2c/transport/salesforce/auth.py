"""Salesforce access tokens for the configured OAuth flow, renewed through a ``TokenManager``.

Rules this module owns:

- ``jwt``: a new assertion is signed for every renewal (the grant gives no refresh token).
  ``client_credentials``: the grant is simply run again. ``refresh_token``: the stored refresh token
  is exchanged; with rotation the answer holds a new one, which is written to
  ``refresh_token_file`` (temp file, mode 0600, ``os.replace``) *before* the new access token is
  handed out, because the old refresh token is dead from that moment and a crash between the two
  would lock the integration out. A saved file beats the configured token at start-up.
- One renewal at a time: ``TokenManager`` single-flights its callers, and a lock here keeps even a
  direct caller from spending one refresh token twice (reuse revokes the whole token family).
- A token's life is ``expires_in`` when the answer has it; else the ``exp`` of an introspection
  (only possible with a client secret); else ``session_timeout_s``, the org's session setting.
  It is counted from just before the request, so clock skew and latency shorten it, never extend it.
- The API host is the answer's ``instance_url`` (held to the settings' endpoint rule when it is
  parsed), else the configured ``instance_url``. Grant requests follow a redirect only to https or
  loopback, and their answers are read within the Salesforce body bounds.
- No secret reaches a log line or an exception: grant bodies are built and sent, never formatted.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import anyio
import anyio.to_thread

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.errors import BulkO2CError, ConfigError
from bulk_o2c.protocol.salesforce.oauth import (
    FORM_CONTENT_TYPE,
    INTROSPECT_PATH,
    TOKEN_PATH,
    TokenResponse,
    client_credentials_form,
    introspect_form,
    jwt_assertion,
    jwt_audience,
    jwt_bearer_form,
    parse_introspection_expiry,
    parse_token_response,
    refresh_token_form,
)
from bulk_o2c.transport.body import answer_within, read_body
from bulk_o2c.transport.endpoint_guard import ENDPOINT_GUARD
from bulk_o2c.transport.retry import RetryPolicy
from bulk_o2c.transport.salesforce.http import body_limits, network_failure
from bulk_o2c.transport.tokens import AccessToken, TokenManager

log = logging.getLogger(__name__)

_NETWORK_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)


class SalesforceAuth:
    """Obtains tokens for ``settings.auth_flow``; ``tokens`` is the manager every request asks."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: SalesforceSettings,
        *,
        retry: RetryPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._settings = settings
        self._limits = body_limits(settings)
        self._retry = retry
        self._clock = clock
        self._lock = anyio.Lock()
        self._check_settings()
        self._refresh_token = self._initial_refresh_token() if settings.auth_flow == "refresh_token" else None
        self.tokens = TokenManager(self.fetch, refresh_margin=settings.refresh_margin, clock=clock)

    async def fetch(self) -> AccessToken:
        async with self._lock:
            started = self._clock()
            answer = await self._retry.call(self._grant)
            if answer.refresh_token is not None and answer.refresh_token != self._refresh_token:
                await self._save_refresh_token(answer.refresh_token)
            instance_url = answer.instance_url or self._settings.instance_url
            if instance_url is None:
                raise ConfigError(
                    "the token answer has no instance_url and salesforce.instance_url is not set"
                )
            lifetime = answer.expires_in or await self._introspected_lifetime(answer, started)
            log.info(
                "Salesforce %s token obtained", self._settings.auth_flow, extra={"token_lifetime_s": lifetime}
            )
            return AccessToken(
                value=answer.access_token, issued_at=started, lifetime_s=lifetime, instance_url=instance_url
            )

    async def _grant(self) -> TokenResponse:
        status, body = await self._post(TOKEN_PATH, self._grant_form())
        return parse_token_response(status, body)

    def _grant_form(self) -> bytes:
        s = self._settings
        assert s.client_id is not None  # _check_settings
        if s.auth_flow == "jwt":
            assert s.username is not None
            assert s.private_key is not None
            assertion = jwt_assertion(
                client_id=s.client_id,
                username=s.username,
                audience=jwt_audience(s.login_url),
                private_key_pem=s.private_key.get_secret_value(),
                # exp is checked against the server's clock: real time, whatever clock ages tokens here.
                now=time.time(),
            )
            return jwt_bearer_form(assertion)
        secret = s.client_secret.get_secret_value() if s.client_secret is not None else None
        if s.auth_flow == "client_credentials":
            assert secret is not None
            return client_credentials_form(s.client_id, secret)
        assert self._refresh_token is not None
        return refresh_token_form(s.client_id, self._refresh_token, secret)

    async def _introspected_lifetime(self, answer: TokenResponse, started: float) -> float:
        s = self._settings
        if s.client_secret is None or s.client_id is None:
            return s.session_timeout_s
        form = introspect_form(answer.access_token, s.client_id, s.client_secret.get_secret_value())
        try:
            status, body = await self._post(INTROSPECT_PATH, form)
            expires_at = parse_introspection_expiry(status, body)
        except BulkO2CError as exc:
            # Introspection only sharpens the estimate; the configured timeout is a safe answer.
            log.warning("token introspection failed (%s); assuming the configured session timeout", exc)
            return s.session_timeout_s
        if expires_at is None or expires_at <= started:
            return s.session_timeout_s
        return expires_at - started

    async def _post(self, path: str, form: bytes) -> tuple[int, bytes]:
        url = f"{self._settings.login_url}{path}"
        try:
            async with (
                answer_within(self._limits, what=f"POST {path}"),
                self._session.post(
                    url,
                    data=form,
                    headers={"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json"},
                    middlewares=ENDPOINT_GUARD,
                ) as resp,
            ):
                return resp.status, await read_body(resp, self._limits, what=f"POST {path}")
        except _NETWORK_ERRORS as exc:
            raise network_failure(exc, f"POST {path}") from None

    def _initial_refresh_token(self) -> str:
        path = self._settings.refresh_token_file
        if path is not None and path.is_file():
            saved = path.read_text(encoding="utf-8").strip()
            if saved:
                return saved
        if self._settings.refresh_token is None:
            raise ConfigError(
                "the refresh_token flow needs salesforce.refresh_token "
                "or a saved salesforce.refresh_token_file"
            )
        return self._settings.refresh_token.get_secret_value()

    async def _save_refresh_token(self, token: str) -> None:
        path = self._settings.refresh_token_file
        if path is None:
            log.warning(
                "Salesforce rotated the refresh token but salesforce.refresh_token_file is not set: "
                "the new token lives in memory only and the next run must be authorised again"
            )
        else:
            await anyio.to_thread.run_sync(write_secret_file, path, token)
        self._refresh_token = token

    def _check_settings(self) -> None:
        s = self._settings
        needed = {
            "jwt": ("client_id", "username", "private_key"),
            "client_credentials": ("client_id", "client_secret"),
            "refresh_token": ("client_id",),
        }[s.auth_flow]
        missing = [name for name in needed if getattr(s, name) is None]
        if missing:
            raise ConfigError(
                f"the Salesforce {s.auth_flow} flow needs: " + ", ".join(f"salesforce.{m}" for m in missing)
            )


def write_secret_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
