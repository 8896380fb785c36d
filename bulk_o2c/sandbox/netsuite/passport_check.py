"""Verifying a SOAP ``tokenPassport`` the way NetSuite does (reference netsuite-soap.md section 2.1).

Rules this module owns:
- ``account`` must equal the account id exactly, upper-case suffix included (``1234567_SB1``);
  NetSuite refuses ``1234567_sb1``.
- The signature is ``base64(HMAC-SHA256(consumerSecret&tokenSecret,
  account&consumerKey&token&nonce&timestamp))``; ``algorithm`` is ``HMAC_SHA256`` or ``HMAC-SHA256``.
- The nonce is 6 to 64 letters and digits; the timestamp is Unix seconds no further than the window
  from the clock, either way; a (token, nonce) pair is accepted once while its timestamp is inside
  the window, after which the timestamp check alone refuses a replay.
- Only a passport that passes every check spends its nonce, so forged requests cannot burn nonces.
- Every failure looks the same to the caller ("Invalid login attempt."); the reason is returned for
  the sandbox's own statistics and never contains a secret.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import re
from collections.abc import Callable

from bulk_o2c.sandbox.netsuite.config import SandboxCredentials
from bulk_o2c.sandbox.netsuite.soap_request import Passport

_ALGORITHMS = frozenset({"HMAC_SHA256", "HMAC-SHA256"})
_NONCE = re.compile(r"^[A-Za-z0-9]{6,64}$")
_TIMESTAMP = re.compile(r"^\d{1,12}$")


def _same(given: str, known: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII str, and a client may send anything.
    return hmac.compare_digest(given.encode(), known.encode())


class PassportVerifier:
    def __init__(
        self,
        account_id: str,
        credentials: SandboxCredentials,
        clock: Callable[[], float],
        window_s: float,
    ) -> None:
        self._account_id = account_id
        self._credentials = credentials
        self._key = f"{credentials.consumer_secret}&{credentials.token_secret}".encode()
        self._clock = clock
        self._window_s = window_s
        self._nonces: set[tuple[str, str]] = set()
        # (forget_at, token, nonce), so remembered nonces can be dropped in expiry order.
        self._expiry: list[tuple[float, str, str]] = []

    def verify(self, passport: Passport) -> str | None:
        """None when the passport is good (its nonce is now spent), else why it is refused."""
        if passport.account != self._account_id:
            return "account"
        if not (
            _same(passport.consumer_key, self._credentials.consumer_key)
            and _same(passport.token, self._credentials.token_id)
        ):
            return "unknown token"
        if passport.algorithm not in _ALGORITHMS:
            return "algorithm"
        if not _NONCE.match(passport.nonce) or not _TIMESTAMP.match(passport.timestamp):
            return "nonce or timestamp format"
        base = "&".join(
            (passport.account, passport.consumer_key, passport.token, passport.nonce, passport.timestamp)
        )
        expected = base64.b64encode(hmac.new(self._key, base.encode(), hashlib.sha256).digest()).decode()
        if not _same(passport.signature, expected):
            return "signature"
        return self.spend(passport.token, passport.nonce, int(passport.timestamp))

    def spend(self, token: str, nonce: str, timestamp: int) -> str | None:
        """None when the timestamp is inside the window and the (token, nonce) pair is new (it is
        now spent), else why not. The REST header check spends nonces here too: one account, one
        memory of nonces, whichever API a request came by."""
        now = self._clock()
        if abs(now - timestamp) > self._window_s:
            return "timestamp"
        self._forget_expired(now)
        key = (token, nonce)
        if key in self._nonces:
            return "nonce reused"
        self._nonces.add(key)
        heapq.heappush(self._expiry, (timestamp + self._window_s, *key))
        return None

    def _forget_expired(self, now: float) -> None:
        while self._expiry and self._expiry[0][0] < now:
            _, token, nonce = heapq.heappop(self._expiry)
            self._nonces.discard((token, nonce))
