"""The AIMD limiter: the bound under load, FIFO hand-over, one decrease per epoch, slow growth."""

from __future__ import annotations

import asyncio
import random

import anyio
import pytest

from bulk_o2c.transport.limiter import AimdLimiter


class Gauge:
    """Counts holders inside the limiter and the most ever seen at once."""

    def __init__(self) -> None:
        self.now = 0
        self.highest = 0

    def enter(self) -> None:
        self.now += 1
        self.highest = max(self.highest, self.now)

    def leave(self) -> None:
        self.now -= 1


@pytest.mark.parametrize("bound", [1, 5, 17])
async def test_two_hundred_submitters_never_exceed_the_bound(bound: int) -> None:
    limiter = AimdLimiter(bound)
    gauge = Gauge()
    rng = random.Random(bound)

    async def submit() -> None:
        async with limiter.slot():
            gauge.enter()
            assert limiter.in_flight <= bound
            for _ in range(rng.randint(1, 4)):
                await anyio.lowlevel.checkpoint()
            gauge.leave()

    async with anyio.create_task_group() as tg:
        for _ in range(200):
            tg.start_soon(submit)
    assert gauge.highest == bound
    assert limiter.peak_in_flight == bound
    assert limiter.in_flight == 0
    assert limiter.waiting == 0


async def test_waiters_are_served_in_arrival_order() -> None:
    limiter = AimdLimiter(1)
    order: list[int] = []
    release = anyio.Event()

    async def first() -> None:
        async with limiter.slot():
            await release.wait()

    async def queued(i: int) -> None:
        async with limiter.slot():
            order.append(i)

    async with anyio.create_task_group() as tg:
        tg.start_soon(first)
        await anyio.wait_all_tasks_blocked()
        for i in range(10):
            tg.start_soon(queued, i)
            await anyio.wait_all_tasks_blocked()
        assert limiter.waiting == 10
        release.set()
    assert order == list(range(10))


async def test_newcomer_does_not_overtake_a_waiter() -> None:
    limiter = AimdLimiter(1)
    order: list[str] = []
    release = anyio.Event()

    async def holder() -> None:
        async with limiter.slot():
            await release.wait()
        # Released: a slot is free, but "waiter" queued first.
        async with limiter.slot():
            order.append("newcomer")

    async def waiter() -> None:
        async with limiter.slot():
            order.append("waiter")

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await anyio.wait_all_tasks_blocked()
        tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert order == ["waiter", "newcomer"]


async def test_a_burst_of_simultaneous_faults_shrinks_once() -> None:
    limiter = AimdLimiter(8)
    entered = 0
    all_in = anyio.Event()

    async def faulting() -> None:
        nonlocal entered
        async with limiter.slot():
            entered += 1
            if entered == 8:
                all_in.set()
            await all_in.wait()
            limiter.on_overload()

    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(faulting)
    assert limiter.current_limit == 4
    assert limiter.decreases == 1


async def test_a_fault_after_the_epoch_shrinks_again_down_to_the_floor() -> None:
    limiter = AimdLimiter(8, min_limit=2)
    for expected in (4, 2, 2):
        async with limiter.slot():
            limiter.on_overload()
        assert limiter.current_limit == expected
    assert limiter.decreases == 2


async def test_the_epoch_lasts_until_every_request_of_the_old_one_has_finished() -> None:
    limiter = AimdLimiter(8)
    old_done = anyio.Event()
    results: list[int] = []

    async def old_request() -> None:
        async with limiter.slot():
            await old_done.wait()
            limiter.on_overload()  # stale: the limit already shrank while it ran
            results.append(limiter.current_limit)

    async with anyio.create_task_group() as tg:
        tg.start_soon(old_request)
        await anyio.wait_all_tasks_blocked()
        async with limiter.slot():
            limiter.on_overload()  # first fault: 8 -> 4
        assert limiter.current_limit == 4
        async with limiter.slot():
            # The old request still runs: its epoch is not over, so this fault changes nothing.
            limiter.on_overload()
        assert limiter.current_limit == 4
        old_done.set()
    assert results == [4]
    async with limiter.slot():
        limiter.on_overload()
    assert limiter.current_limit == 2


async def test_shrinking_below_in_flight_holds_new_requests_back() -> None:
    limiter = AimdLimiter(4)
    gauge = Gauge()
    go = anyio.Event()
    late_highest: list[int] = []

    async def running() -> None:
        async with limiter.slot():
            gauge.enter()
            await go.wait()
            gauge.leave()

    async def late() -> None:
        async with limiter.slot():
            gauge.enter()
            late_highest.append(limiter.in_flight)
            await anyio.lowlevel.checkpoint()
            gauge.leave()

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(running)
        await anyio.wait_all_tasks_blocked()
        limiter.on_overload()
        assert limiter.current_limit == 2
        for _ in range(6):
            tg.start_soon(late)
        await anyio.wait_all_tasks_blocked()
        assert limiter.waiting == 6
        go.set()
    assert max(late_highest) <= 2


async def test_growth_is_one_slot_per_increase_after_successes_and_stops_at_the_max() -> None:
    limiter = AimdLimiter(4, increase_after=3)
    async with limiter.slot():
        limiter.on_overload()
    async with limiter.slot():
        limiter.on_overload()
    assert limiter.current_limit == 1
    for _ in range(2):
        limiter.on_success()
    assert limiter.current_limit == 1
    limiter.on_success()
    assert limiter.current_limit == 2
    for _ in range(100):
        limiter.on_success()
    assert limiter.current_limit == 4
    assert limiter.increases == 3


async def test_growth_wakes_waiters() -> None:
    limiter = AimdLimiter(2, increase_after=1)
    async with limiter.slot():
        limiter.on_overload()
    assert limiter.current_limit == 1
    hold = anyio.Event()
    entered: list[int] = []

    async def hold_slot(i: int) -> None:
        async with limiter.slot():
            entered.append(i)
            await hold.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold_slot, 1)
        tg.start_soon(hold_slot, 2)
        await anyio.wait_all_tasks_blocked()
        assert entered == [1]
        limiter.on_success()
        await anyio.wait_all_tasks_blocked()
        assert entered == [1, 2]
        hold.set()


async def test_a_cancelled_waiter_leaves_the_queue_and_loses_no_slot() -> None:
    limiter = AimdLimiter(1)
    release = anyio.Event()

    async def holder() -> None:
        async with limiter.slot():
            await release.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await anyio.wait_all_tasks_blocked()
        with anyio.move_on_after(0.01):
            async with limiter.slot():
                pytest.fail("the slot is taken")
        assert limiter.waiting == 0
        release.set()
    async with limiter.slot():
        assert limiter.in_flight == 1
    assert limiter.in_flight == 0


async def test_a_waiter_cancelled_after_the_hand_over_passes_the_slot_on() -> None:
    # anyio defers cancelling a task whose wait has just completed, but a plain asyncio
    # cancel (asyncio.timeout, TaskGroup) lands right after the hand-over.
    limiter = AimdLimiter(1)
    got: list[str] = []

    async def take(name: str) -> None:
        async with limiter.slot():
            got.append(name)

    async with limiter.slot():
        doomed = asyncio.create_task(take("doomed"))
        await anyio.wait_all_tasks_blocked()
        patient = asyncio.create_task(take("patient"))
        await anyio.wait_all_tasks_blocked()
    assert limiter.in_flight == 1  # handed to "doomed", which has not run yet
    doomed.cancel()
    await asyncio.gather(doomed, patient, return_exceptions=True)
    assert doomed.cancelled()
    assert got == ["patient"]
    assert limiter.in_flight == 0


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="min_limit"):
        AimdLimiter(2, min_limit=3)
    with pytest.raises(ValueError, match="decrease_factor"):
        AimdLimiter(2, decrease_factor=1.0)
    with pytest.raises(ValueError, match="increase_after"):
        AimdLimiter(2, increase_after=0)


async def test_rebinding_sets_the_ceiling_and_aimd_works_below_it() -> None:
    limiter = AimdLimiter(5, increase_after=1)
    limiter.rebind(12)
    assert (limiter.max_limit, limiter.current_limit) == (12, 12)
    limiter.on_overload()
    assert limiter.current_limit == 6
    for _ in range(10):
        limiter.on_success()
    assert limiter.current_limit == 12  # grows back to the new ceiling, never past it
    limiter.rebind(2)
    assert (limiter.max_limit, limiter.current_limit) == (2, 2)
    with pytest.raises(ValueError, match="min_limit"):
        limiter.rebind(0)


async def test_a_ceiling_raised_while_tasks_wait_lets_them_in() -> None:
    limiter = AimdLimiter(1)
    entered: list[int] = []
    release = anyio.Event()

    async def hold(n: int) -> None:
        async with limiter.slot():
            entered.append(n)
            await release.wait()

    async with anyio.create_task_group() as tg:
        for n in range(3):
            tg.start_soon(hold, n)
        await anyio.wait_all_tasks_blocked()
        assert entered == [0]
        limiter.rebind(3)
        await anyio.wait_all_tasks_blocked()
        assert entered == [0, 1, 2]
        release.set()
