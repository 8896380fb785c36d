"""The OAuth 1.0a ``Authorization`` header for NetSuite REST web services and RESTlets (TBA).

Rules this module owns (reference: netsuite-soap.md section 2.2):

* RFC 5849 signature with HMAC-SHA256 (REST refuses HMAC-SHA1 and the underscore spelling).
* ``realm`` = the account id in upper case (``1234567_SB1``); it is not part of the base string.
* Query parameters are signed; a JSON body is not (only form-encoded bodies enter the base string),
  so the header depends on method and URL alone.
* Nonce and timestamp are new on every call unless a test pins them.
"""

from __future__ import annotations

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client  # type: ignore[import-untyped]  # no stubs shipped

from bulk_o2c.protocol.netsuite.passport import TbaCredentials


def rest_authorization(
    credentials: TbaCredentials,
    method: str,
    url: str,
    *,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> str:
    """The value of the ``Authorization`` header for one REST request."""
    client = Client(
        credentials.consumer_key,
        client_secret=credentials.consumer_secret,
        resource_owner_key=credentials.token_id,
        resource_owner_secret=credentials.token_secret,
        signature_method=SIGNATURE_HMAC_SHA256,
        realm=credentials.realm,
        nonce=nonce,
        timestamp=None if timestamp is None else str(timestamp),
    )
    _, headers, _ = client.sign(url, http_method=method.upper())
    return str(headers["Authorization"])
