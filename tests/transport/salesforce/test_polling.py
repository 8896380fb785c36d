from __future__ import annotations

import anyio
import pytest

from bulk_o2c.transport.salesforce.polling import Polling, poll_until


class Job:
    def __init__(self, states: list[str]) -> None:
        self.states = states
        self.fetches = 0
        self.at: list[float] = []

    async def fetch(self) -> str:
        self.at.append(anyio.current_time())
        self.fetches += 1
        return self.states.pop(0)


async def test_polls_until_done_with_doubling_capped_delays() -> None:
    job = Job(["InProgress", "InProgress", "InProgress", "JobComplete"])
    found = await poll_until(job.fetch, lambda s: s == "JobComplete", Polling(0.01, 0.02, 5))
    assert found == "JobComplete"
    gaps = [b - a for a, b in zip(job.at, job.at[1:], strict=False)]
    assert gaps[0] >= 0.01
    assert all(gap >= 0.02 for gap in gaps[1:])


async def test_a_known_state_saves_the_first_fetch() -> None:
    job = Job(["JobComplete"])
    assert await poll_until(
        job.fetch, lambda s: s == "JobComplete", Polling(0.01, 0.01, 5), known="Open"
    ) == ("JobComplete")
    assert job.fetches == 1
    done = Job([])
    assert (
        await poll_until(done.fetch, lambda s: s == "JobComplete", Polling(), known="JobComplete")
        == "JobComplete"
    )
    assert done.fetches == 0


async def test_gives_none_at_the_timeout() -> None:
    job = Job(["InProgress"] * 100)
    assert await poll_until(job.fetch, lambda s: s == "JobComplete", Polling(0.01, 0.01, 0.035)) is None
    assert 2 <= job.fetches <= 6


@pytest.mark.parametrize(("initial", "maximum", "timeout"), [(0, 1, 1), (2, 1, 1), (1, 1, -1)])
def test_impossible_polling_is_refused(initial: float, maximum: float, timeout: float) -> None:
    with pytest.raises(ValueError, match="polling"):
        Polling(initial, maximum, timeout)


async def test_stop_ends_polling_at_once_without_a_result() -> None:
    job = Job(["InProgress"] * 10)
    stop = anyio.Event()

    async def stop_soon() -> None:
        await anyio.sleep(0.05)
        stop.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(stop_soon)
        started = anyio.current_time()
        found = await poll_until(job.fetch, lambda s: s == "JobComplete", Polling(10, 10, 60), stop=stop)
    assert found is None
    assert anyio.current_time() - started < 5  # not the 10 s delay to the next poll
    assert job.fetches == 1
