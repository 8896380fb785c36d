"""SOAP token-based authentication: the ``tokenPassport`` header values (HMAC-SHA256, fresh nonce)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TokenPassport:
    """One request's passport. Never reuse: nonce and timestamp must be new on every attempt."""

    account: str
    consumer_key: str = field(repr=False)
    token: str = field(repr=False)
    nonce: str
    timestamp: int
    signature: str = field(repr=False)
    algorithm: str = "HMAC_SHA256"
