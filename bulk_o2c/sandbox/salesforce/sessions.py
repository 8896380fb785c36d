"""Who is logged in: access tokens (sessions) and refresh-token families.

Rules this module owns:

- A session lives ``session_timeout_s`` of sandbox time counted from its issue, whatever happens
  in between (a simplification of Salesforce's inactivity timer that keeps tests predictable).
  An unknown, expired or revoked token is simply not found; the server answers 401.
- ``expire_all()`` ends every live session at once, like an admin revoking them: the next call with
  any of them gets INVALID_SESSION_ID.
- Refresh tokens come in families. With rotation on, redeeming the family's current token returns a
  new one and the old one is spent; presenting a spent token of a family is taken as theft: the
  whole family is revoked, its sessions too (refresh token rotation reuse detection). With rotation
  off a family keeps one token forever.
- Token values are random and never appear in a repr.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from bulk_o2c.sandbox.salesforce.clock import SandboxClock
from bulk_o2c.sandbox.salesforce.dataset import INTEGRATION_USER_ID, ORG_ID
from bulk_o2c.sandbox.salesforce.stats import SandboxStats


class InvalidGrant(Exception):
    """The refresh token is unknown, spent or revoked."""


@dataclass(slots=True)
class Session:
    token: str = field(repr=False)
    issued_at: float
    user_id: str
    family: int | None = None


@dataclass(slots=True)
class _Family:
    current: str = field(repr=False)
    revoked: bool = False


class SessionStore:
    def __init__(self, clock: SandboxClock, timeout_s: float, stats: SandboxStats) -> None:
        self._clock = clock
        self._timeout_s = timeout_s
        self._stats = stats
        self._sessions: dict[str, Session] = {}
        self._families: dict[int, _Family] = {}
        self._family_of: dict[str, int] = {}

    # -- access tokens -------------------------------------------------------------------------

    def issue(self, family: int | None = None) -> Session:
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        session = Session(token, self._clock.now(), INTEGRATION_USER_ID, family)
        self._sessions[token] = session
        self._stats.sessions_issued += 1
        return session

    def find(self, token: str) -> Session | None:
        session = self._sessions.get(token)
        if session is None:
            return None
        if self._clock.age(session.issued_at) >= self._timeout_s:
            del self._sessions[token]
            return None
        return session

    def expires_at(self, session: Session) -> float:
        """The wall-clock time at which ``session`` stops working."""
        return session.issued_at + self._clock.real_seconds(self._timeout_s)

    def expire_all(self) -> None:
        self._sessions.clear()

    # -- refresh tokens ------------------------------------------------------------------------

    def new_refresh_token(self, value: str | None = None) -> str:
        token = value or "5Aep861" + secrets.token_urlsafe(64)
        family = len(self._families) + 1
        self._families[family] = _Family(token)
        self._family_of[token] = family
        return token

    def redeem(self, refresh_token: str, *, rotate: bool) -> tuple[int, str | None]:
        """The token's family and, with rotation, the family's next token."""
        family_id = self._family_of.get(refresh_token)
        if family_id is None:
            raise InvalidGrant
        family = self._families[family_id]
        if family.revoked:
            raise InvalidGrant
        if refresh_token != family.current:
            family.revoked = True
            for token in [t for t, s in self._sessions.items() if s.family == family_id]:
                del self._sessions[token]
            raise InvalidGrant
        if not rotate:
            return family_id, None
        successor = "5Aep861" + secrets.token_urlsafe(64)
        family.current = successor
        self._family_of[successor] = family_id
        return family_id, successor
