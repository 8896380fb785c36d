"""TokenManager: proactive renewal, one refresh for many callers, invalidate only when stale."""

from __future__ import annotations

import anyio
import pytest

from bulk_o2c.transport.tokens import AccessToken, TokenManager


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingFetcher:
    def __init__(self, clock: FakeClock, lifetime_s: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime_s = lifetime_s
        self.calls = 0
        self.gate: anyio.Event | None = None

    async def __call__(self) -> AccessToken:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        return AccessToken(f"token-{self.calls}", issued_at=self.clock(), lifetime_s=self.lifetime_s)


async def test_token_is_reused_until_the_margin_then_renewed() -> None:
    clock = FakeClock()
    fetch = CountingFetcher(clock)
    manager = TokenManager(fetch, refresh_margin=0.25, clock=clock)
    first = await manager.get()
    clock.now += 2699  # 45 minutes minus a second: three quarters of the life not yet used
    assert await manager.get() is first
    clock.now += 1
    renewed = await manager.get()
    assert renewed.value == "token-2"
    assert manager.refreshes == 2
    assert renewed.expires_at == clock.now + 3600


async def test_many_concurrent_callers_share_one_refresh() -> None:
    clock = FakeClock()
    fetch = CountingFetcher(clock)
    fetch.gate = anyio.Event()
    manager = TokenManager(fetch, clock=clock)
    got: list[AccessToken] = []

    async def caller() -> None:
        got.append(await manager.get())

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(caller)
        await anyio.wait_all_tasks_blocked()
        fetch.gate.set()
    assert fetch.calls == 1
    assert {t.value for t in got} == {"token-1"}


async def test_invalidate_renews_only_the_stale_token() -> None:
    clock = FakeClock()
    fetch = CountingFetcher(clock)
    manager = TokenManager(fetch, clock=clock)
    stale = await manager.get()
    fresh = await manager.invalidate(stale)
    assert fresh.value == "token-2"
    # A second 401 for the same stale token, from a caller that raced the first: no new fetch.
    assert await manager.invalidate(stale) is fresh
    assert fetch.calls == 2


async def test_a_failed_fetch_leaves_no_token_behind_and_is_retried_next_time() -> None:
    clock = FakeClock()
    calls = 0

    async def failing_once() -> AccessToken:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("endpoint down")
        return AccessToken("ok", issued_at=clock(), lifetime_s=60)

    manager = TokenManager(failing_once, clock=clock)
    with pytest.raises(RuntimeError):
        await manager.get()
    assert (await manager.get()).value == "ok"


def test_token_value_is_hidden_from_repr() -> None:
    assert "s3cret" not in repr(AccessToken("s3cret", issued_at=0, lifetime_s=1))


def test_margin_must_be_a_share() -> None:
    async def never() -> AccessToken:
        raise AssertionError

    with pytest.raises(ValueError, match="refresh_margin"):
        TokenManager(never, refresh_margin=1.0)
