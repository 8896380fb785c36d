"""How the NetSuite sandbox account is set up: credentials, limits, latency, reference data.

Rules this module owns:
- The defaults describe a Standard-tier sandbox account ``1234567_SB1``: a pool of 5 concurrent
  requests (``limits.BASE_ACCOUNT_CONCURRENCY``) and 100 records per ``upsertList``
  (``limits.UPSERT_LIST_MAX_RECORDS``). ``max_records`` may be raised to
  ``limits.CHUNK_SIZE_CEILING`` (1,000) to emulate accounts with larger grants.
- The demo credentials are derived deterministically, so a demo or a test can hand the very same
  values to the client. They are secrets all the same: never in a repr, a log line or a message.
- Request time is ``time_scale x latency.account_seconds(...)``: the latency model says what a real
  account would take; ``time_scale`` shrinks it for tests (0 = no waiting at all). A
  ``getServerTime`` carries no records, so it costs the fixed part alone: ``request_seconds({})``;
  so do the governance calls and ``get``.
- Governance (reference netsuite-rest.md section 5.1): ``concurrency_limit`` is the account's pool;
  ``reserved_by_others`` is what other integrations' allocations take from it; this integration
  has its own ``integration_limit`` or none (it then shares what is unallocated). The client's share,
  which the pool enforces, is the integration limit, or the unallocated rest. ``administrator``
  False makes the role a non-administrator: both SOAP governance calls and REST governanceLimits
  refuse it. ``rest_governance`` False emulates a release before 2025.2 (REST answers 404).
- ``unreadable_record_types``: record types the role may not read; a ``get`` of one answers
  INSUFFICIENT_PERMISSION.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bulk_o2c.errors import ConfigError
from bulk_o2c.protocol.netsuite import limits


def _demo_secret(label: str) -> str:
    # Shaped like the 64-hex-character values NetSuite issues, and the same on every machine.
    return hashlib.sha256(f"bulk-o2c netsuite sandbox {label}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SandboxCredentials:
    """The one integration record and access token the sandbox account knows."""

    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    token_id: str = field(repr=False)
    token_secret: str = field(repr=False)

    @classmethod
    def demo(cls) -> SandboxCredentials:
        return cls(
            consumer_key=_demo_secret("consumer key"),
            consumer_secret=_demo_secret("consumer secret"),
            token_id=_demo_secret("token id"),
            token_secret=_demo_secret("token secret"),
        )


# No published per-record figures exist (reference netsuite-soap.md section 9); these are chosen to
# resemble a real account and to keep Oracle's advice meaningful (~50 entities or ~20 transactions
# per request cost about the same): 100 customers take 2.25 s, 100 orders of 3 lines 6.75 s.
_DEFAULT_RECORD_SECONDS: Mapping[str, float] = MappingProxyType({"customer": 0.02, "salesOrder": 0.05})
# The demo account's currencies, numbered as a US account numbers its first ones; USD is the base
# currency of its only subsidiary.
DEMO_CURRENCIES: Mapping[str, str] = MappingProxyType(
    {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4", "JPY": "5", "AUD": "6"}
)
BASE_CURRENCY_ID = "1"


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """Seconds a real account spends on one request: a fixed cost plus a cost per record.

    ``base_s`` alone is what a request without records (``getServerTime``) costs.
    """

    base_s: float = 0.25
    record_s: Mapping[str, float] = field(default_factory=lambda: _DEFAULT_RECORD_SECONDS)
    # Record types without their own figure (e.g. ones the sandbox rejects) still cost a little.
    other_record_s: float = 0.02
    sales_order_line_s: float = 0.005

    def account_seconds(self, counts: Mapping[str, int], sales_order_lines: int = 0) -> float:
        """Seconds for a request holding ``counts[record_type]`` records and that many order lines."""
        per_record = sum(n * self.record_s.get(kind, self.other_record_s) for kind, n in counts.items())
        return self.base_s + per_record + sales_order_lines * self.sales_order_line_s


@dataclass(frozen=True, slots=True)
class NetSuiteSandboxConfig:
    account_id: str = "1234567_SB1"
    credentials: SandboxCredentials = field(default_factory=SandboxCredentials.demo)
    concurrency_limit: int = limits.BASE_ACCOUNT_CONCURRENCY
    max_records: int = limits.UPSERT_LIST_MAX_RECORDS
    # NetSuite's documented cap is 100 MB; None leaves only the HTTP server's own limit in place.
    max_request_bytes: int | None = None
    latency: LatencyModel = field(default_factory=LatencyModel)
    time_scale: float = 1.0
    # Wall clock (seconds since the epoch) for tokenPassport timestamps and for the time getServerTime
    # reports; tests pass a fake one.
    clock: Callable[[], float] = time.time
    # A passport timestamp may be this far from the clock, either way; nonces are remembered as long.
    timestamp_window_s: float = 300.0
    # External ids of the item catalogue that sales order lines may reference.
    items: frozenset[str] = frozenset()
    # External ids of the catalogue's discount items (catalogue items too): NetSuite applies one to
    # the line just before it.
    discount_items: frozenset[str] = frozenset()
    # Internal ids the demo account has: its only subsidiary and its only custom entry form.
    subsidiary_ids: frozenset[str] = frozenset({"1"})
    custom_form_ids: frozenset[str] = frozenset({"1"})
    # ISO code -> internal id of every currency the account has (Multiple Currencies enabled).
    currencies: Mapping[str, str] = field(default_factory=lambda: DEMO_CURRENCIES)
    # Multi-select custom fields the account has: script id -> internal ids of its list's values.
    multi_select_fields: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    price_level_ids: frozenset[str] = frozenset({"1"})
    # Governance: see the module's rules.
    reserved_by_others: int = 0
    integration_limit: int | None = None
    administrator: bool = True
    rest_governance: bool = True
    unreadable_record_types: frozenset[str] = frozenset()
    # Seeds the random transient faults, so a failing benchmark run can be replayed.
    seed: int = 0

    def __post_init__(self) -> None:
        if self.account_id != self.account_id.upper() or not self.account_id:
            raise ConfigError("sandbox account_id must be the upper-case realm, e.g. 1234567_SB1")
        if self.concurrency_limit < 1:
            raise ConfigError("sandbox concurrency_limit must be at least 1")
        if not 1 <= self.max_records <= limits.CHUNK_SIZE_CEILING:
            raise ConfigError(f"sandbox max_records must be between 1 and {limits.CHUNK_SIZE_CEILING}")
        if self.max_request_bytes is not None and self.max_request_bytes < 1:
            raise ConfigError("sandbox max_request_bytes must be positive")
        if self.time_scale < 0:
            raise ConfigError("sandbox time_scale cannot be negative")
        if self.timestamp_window_s <= 0:
            raise ConfigError("sandbox timestamp_window_s must be positive")
        if not 0 <= self.reserved_by_others < self.concurrency_limit:
            raise ConfigError("sandbox reserved_by_others must leave at least one slot of the pool")
        room = self.concurrency_limit - self.reserved_by_others
        if self.integration_limit is not None and not 1 <= self.integration_limit <= room:
            raise ConfigError(f"sandbox integration_limit must be between 1 and {room}")

    @property
    def unallocated_limit(self) -> int:
        """``unallocatedConcurrencyLimit``: the pool less every integration-specific allocation."""
        return self.concurrency_limit - self.reserved_by_others - (self.integration_limit or 0) or 1

    @property
    def client_share(self) -> int:
        """How many requests this integration may have in flight: what the pool enforces."""
        return self.integration_limit if self.integration_limit is not None else self.unallocated_limit

    def request_seconds(self, counts: Mapping[str, int], sales_order_lines: int = 0) -> float:
        """Seconds this sandbox holds a request (and its concurrency slot) before answering.

        The throughput ceiling a client can reach is
        ``concurrency_limit x records per request / request_seconds(...)``.
        """
        return self.time_scale * self.latency.account_seconds(counts, sales_order_lines)
