"""The account's concurrency pool, shared with other integrations (reference section 4).

Rules this module owns:
- A request arriving while ``limit`` requests are in flight is refused at once (NetSuite does not
  queue); so is one arriving while the slots left by other integrations' ``pressure`` are full.
- ``pressure`` is a number of phantom slots held by other integrations: only ``limit - pressure``
  remain for the client. It may be set to anything from 0 to ``limit``, at any time; requests
  already admitted are not affected.
- ``share`` is this integration's part of the pool (its own allocation, or what other integrations'
  allocations leave): a request beyond it is refused too, however idle the rest of the pool is.
- ``highest`` is the most client requests ever in flight at once (admitted ones only).
"""

from __future__ import annotations


class ConcurrencyPool:
    def __init__(self, limit: int, share: int | None = None) -> None:
        self.limit = limit
        self.share = limit if share is None else share
        self.pressure = 0
        self.in_flight = 0
        self.highest = 0
        self.blocked = 0

    def try_acquire(self) -> bool:
        if self.in_flight + self.pressure >= self.limit or self.in_flight >= self.share:
            self.blocked += 1
            return False
        self.in_flight += 1
        self.highest = max(self.highest, self.in_flight)
        return True

    def release(self) -> None:
        self.in_flight -= 1

    def set_pressure(self, slots: int) -> None:
        if not 0 <= slots <= self.limit:
            raise ValueError(f"pressure must be between 0 and the account limit ({self.limit})")
        self.pressure = slots
