"""OAuth 2.0 client credentials (machine to machine) for NetSuite REST: assertion, request, response.

Rules this module owns (reference: netsuite-soap.md section 3):

* The client assertion is a JWT signed with the integration's private key, PS256 or ES256
  (RS256 is no longer accepted). Header ``kid`` = the certificate id of the M2M mapping, ``typ`` JWT.
  Claims: ``iss`` = client id, ``scope`` (comma-separated, as Oracle's text specifies), ``aud`` = the
  token endpoint URL, ``iat``, ``exp`` (NetSuite refuses ``exp`` >= iat + 60 min; the assertion only
  has to survive one request, so it lives five minutes) and a unique ``jti``.
* The token request is a form: ``grant_type=client_credentials``, the jwt-bearer assertion type and
  the assertion. The answer is ``{"access_token", "expires_in", "token_type": "Bearer"}``; there is
  no refresh token, the flow simply runs again before the 60 minutes are over.
* Refusals (``invalid_grant``, ``invalid_client``...) become ``AuthError`` naming the OAuth error code
  only: the description and the body are never echoed, so no assertion or token can leak.
  A 5xx or 429 from the token endpoint is a ``TransientError``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

import jwt

from bulk_o2c.errors import AuthError, TransientError
from bulk_o2c.protocol.netsuite.governance import whole_number

M2MAlgorithm = Literal["PS256", "ES256"]
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
ASSERTION_LIFETIME_S = 300
BEARER = "Bearer"
# OAuth error codes are short lower-case tokens (RFC 6749 section 5.2); anything else is not echoed.
_OAUTH_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


@dataclass(frozen=True, slots=True)
class M2MCredentials:
    client_id: str
    certificate_id: str
    private_key_pem: str = field(repr=False)
    token_url: str
    algorithm: M2MAlgorithm = "PS256"
    scopes: tuple[str, ...] = ("rest_webservices",)


@dataclass(frozen=True, slots=True)
class TokenGrant:
    access_token: str = field(repr=False)
    expires_in_s: float
    token_type: str


def token_url(rest_base_url: str) -> str:
    """The token endpoint under an account's REST base (``https://<acct>.suitetalk.../services/rest``)."""
    return f"{rest_base_url.rstrip('/')}/auth/oauth2/v1/token"


def build_client_assertion(
    credentials: M2MCredentials,
    *,
    now: float,
    jti: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> str:
    issued_at = int(now)
    claims = {
        "iss": credentials.client_id,
        "scope": ",".join(credentials.scopes),
        "aud": credentials.token_url,
        "iat": issued_at,
        "exp": issued_at + ASSERTION_LIFETIME_S,
        "jti": jti(),
    }
    try:
        return jwt.encode(
            claims,
            credentials.private_key_pem,
            algorithm=credentials.algorithm,
            headers={"kid": credentials.certificate_id, "typ": "JWT"},
        )
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        # The library's message may quote key material; only the kind of failure is kept.
        raise AuthError(
            f"cannot sign the NetSuite client assertion with {credentials.algorithm}: "
            f"the private key is not a usable {credentials.algorithm} key ({type(exc).__name__})"
        ) from None


def token_request_body(assertion: str) -> bytes:
    return urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
        }
    ).encode("ascii")


def parse_token_response(status: int, body: bytes) -> TokenGrant:
    """The grant in a token endpoint answer, or the error that answer stands for."""
    if status == 429 or status >= 500:
        raise TransientError(f"NetSuite token endpoint answered HTTP {status}")
    document = _json_object(body)
    if status != 200:
        code = document.get("error") if document is not None else None
        described = code if isinstance(code, str) and _OAUTH_ERROR_CODE.match(code) else "no OAuth error code"
        raise AuthError(f"NetSuite refused the client credentials grant: HTTP {status}, {described}")
    if document is None:
        raise TransientError("NetSuite token endpoint answered HTTP 200 without a JSON object")
    token, expires_in, token_type = (
        document.get("access_token"),
        document.get("expires_in"),
        document.get("token_type"),
    )
    if not isinstance(token, str) or not token:
        raise AuthError("NetSuite token response carries no access_token")
    if isinstance(expires_in, str):
        expires_in = whole_number(expires_in)
    if not isinstance(expires_in, int | float) or isinstance(expires_in, bool) or expires_in <= 0:
        raise AuthError("NetSuite token response carries no usable expires_in")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise AuthError("NetSuite token response is not a Bearer token")
    return TokenGrant(access_token=token, expires_in_s=float(expires_in), token_type=BEARER)


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
