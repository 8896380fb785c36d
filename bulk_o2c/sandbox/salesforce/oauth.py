"""The OAuth 2.0 endpoints: POST /services/oauth2/token and POST /services/oauth2/introspect.

Rules this module owns:

- Grants (form-encoded): ``urn:ietf:params:oauth:grant-type:jwt-bearer`` (RS256 assertion),
  ``client_credentials`` (client id and secret in the form or HTTP Basic) and ``refresh_token``.
- JWT checks, in order: signature with the configured key (else "invalid assertion"); ``iss`` is the
  client id (else invalid_client_id); ``aud`` is the sandbox's login URL or the configured audience
  (else "audience is invalid"); ``exp`` is in the future ("expired authorization code") and at most
  ``MAX_ASSERTION_AHEAD_S`` ahead; ``sub`` is the integration username ("user hasn't approved this
  consumer").
- Success is HTTP 200 ``{access_token, instance_url, id, token_type, scope, issued_at, signature}``:
  like Salesforce, no ``expires_in``; a ``refresh_token`` only from the refresh grant with rotation.
- Failure is HTTP 400 ``{"error": ..., "error_description": ...}``; bad client credentials are
  ``invalid_client``. No secret is ever echoed.
- Introspection authenticates the client, then answers ``{"active": false}`` for any token that
  does not work, or ``active``/``exp``/``iat`` and the RFC 7662 fields for a live access token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bulk_o2c.sandbox.salesforce.clock import SandboxClock
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import ORG_ID
from bulk_o2c.sandbox.salesforce.sessions import InvalidGrant, Session, SessionStore

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_AHEAD_S = 330.0
"""Clients mint assertions valid for 3 to 5 minutes; 30 s more absorbs clock skew."""
_SCOPE = "api"


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> web.Response:
        return web.json_response(
            {"error": self.error, "error_description": self.description}, status=self.status
        )


def load_verification_key(pem: str) -> RSAPublicKey:
    """The RSA public key in a PEM public key or X.509 certificate (what a connected app holds)."""
    data = pem.encode("ascii")
    key = (
        x509.load_pem_x509_certificate(data).public_key()
        if b"BEGIN CERTIFICATE" in data
        else load_pem_public_key(data)
    )
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the JWT verification key must be an RSA key")
    return key


class OAuthEndpoints:
    def __init__(
        self,
        config: SalesforceSandboxConfig,
        sessions: SessionStore,
        clock: SandboxClock,
        base_url: Callable[[], str],
    ) -> None:
        self._config = config
        self._sessions = sessions
        self._clock = clock
        self._base_url = base_url
        self._jwt_key = (
            load_verification_key(config.jwt_public_key_pem)
            if config.jwt_public_key_pem is not None
            else None
        )

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
        try:
            grant = fields.get("grant_type", "")
            if grant == JWT_BEARER:
                self._check_assertion(fields.get("assertion", ""))
                return self._granted(self._sessions.issue())
            if grant == "client_credentials":
                self._authenticate_client(request, fields)
                return self._granted(self._sessions.issue())
            if grant == "refresh_token":
                return self._refresh(request, fields)
            raise _OAuthError("unsupported_grant_type", "grant type not supported")
        except _OAuthError as error:
            return error.response()

    def _refresh(self, request: web.Request, fields: dict[str, str]) -> web.Response:
        client_id, client_secret = self._client_credentials(request, fields)
        if client_id != self._config.client_id or (
            client_secret is not None and not hmac.compare_digest(client_secret, self._config.client_secret)
        ):
            raise _OAuthError("invalid_client", "invalid client credentials")
        try:
            family, successor = self._sessions.redeem(
                fields.get("refresh_token", ""), rotate=self._config.rotate_refresh_tokens
            )
        except InvalidGrant:
            raise _OAuthError("invalid_grant", "expired access/refresh token") from None
        return self._granted(self._sessions.issue(family), refresh_token=successor)

    def _check_assertion(self, assertion: str) -> None:
        if self._jwt_key is None:
            raise _OAuthError("invalid_grant", "invalid assertion")
        audiences = [self._base_url()] + ([self._config.jwt_audience] if self._config.jwt_audience else [])
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                self._jwt_key,
                algorithms=["RS256"],
                audience=audiences,
                issuer=self._config.client_id,
                options={"require": ["iss", "sub", "aud", "exp"], "verify_exp": False},
            )
        except jwt.InvalidAudienceError:
            raise _OAuthError("invalid_grant", "audience is invalid") from None
        except jwt.InvalidIssuerError:
            raise _OAuthError("invalid_client_id", "client identifier invalid") from None
        except jwt.PyJWTError:
            raise _OAuthError("invalid_grant", "invalid assertion") from None
        expires = claims["exp"]
        now = self._clock.now()
        if not isinstance(expires, int | float) or expires <= now:
            raise _OAuthError("invalid_grant", "expired authorization code")
        if expires > now + MAX_ASSERTION_AHEAD_S:
            raise _OAuthError("invalid_grant", "invalid assertion")
        if claims["sub"] != self._config.username:
            raise _OAuthError("invalid_grant", "user hasn't approved this consumer")

    @staticmethod
    def _client_credentials(request: web.Request, fields: dict[str, str]) -> tuple[str | None, str | None]:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return fields.get("client_id"), fields.get("client_secret")
        try:
            client_id, colon, client_secret = (
                base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            raise _OAuthError("invalid_client", "invalid client credentials") from None
        return client_id, client_secret if colon else None

    def _authenticate_client(self, request: web.Request, fields: dict[str, str]) -> None:
        client_id, client_secret = self._client_credentials(request, fields)
        if client_id != self._config.client_id or not hmac.compare_digest(
            client_secret or "", self._config.client_secret
        ):
            raise _OAuthError("invalid_client", "invalid client credentials")

    def _identity_url(self, session: Session) -> str:
        return f"{self._base_url()}/id/{ORG_ID}/{session.user_id}"

    def _granted(self, session: Session, refresh_token: str | None = None) -> web.Response:
        identity = self._identity_url(session)
        issued_at = str(int(session.issued_at * 1000))
        digest = hmac.new(
            self._config.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        )
        body: dict[str, str] = {
            "access_token": session.token,
            "instance_url": self._base_url(),
            "id": identity,
            "token_type": "Bearer",
            "scope": _SCOPE,
            "issued_at": issued_at,
            "signature": base64.b64encode(digest.digest()).decode("ascii"),
        }
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        return web.json_response(body)

    async def introspect(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
        try:
            self._authenticate_client(request, fields)
        except _OAuthError as error:
            error.status = 401
            return error.response()
        session = self._sessions.find(fields.get("token", ""))
        if session is None:
            return web.json_response({"active": False})
        return web.json_response(
            {
                "active": True,
                "scope": _SCOPE,
                "client_id": self._config.client_id,
                "username": self._config.username,
                "sub": session.user_id,
                "token_type": "access_token",
                "iat": int(session.issued_at),
                "nbf": int(session.issued_at),
                "exp": int(self._sessions.expires_at(session)),
            }
        )
