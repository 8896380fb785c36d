"""The shared retry policy: what it retries, when it stops, how it waits, what it reports."""

from __future__ import annotations

import asyncio

import pytest

from bulk_o2c.errors import ConcurrencyLimitError, PermanentError, RequestTooLargeError, TransientError
from bulk_o2c.transport.retry import Attempt, AttemptHook, RetryPolicy


def fast(max_attempts: int, on_attempt: AttemptHook | None = None) -> RetryPolicy:
    return RetryPolicy(max_attempts=max_attempts, base_delay_s=0.0, max_delay_s=0.0, on_attempt=on_attempt)


class Flaky:
    """Fails with the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


async def test_transient_errors_are_retried_until_success() -> None:
    op = Flaky(TransientError("reset"), ConcurrencyLimitError("blocked"))
    assert await fast(3).call(op) == "done"
    assert op.calls == 3


async def test_the_last_transient_error_is_raised_after_max_attempts() -> None:
    last = TransientError("third")
    op = Flaky(TransientError("1"), TransientError("2"), last, TransientError("4"))
    with pytest.raises(TransientError) as caught:
        await fast(3).call(op)
    assert caught.value is last
    assert op.calls == 3


@pytest.mark.parametrize("error", [PermanentError("data"), RequestTooLargeError("split"), KeyError("bug")])
async def test_anything_but_a_transient_error_is_not_retried(error: Exception) -> None:
    op = Flaky(error)
    with pytest.raises(type(error)):
        await fast(5).call(op)
    assert op.calls == 1


async def test_max_time_stops_retrying_before_max_attempts() -> None:
    op = Flaky(*(TransientError(str(i)) for i in range(100)))
    with pytest.raises(TransientError):
        await RetryPolicy(max_attempts=100, max_time_s=0.05, base_delay_s=0.02, max_delay_s=0.02).call(op)
    assert 1 < op.calls < 100


async def test_every_attempt_is_reported_with_its_own_outcome() -> None:
    seen: list[Attempt] = []
    first = TransientError("reset")
    op = Flaky(first)
    await fast(3, seen.append).call(op)
    assert [(a.number, a.error) for a in seen] == [(1, first), (2, None)]
    assert all(a.elapsed_s >= 0 for a in seen)


async def test_delays_are_full_jitter_under_an_exponential_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []

    async def record_sleep(delay: float) -> None:
        sleeps.append(delay)

    op = Flaky(*(TransientError(str(i)) for i in range(6)))
    policy = RetryPolicy(max_attempts=7, base_delay_s=1.0, max_delay_s=8.0)
    # backoff sleeps with asyncio.sleep; recording it keeps the test instant.
    monkeypatch.setattr(asyncio, "sleep", record_sleep)
    await policy.call(op)
    monkeypatch.undo()
    ceilings = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert len(sleeps) == len(ceilings)
    assert all(0 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))
    # Jitter: the delays are not the ceilings themselves.
    assert sleeps != ceilings
    assert len(set(sleeps)) == len(sleeps)


async def test_repeat_runs_until_the_step_is_done() -> None:
    left = [3]

    async def step() -> bool:
        left[0] -= 1
        return left[0] == 0

    assert await fast(5).repeat(step) is True
    assert left == [0]


async def test_repeat_gives_up_after_max_attempts() -> None:
    runs = 0

    async def never_done() -> bool:
        nonlocal runs
        runs += 1
        return False

    assert await fast(4).repeat(never_done) is False
    assert runs == 4


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="delays"):
        RetryPolicy(base_delay_s=2.0, max_delay_s=1.0)
