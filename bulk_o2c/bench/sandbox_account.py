"""What a NetSuite sandbox's account allows, as ``/sandbox/account`` describes it, and the ceiling
its latency model puts on a client: the yardstick a benchmark measures against."""

from __future__ import annotations

from dataclasses import dataclass

from bulk_o2c.sandbox.netsuite.config import LatencyModel


@dataclass(frozen=True, slots=True)
class SandboxAccount:
    account_id: str
    concurrency_limit: int
    max_records: int
    time_scale: float
    latency: LatencyModel

    def request_seconds(self, chunk: int, record_type: str = "customer", lines_per_record: int = 0) -> float:
        return self.time_scale * self.latency.account_seconds({record_type: chunk}, chunk * lines_per_record)

    def effective(self, concurrency: int, chunk: int) -> tuple[int, int]:
        """What the account lets a client use: its pool and its record cap bound both."""
        return min(concurrency, self.concurrency_limit), min(chunk, self.max_records)

    def ceiling(self, concurrency: int, chunk: int, record_type: str = "customer", lines: int = 0) -> float:
        """Records/s the latency model allows: ``concurrency x chunk / request time``, both bounded
        by what the account allows."""
        concurrency, chunk = self.effective(concurrency, chunk)
        seconds = self.request_seconds(chunk, record_type, lines)
        return concurrency * chunk / seconds if seconds > 0 else float("inf")
