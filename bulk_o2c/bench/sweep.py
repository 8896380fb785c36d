"""One benchmark sweep: every (concurrency, chunk size) setting loads its own synthetic customers.

Rules this module owns:

- Each setting is a load as a run makes it (``pipeline.synthetic_load``: the run's ``FlowLoader``),
  with a fresh writer (its own HTTP session, limiter and metrics) and its own external
  ids, ``{prefix}{concurrency}x{chunk}_C000000001``..., so settings never update each other's
  records: every setting pays for creating records, as a first load does.
- Settings run one after another, never overlapping, so each has the target to itself.
- ``records/s`` counts saved records over the wall time of the whole setting, ramp-up and drain
  included: what a run of that size would see.
- The ceiling is known only for a sandbox: ``min(concurrency, pool) x min(chunk, record cap) /
  request time`` of its latency model; efficiency is records/s over that.
- The recommendation (``recommend``) is explained in its docstring; the rule is the product's, not
  the caller's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bulk_o2c.bench.sandbox_account import SandboxAccount
from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.errors import ConcurrencyLimitError
from bulk_o2c.pipeline.synthetic_load import load_customers
from bulk_o2c.protocol.netsuite.faults import fault_from

# Below this share of its ceiling a setting was held back by the client, not by the account.
MIN_EFFICIENCY = 0.8
# A setting within this share of the best throughput is as good, and leaves slots to others.
NEAR_BEST = 0.95
# HTTP 429 without a SOAP fault is how a proxy in front of NetSuite says "too many at once".
_HTTP_TOO_MANY = "HTTP_429"


def is_concurrency_fault(code: str) -> bool:
    """Whether an attempt's outcome code says the account's concurrency pool was full."""
    # The SOAP client records a fault by its code, or by its element name when it has no code.
    return code == _HTTP_TOO_MANY or isinstance(fault_from(code, code, ""), ConcurrencyLimitError)


@dataclass(frozen=True, slots=True, order=True)
class Setting:
    concurrency: int
    chunk_size: int

    @property
    def label(self) -> str:
        return f"{self.concurrency}x{self.chunk_size}"


@dataclass(frozen=True, slots=True)
class BenchRow:
    setting: Setting
    records: int
    saved: int
    failed: int
    seconds: float
    requests: int
    latency_p50_s: float
    latency_p95_s: float
    peak_concurrency: int
    faults: dict[str, int] = field(default_factory=dict)
    ceiling: float | None = None  # records/s the sandbox latency model allows; None for an account

    @property
    def records_per_s(self) -> float:
        return self.saved / self.seconds if self.seconds > 0 else 0.0

    @property
    def efficiency(self) -> float | None:
        if self.ceiling is None or not math.isfinite(self.ceiling) or self.ceiling <= 0:
            return None
        return self.records_per_s / self.ceiling

    @property
    def concurrency_faults(self) -> int:
        return sum(n for code, n in self.faults.items() if is_concurrency_fault(code))


@dataclass(frozen=True, slots=True)
class Recommendation:
    setting: Setting | None
    reason: str


async def measure(
    settings: NetSuiteSettings,
    setting: Setting,
    records: int,
    prefix: str,
    account: SandboxAccount | None = None,
) -> BenchRow:
    """Load ``records`` synthetic customers at ``setting`` and say how it went."""
    aimed = settings.model_copy(update={"concurrency": setting.concurrency, "chunk_size": setting.chunk_size})
    report = await load_customers(aimed, records, prefix=f"{prefix}{setting.label}_")
    return BenchRow(
        setting=setting,
        records=records,
        saved=report.saved,
        failed=report.failed,
        seconds=report.seconds,
        requests=report.requests,
        latency_p50_s=report.latency_p50_s,
        latency_p95_s=report.latency_p95_s,
        peak_concurrency=report.peak_concurrency,
        faults=report.faults,
        ceiling=account.ceiling(setting.concurrency, setting.chunk_size) if account is not None else None,
    )


async def sweep(
    settings: NetSuiteSettings,
    grid: Sequence[Setting],
    records: Callable[[Setting], int],
    prefix: str,
    account: SandboxAccount | None = None,
    on_row: Callable[[BenchRow], None] | None = None,
) -> list[BenchRow]:
    rows = []
    for setting in grid:
        row = await measure(settings, setting, records(setting), prefix, account)
        if on_row is not None:
            on_row(row)
        rows.append(row)
    return rows


def recommend(rows: Sequence[BenchRow]) -> Recommendation:
    """The setting to use, and why.

    1. Candidates are the settings that saved every record and never met a concurrency fault
       (``WS_REQUEST_BLOCKED`` and kin, or HTTP 429): a setting that hit the pool's limit took slots
       from the account's other integrations, or would as soon as they are busy.
    2. Against a sandbox, a setting under ``MIN_EFFICIENCY`` (80 %) of its ceiling is dropped too: the
       client, not the account, held it back, so its figure says little about the account.
    3. Among the candidates, take the best records/s; then recommend the lowest concurrency (then the
       smallest chunk) that reaches ``NEAR_BEST`` (95 %) of it. Throughput on a real account stops
       growing long before its pool is used up, and every slot not taken is one another integration
       can have: 5 % of throughput is a fair price for it.
    """
    if not rows:
        return Recommendation(None, "nothing was measured")
    clean = [r for r in rows if r.failed == 0 and r.concurrency_faults == 0]
    if not clean:
        return Recommendation(
            None, "every setting failed records or met concurrency faults: lower the concurrency"
        )
    sensible = [r for r in clean if r.efficiency is None or r.efficiency >= MIN_EFFICIENCY]
    if not sensible:
        return Recommendation(
            None,
            f"no clean setting reached {MIN_EFFICIENCY:.0%} of its ceiling: the client is the bottleneck",
        )
    best = max(r.records_per_s for r in sensible)
    chosen = min((r for r in sensible if r.records_per_s >= NEAR_BEST * best), key=lambda r: r.setting)
    return Recommendation(
        chosen.setting,
        f"concurrency {chosen.setting.concurrency}, chunk {chosen.setting.chunk_size}: "
        f"{chosen.records_per_s:,.0f} records/s, the lowest concurrency within {1 - NEAR_BEST:.0%} of the "
        f"best clean setting ({best:,.0f} records/s) with no concurrency fault and no failed record",
    )


@dataclass(frozen=True, slots=True)
class BenchResult:
    target: str  # what was measured, in words (sandbox URL and model, or the account id)
    prefix: str  # every benchmark record's external id starts with it
    rows: tuple[BenchRow, ...]
    recommendation: Recommendation
