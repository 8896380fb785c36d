"""How long a Bulk job stays in each server-driven state.

A state ends after ``polls_per_state`` looks at the job (GET job info) or after
``seconds_per_state`` of sandbox time, whichever comes first; either may be None. Zero polls means
the state ends on the first look, so a job can finish on its first poll.
"""

from __future__ import annotations

from bulk_o2c.sandbox.salesforce.clock import SandboxClock


class StatePacer:
    def __init__(
        self, clock: SandboxClock, polls_per_state: int | None, seconds_per_state: float | None
    ) -> None:
        self._clock = clock
        self._polls_per_state = polls_per_state
        self._seconds_per_state = seconds_per_state
        self._entered = clock.now()
        self._polls = 0

    def restart(self) -> None:
        self._entered = self._clock.now()
        self._polls = 0

    def poll(self) -> None:
        self._polls += 1

    def due(self) -> bool:
        if self._polls_per_state is not None and self._polls >= self._polls_per_state:
            return True
        return (
            self._seconds_per_state is not None and self._clock.age(self._entered) >= self._seconds_per_state
        )
