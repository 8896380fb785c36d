"""Verifying a REST ``Authorization: OAuth ...`` header (TBA) the way NetSuite does (reference
netsuite-rest.md section 1.2), independently of the client's signer.

Rules this module owns:
- ``realm`` is the account id exactly; consumer key and token are the account's; the method is
  ``HMAC-SHA256`` (REST refuses the underscore spelling and SHA-1).
- The base string is RFC 5849's: ``METHOD&enc(scheme://host[:port]/path)&enc(sorted pairs)``, the
  pairs being every ``oauth_*`` header parameter but ``oauth_signature``, plus every query parameter.
- Nonce and timestamp go through the same ledger as SOAP passports (``PassportVerifier.spend``),
  and only after the signature is good, so forged requests burn no nonce.
- Every failure is one answer to the caller (401 INVALID_LOGIN); the reason is for statistics only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

from bulk_o2c.sandbox.netsuite.config import SandboxCredentials
from bulk_o2c.sandbox.netsuite.passport_check import PassportVerifier

_PARAMETER = re.compile(r'\s*([A-Za-z_]+)="([^"]*)"\s*(?:,|$)')
_NONCE = re.compile(r"^[A-Za-z0-9]{6,64}$")
_TIMESTAMP = re.compile(r"^\d{1,12}$")


def _enc(value: str) -> str:
    return quote(value, safe="~")


def _same(given: str, known: str) -> bool:
    return hmac.compare_digest(given.encode(), known.encode())


def _header_parameters(header: str) -> dict[str, str] | None:
    scheme, _, rest = header.partition(" ")
    if scheme != "OAuth":
        return None
    parameters: dict[str, str] = {}
    for match in _PARAMETER.finditer(rest):
        parameters[match.group(1)] = unquote(match.group(2))
    return parameters


class RestAuthVerifier:
    def __init__(self, account_id: str, credentials: SandboxCredentials, passports: PassportVerifier) -> None:
        self._account_id = account_id
        self._credentials = credentials
        self._key = f"{_enc(credentials.consumer_secret)}&{_enc(credentials.token_secret)}".encode()
        self._passports = passports

    def verify(self, header: str, method: str, base_url: str, query: Iterable[tuple[str, str]]) -> str | None:
        """None when the header is good (its nonce is now spent), else why it is refused."""
        p = _header_parameters(header)
        if p is None:
            return "not an OAuth header"
        if p.get("realm") != self._account_id:
            return "realm"
        if not (
            _same(p.get("oauth_consumer_key", ""), self._credentials.consumer_key)
            and _same(p.get("oauth_token", ""), self._credentials.token_id)
        ):
            return "unknown token"
        if p.get("oauth_signature_method") != "HMAC-SHA256":
            return "signature method"
        nonce, timestamp = p.get("oauth_nonce", ""), p.get("oauth_timestamp", "")
        if not _NONCE.match(nonce) or not _TIMESTAMP.match(timestamp):
            return "nonce or timestamp format"
        pairs = [(k, v) for k, v in p.items() if k.startswith("oauth_") and k != "oauth_signature"]
        pairs += list(query)
        normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in pairs))
        base = f"{method.upper()}&{_enc(base_url)}&{_enc(normalized)}"
        expected = base64.b64encode(hmac.new(self._key, base.encode(), hashlib.sha256).digest()).decode()
        if not _same(p.get("oauth_signature", ""), expected):
            return "signature"
        return self._passports.spend(p["oauth_token"], nonce, int(timestamp))
