"""SOAP token-based authentication: the ``tokenPassport`` header values (HMAC-SHA256, fresh nonce).

Rules this module owns (reference: netsuite-soap.md section 2.1):

* base string = ``account&consumerKey&token&nonce&timestamp``, each part percent-encoded the way
  Oracle's sample does (a no-op for real ids); key = ``consumerSecret&tokenSecret``;
  signature = Base64(HMAC-SHA256(key, base string)).
* A nonce+timestamp pair must never repeat, "even with retry logic": ``PassportSigner.sign`` makes a
  new 32-character alphanumeric nonce and reads the clock on every call, so every attempt of every
  request carries its own passport.
* The account is signed in realm form (``1234567_SB1``): a lower-case sandbox suffix is refused by
  NetSuite as an invalid login.
* Secrets live only in ``repr=False`` fields; nothing here formats them into a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

# 128 random bits as 32 hex characters: alphanumeric and inside NetSuite's 6-64 character range.
_NONCE_BYTES = 16


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


@dataclass(frozen=True, slots=True)
class TbaCredentials:
    """The four token-based-auth values of an integration + token pair, and the account they belong to."""

    account: str
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    token_id: str = field(repr=False)
    token_secret: str = field(repr=False)

    @property
    def realm(self) -> str:
        return self.account.upper()


def _encode(part: str) -> str:
    return quote(part, safe="~")


def sign_passport(
    account: str,
    consumer_key: str,
    consumer_secret: str,
    token_id: str,
    token_secret: str,
    nonce: str,
    timestamp: int,
) -> TokenPassport:
    """The passport for exactly these values (deterministic: the caller supplies nonce and timestamp)."""
    base = "&".join(_encode(p) for p in (account, consumer_key, token_id, nonce, str(timestamp)))
    key = f"{_encode(consumer_secret)}&{_encode(token_secret)}"
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
    return TokenPassport(
        account=account,
        consumer_key=consumer_key,
        token=token_id,
        nonce=nonce,
        timestamp=timestamp,
        signature=base64.b64encode(digest).decode("ascii"),
    )


def new_nonce() -> str:
    return secrets.token_hex(_NONCE_BYTES)


class PassportSigner:
    """Signs a fresh passport per call; holds the credentials so callers never touch the secrets."""

    __slots__ = ("_clock", "_credentials", "_nonce")

    def __init__(
        self,
        credentials: TbaCredentials,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"PassportSigner(account={self._credentials.realm!r})"

    def sign(self) -> TokenPassport:
        c = self._credentials
        return sign_passport(
            c.realm,
            c.consumer_key,
            c.consumer_secret,
            c.token_id,
            c.token_secret,
            self._nonce(),
            int(self._clock()),
        )
