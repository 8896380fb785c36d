"""Salesforce OAuth 2.0 wire formats: the JWT bearer assertion, grant bodies, token answers.

Rules this module owns:

- The JWT bearer assertion is RS256 with ``iss`` = the connected app's client id, ``sub`` = the
  username, ``aud`` = the login server (``https://login.salesforce.com`` or
  ``https://test.salesforce.com``, never a My Domain host) and ``exp`` at most three minutes ahead.
- Grant bodies are ``application/x-www-form-urlencoded`` bytes: ``jwt-bearer``,
  ``client_credentials`` and ``refresh_token``. They hold secrets, so they are built here and sent
  as they are, never logged.
- A token answer gives the access token and ``instance_url``. Every later request carries the token
  to that URL, so it is held to the settings' endpoint rule (https, or http to loopback) and an
  answer that breaks it is refused: Salesforce always answers https. JWT and client-credentials answers
  usually have no ``expires_in`` and no ``refresh_token``; with refresh token rotation a refresh
  answer carries a new ``refresh_token`` that replaces the old one. ``issued_at`` is milliseconds.
- Introspection (``POST /services/oauth2/introspect``) answers ``{"active", "exp", ...}``; ``exp``
  in epoch seconds is the session's real end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import orjson

from bulk_o2c.errors import AuthError
from bulk_o2c.loopback import is_allowed_endpoint
from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError, oauth_error

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a URL path)
INTROSPECT_PATH = "/services/oauth2/introspect"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# Salesforce rejects assertions whose exp is more than three minutes away.
MAX_ASSERTION_LIFETIME_S = 180

_PRODUCTION_LOGIN = "https://login.salesforce.com"
_SANDBOX_LOGIN = "https://test.salesforce.com"


@dataclass(frozen=True, slots=True)
class TokenResponse:
    access_token: str = field(repr=False)
    instance_url: str | None
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: float | None = None
    issued_at: float | None = None


def jwt_audience(login_url: str) -> str:
    """The ``aud`` claim for a login URL: My Domain hosts map to the login server they belong to."""
    host = urlsplit(login_url).hostname or ""
    if host.endswith(".sandbox.my.salesforce.com"):
        return _SANDBOX_LOGIN
    if host.endswith(".my.salesforce.com"):
        return _PRODUCTION_LOGIN
    return login_url.rstrip("/")


def jwt_assertion(
    *,
    client_id: str,
    username: str,
    audience: str,
    private_key_pem: str,
    now: float,
    lifetime_s: int = MAX_ASSERTION_LIFETIME_S,
) -> str:
    """A signed RS256 assertion for the ``jwt-bearer`` grant."""
    if not 0 < lifetime_s <= MAX_ASSERTION_LIFETIME_S:
        raise ValueError(f"an assertion lives at most {MAX_ASSERTION_LIFETIME_S} s")
    claims = {"iss": client_id, "sub": username, "aud": audience, "exp": int(now) + lifetime_s}
    try:
        return jwt.encode(claims, private_key_pem, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        # The library's message may quote key material; say only what kind of failure it was.
        raise AuthError(
            f"cannot sign the JWT assertion with the configured private key ({type(exc).__name__})"
        ) from None


def jwt_bearer_form(assertion: str) -> bytes:
    return _form({"grant_type": JWT_BEARER_GRANT, "assertion": assertion})


def client_credentials_form(client_id: str, client_secret: str) -> bytes:
    return _form({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})


def refresh_token_form(client_id: str, refresh_token: str, client_secret: str | None = None) -> bytes:
    fields = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    if client_secret is not None:
        fields["client_secret"] = client_secret
    return _form(fields)


def introspect_form(token: str, client_id: str, client_secret: str) -> bytes:
    return _form(
        {
            "token": token,
            "token_type_hint": "access_token",
            "client_id": client_id,
            "client_secret": client_secret,
        }
    )


def parse_token_response(status: int, body: bytes) -> TokenResponse:
    """A token endpoint answer; any refusal raises (``AuthError``, or transient for 429/5xx)."""
    if status != 200:
        raise oauth_error(status, body)
    data = _json_object(body, status)
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise SalesforceProtocolError("the token answer has no access_token", status=status)
    instance_url = data.get("instance_url")
    if not isinstance(instance_url, str) or not instance_url:
        instance_url = None
    elif not is_allowed_endpoint(instance_url):
        raise AuthError(
            f"the token answer names instance_url {instance_url!r}: the token is sent only over https, "
            "or plain http to a loopback address; check salesforce.login_url"
        )
    refresh = data.get("refresh_token")
    return TokenResponse(
        access_token=token,
        instance_url=instance_url.rstrip("/") if instance_url is not None else None,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=_number(data.get("expires_in")),
        issued_at=_issued_at_seconds(data.get("issued_at")),
    )


def parse_introspection_expiry(status: int, body: bytes) -> float | None:
    """``exp`` (epoch seconds) of an active token, or None when the answer does not say."""
    if status != 200:
        raise oauth_error(status, body)
    data = _json_object(body, status)
    if data.get("active") is not True:
        return None
    return _number(data.get("exp"))


def _form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode("ascii")


def _json_object(body: bytes, status: int) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise SalesforceProtocolError("the OAuth answer is not a JSON object", status=status)
    return data


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _issued_at_seconds(value: object) -> float | None:
    millis = _number(value)
    return None if millis is None else millis / 1000.0
