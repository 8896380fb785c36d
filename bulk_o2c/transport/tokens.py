"""Access tokens that are renewed before they run out, by one refresh that everyone waits on.

Each token carries its usable life (from ``expires_in``, from introspection, or from the configured
session timeout when the grant says nothing). ``TokenManager.get`` renews it once the remaining life
falls under ``refresh_margin`` of the whole, so a six-hour run never sends a dead token. A 401 is the
safety net: ``invalidate(stale)`` refreshes only if nobody has done so since ``stale`` was handed out.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str = field(repr=False)
    issued_at: float
    lifetime_s: float
    instance_url: str | None = None

    @property
    def expires_at(self) -> float:
        return self.issued_at + self.lifetime_s

    def refresh_due_at(self, margin: float) -> float:
        return self.issued_at + self.lifetime_s * (1.0 - margin)


TokenFetcher = Callable[[], Awaitable[AccessToken]]


class TokenManager:
    """Single-flight, proactive token renewal around a ``fetch`` coroutine."""

    def __init__(
        self,
        fetch: TokenFetcher,
        *,
        refresh_margin: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < refresh_margin < 1:
            raise ValueError("refresh_margin is a share of the token's life, between 0 and 1")
        self._fetch = fetch
        self._margin = refresh_margin
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = anyio.Lock()
        self.refreshes = 0

    async def get(self) -> AccessToken:
        token = self._token
        if token is not None and self._clock() < token.refresh_due_at(self._margin):
            return token
        async with self._lock:
            token = self._token
            if token is None or self._clock() >= token.refresh_due_at(self._margin):
                token = await self._renew()
            return token

    async def invalidate(self, stale: AccessToken) -> AccessToken:
        """The server refused ``stale``: renew unless a concurrent caller already has."""
        async with self._lock:
            if self._token is None or self._token is stale:
                return await self._renew()
            return self._token

    async def _renew(self) -> AccessToken:
        token = await self._fetch()
        self._token = token
        self.refreshes += 1
        return token
