"""An AIMD concurrency limiter: the one bound on requests in flight to a shared pool.

Rules this module owns:

* ``slot()`` never lets more than ``current_limit`` holders run at once, and ``current_limit``
  never exceeds ``max_limit`` (the bound NetSuite reports for this integration, under the configured
  cap) nor drops under ``min_limit``. ``rebind()`` sets that ceiling once it is known, and starts
  the limit there: AIMD then works below it.
* Waiters are served first come, first served: a released slot is handed straight to the oldest
  waiter, so a newcomer cannot overtake a task that has been queuing.
* ``on_overload()`` (the pool said no) halves the limit (``decrease_factor``), at most once per
  epoch: the faults of requests that were already in flight when the limit shrank say nothing
  about the new limit, so they are ignored until every one of those requests has finished.
* ``on_success()`` adds one slot after ``increase_after`` successes in a row at the current limit:
  growth is slow and linear, shrinking fast and multiplicative, which is what keeps several
  integrations sharing one pool fair and stable.
* When the limit shrinks under the number in flight nobody is cancelled; new holders wait until
  enough of the running requests have finished.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.lowlevel


class _Waiter:
    __slots__ = ("epoch", "granted")

    def __init__(self) -> None:
        self.granted = anyio.Event()
        self.epoch = -1


class AimdLimiter:
    def __init__(
        self,
        max_limit: int,
        *,
        min_limit: int = 1,
        increase_after: int = 20,
        decrease_factor: float = 0.5,
    ) -> None:
        if not 1 <= min_limit <= max_limit:
            raise ValueError("the limits need 1 <= min_limit <= max_limit")
        if increase_after < 1:
            raise ValueError("increase_after counts successes: at least 1")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor shrinks the limit: between 0 and 1")
        self.max_limit = max_limit
        self.min_limit = min_limit
        self._increase_after = increase_after
        self._decrease_factor = decrease_factor
        self._limit = max_limit
        self._in_flight = 0
        self._peak = 0
        self._waiters: deque[_Waiter] = deque()
        self._successes = 0
        # An epoch ends at each decrease; holders that started in an older epoch are "stale" and
        # their faults do not shrink the limit again.
        self._epoch = 0
        self._stale = 0
        self.decreases = 0
        self.increases = 0

    @property
    def current_limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def peak_in_flight(self) -> int:
        return self._peak

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        epoch = await self._acquire()
        try:
            yield
        finally:
            self._release(epoch)

    def rebind(self, max_limit: int) -> None:
        """A new ceiling (the bound discovered at the start of a run); the limit starts at it.

        Holders already running are not cancelled: if the ceiling shrank under them, new holders
        wait until enough have finished.
        """
        if max_limit < self.min_limit:
            raise ValueError("the ceiling cannot go under min_limit")
        self.max_limit = max_limit
        self._limit = max_limit
        self._successes = 0
        self._wake()

    def on_overload(self) -> None:
        if self._stale > 0:
            return
        self._successes = 0
        shrunk = max(self.min_limit, int(self._limit * self._decrease_factor))
        if shrunk < self._limit:
            self._limit = shrunk
            self.decreases += 1
        # No holder was stale, so every one in flight now belongs to the epoch that just ended.
        self._epoch += 1
        self._stale = self._in_flight

    def on_success(self) -> None:
        if self._limit >= self.max_limit:
            return
        self._successes += 1
        if self._successes >= self._increase_after:
            self._successes = 0
            self._limit += 1
            self.increases += 1
            self._wake()

    async def _acquire(self) -> int:
        if not self._waiters and self._in_flight < self._limit:
            epoch = self._take()
            try:
                await anyio.lowlevel.checkpoint()
            except BaseException:
                self._release(epoch)
                raise
            return epoch
        waiter = _Waiter()
        self._waiters.append(waiter)
        try:
            await waiter.granted.wait()
        except BaseException:
            if waiter.granted.is_set():
                # The slot was handed over just as we were cancelled: pass it on.
                self._release(waiter.epoch)
            else:
                self._waiters.remove(waiter)
            raise
        return waiter.epoch

    def _take(self) -> int:
        self._in_flight += 1
        self._peak = max(self._peak, self._in_flight)
        return self._epoch

    def _release(self, epoch: int) -> None:
        self._in_flight -= 1
        if epoch < self._epoch:
            self._stale -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self._limit:
            waiter = self._waiters.popleft()
            waiter.epoch = self._take()
            waiter.granted.set()
