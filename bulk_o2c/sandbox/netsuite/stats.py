"""What the sandbox has seen, for tests and benchmarks (read-only snapshots).

Counted, with their meaning:
- ``requests``: every POST to a SOAP endpoint, blocked ones included, whatever the operation
  (``upsertList``, ``getServerTime`` or a refused one).
- ``records_received``: records in requests that passed authentication (faulted ones included);
  a ``getServerTime`` has none.
- ``records_written``: creates and updates committed; a lost response's records count here.
- ``blocked``: requests the concurrency pool refused (injected concurrency faults are not counted
  here, only in ``faults_sent``).
- ``faults_sent``: whole-request SOAP faults by code, injected or not.
- ``record_errors``: per-record ERROR details by code; ``warnings_sent``: WARN details.
- ``lost_responses``: requests processed whose connection was then dropped on purpose.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class Counters:
    requests: int = 0
    records_received: int = 0
    records_written: int = 0
    lost_responses: int = 0
    warnings_sent: int = 0
    faults_sent: Counter[str] = field(default_factory=Counter)
    record_errors: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class SandboxStats:
    requests: int
    records_received: int
    records_written: int
    highest_concurrency: int
    in_flight: int
    blocked: int
    pressure: int
    concurrency_limit: int
    lost_responses: int
    warnings_sent: int
    faults_sent: dict[str, int]
    record_errors: dict[str, int]
    # Stored records per record type (the item catalogue is ``item``).
    records: dict[str, int]
