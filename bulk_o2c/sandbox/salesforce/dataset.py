"""Deterministic synthetic order-to-cash data, generated row by row from (seed, position).

Rules this module owns:

- Every row is a pure function of the spec and its *slot*; nothing is generated ahead or kept, so a
  million Accounts cost no memory and any row can be produced alone (``row(object, slot)``).
- Slots: Account, Product2 and Order rows sit at slots ``0..n-1``. OrderItem slots are sparse:
  ``order * max_lines + line`` for ``line < lines_of(order)``, so an item's id maps back to its order
  without prefix sums. An id's counter is always ``slot + 1``.
- Deliberately bad records (the ground truth tests assert the dead-letter queue against):
  * Account: exactly ``round(bad_share * n_accounts)`` accounts have BillingCountryCode ``XX`` or
    empty (INVALID_COUNTRY);
  * Order: exactly ``round(bad_share * n_orders)`` orders reference one of those bad accounts
    (BAD_ACCOUNT); every other order references a good account (none are bad when no account is);
  * OrderItem: each line independently, with probability ``bad_share``, has a negative Quantity
    (NEGATIVE_QUANTITY); the set is fixed by the seed and listed by ``expected_bad()``.
  * with ``discount_share`` above 0, an order's first line is, with probability ``bad_share``, a
    discount (DISCOUNT_FIRST): it has no line before it to apply to.
  Which accounts and orders are bad is decided by a seeded affine permutation of the positions, so
  "is row i bad" is O(1) and the bad set can be listed without scanning the good rows.
- Hazards that are not errors but that a client must survive: names longer than 83 characters,
  non-ASCII and CJK names, XML-special characters, a NUL byte, multi-line streets, descriptions that
  contain every column delimiter, quotes and line breaks, null (empty) optional fields.
- Discounts (``discount_share`` above 0, off by default): the product after the ``n_products``
  catalogue products is the discount item ``DISCOUNT_PRODUCT_CODE``; each odd line (second, fourth...)
  is, with probability ``discount_share``, one of it: quantity 1, a negative UnitPrice. It follows
  the line it discounts, which is never a discount itself. Its draws come after a line's own, so
  the other lines are the same with or without discounts.
- OrderItemNumber is the org-wide auto-number of a line, in the order lines were added: an order's
  lines in that order are its lines in the order Salesforce shows them.
- Accounts carry a multi-select picklist, ``Regions__c`` (``REGIONS``, ``;``-separated, or null).
- SystemModstamp: Accounts, Products and Orders spread over ``modstamp_start..modstamp_end``; an
  OrderItem's is up to ``LINE_AGE_S`` older than its Order's (never before ``modstamp_start``),
  never newer, because TotalAmount rolls the lines up and editing a line moves the order too.
- Foreign keys are generated and never written (no integration may write them), so a row's parent
  is known from its slot alone (``parent_slot``), which lets a parent-field window be scanned
  without generating the child rows.
- Values are strings as Bulk API 2.0 prints them (numbers ``12.0``/``19.99``, booleans ``true``,
  dateTimes ``2024-03-01T12:34:56.000+0000``); None means null.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from bulk_o2c.sandbox.salesforce.clock import format_date, format_datetime
from bulk_o2c.sandbox.salesforce.ids import make_id, parse_counter
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from bulk_o2c.sandbox.salesforce.schema import ACCOUNT, ORDER, ORDER_ITEM, PRODUCT2, object_named

Row = dict[str, str | None]

ORG_ID = make_id("00D", 1)
DATA_OWNER_ID = make_id("005", 1)
"""The user who last modified every generated record."""
INTEGRATION_USER_ID = make_id("005", 2)
"""The user the integration logs in as; ingest writes record it as LastModifiedById."""

_MASK = (1 << 64) - 1
_DAY_MS = 86_400_000
LINE_AGE_S = 30 * 86_400
"""How much older than its Order an OrderItem's SystemModstamp may be."""


def _mix(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread hash of a 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


class _Draws:
    """A small deterministic stream of random numbers for one row.

    Numbers are peeled off a pool of hashed bits with divmod; the pool is topped up with another
    64 hashed bits whenever fewer than 40 spare bits would remain, which keeps the bias of
    ``below(n)`` under 2**-40 while hashing about three times per row instead of once per value.
    """

    __slots__ = ("_pool", "_state")

    def __init__(self, state: int) -> None:
        self._state = state
        self._pool = 0

    def below(self, n: int) -> int:
        if self._pool < n << 40:
            self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK
            self._pool = self._pool << 64 | _mix(self._state)
        self._pool, value = divmod(self._pool, n)
        return value

    def unit(self) -> float:
        return self.below(1 << 53) / 2.0**53


class _AffinePermutation:
    """A seeded bijection of ``0..n-1`` with an O(1) inverse."""

    def __init__(self, n: int, key: int) -> None:
        self._n = n
        if n <= 1:
            self._a, self._b, self._a_inverse = 1, 0, 1
            return
        a = key % n or 1
        while math.gcd(a, n) != 1:
            a = a % n + 1
        self._a, self._b = a, (key >> 32) % n
        self._a_inverse = pow(a, -1, n)

    def forward(self, i: int) -> int:
        return (self._a * i + self._b) % self._n if self._n > 1 else i

    def inverse(self, j: int) -> int:
        return ((j - self._b) * self._a_inverse) % self._n if self._n > 1 else j


class BadReason(enum.StrEnum):
    INVALID_COUNTRY = "invalid_country"
    BAD_ACCOUNT = "bad_account"
    NEGATIVE_QUANTITY = "negative_quantity"
    DISCOUNT_FIRST = "discount_first"


DISCOUNT_PRODUCT_CODE = "DISCOUNT"
REGIONS = ("EMEA", "APAC", "Americas", "LATAM")


@dataclass(frozen=True, slots=True)
class BadRecord:
    sobject: str
    record_id: str
    reason: BadReason
    parent_id: str | None = None
    """For an OrderItem, its Order; for an Order, its (bad) Account."""


def _utc(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    seed: int = 1
    n_accounts: int = 1_000
    n_orders: int = 2_000
    lines_per_order: tuple[int, int] = (1, 5)
    bad_share: float = 0.02
    n_products: int = 50
    discount_share: float = 0.0
    modstamp_start: datetime = field(default_factory=lambda: _utc(2024))
    modstamp_end: datetime = field(default_factory=lambda: _utc(2025))

    def __post_init__(self) -> None:
        low, high = self.lines_per_order
        if self.n_accounts < 0 or self.n_orders < 0 or self.n_products < 1:
            raise ValueError("record counts must not be negative and there must be a product")
        if self.n_orders and not self.n_accounts:
            raise ValueError("orders need at least one account")
        if not 1 <= low <= high <= 1000:
            raise ValueError("lines_per_order is a range (low, high) with 1 <= low <= high <= 1000")
        if not 0.0 <= self.bad_share <= 1.0 or not 0.0 <= self.discount_share <= 1.0:
            raise ValueError("bad_share and discount_share are shares between 0 and 1")
        if self.modstamp_end <= self.modstamp_start:
            raise ValueError("modstamp_end must come after modstamp_start")


_COUNTRIES: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "US",
        "USD",
        "+1",
        (("San Francisco", "CA", "94105"), ("New York", "NY", "10001"), ("Austin", "TX", "73301")),
    ),
    ("DE", "EUR", "+49", (("München", "BY", "80331"), ("Köln", "NW", "50667"), ("Berlin", "BE", "10115"))),
    ("GB", "GBP", "+44", (("London", "", "EC1A 1BB"), ("Manchester", "", "M1 1AE"))),
    ("FR", "EUR", "+33", (("Paris", "", "75001"), ("Lyon", "", "69001"))),
    ("JP", "JPY", "+81", (("東京", "東京都", "100-0001"), ("Osaka", "Osaka", "530-0001"))),
    ("CA", "CAD", "+1", (("Toronto", "ON", "M5H 2N2"), ("Montréal", "QC", "H2Y 1C6"))),
    ("AU", "AUD", "+61", (("Sydney", "NSW", "2000"),)),
)
# What people type into a free-text BillingCountry; the first is the picklist label.
_COUNTRY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "US": ("United States", "USA", "U.S.", "US", "United States of America", "u.s.a.", "America"),
    "DE": ("Germany", "Deutschland", "DE", "DEU", "GERMANY", "Federal Republic of Germany"),
    "GB": ("United Kingdom", "UK", "U.K.", "Great Britain", "GB", "England", "GBR"),
    "FR": ("France", "FR", "FRA", "france", "French Republic"),
    "JP": ("Japan", "JP", "JPN", "Nippon"),
    "CA": ("Canada", "CA", "CAN", "canada"),
    "AU": ("Australia", "AU", "AUS", "Commonwealth of Australia"),
}
PERSON_EVERY = 5
_FIRST_NAMES = ("María", "John", "Aiko", "Jean-Luc", "Søren", "Priya")
_LAST_NAMES = ("García", "Smith", "Tanaka", "Picard", "Kierkegaard", "O'Neil", "Nguyễn")
_ADJECTIVES = ("Acme", "Global", "Northern", "Blue River", "Summit", "Pioneer", "Atlas", "Evergreen")
_NOUNS = ("Widgets", "Logistics", "Foods", "Machinery", "Textiles", "Analytics", "Outfitters")
_SUFFIXES = ("Inc.", "LLC", "Ltd", "Corp.", "GmbH", "S.A.", "Pty Ltd")
_EUROPEAN = ("Müller & Söhne GmbH", "Société Générale d'Équipement", "Øresund Åkeri AB")
_CJK = ("東京精密工業株式会社", "北京数据科技有限公司", "서울물산 주식회사")
_STREETS = ("Market Street", "Hauptstraße", "Rue de Rivoli", "Baker Street", "Queen St W")
_DESCRIPTIONS: tuple[str | None, ...] = (
    None,
    "Standard delivery",
    'Rush order, "expedite"\nCall before delivery',
    "Dock 3 | gate 4; tab\there ^ caret `tick`, comma",
    "Ünïcødé note: 発送は月曜日",
)
_LONG_NAME_TAIL = (
    "International Holdings and Regional Distribution Partners for Europe, the Middle East and Africa"
)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents >= 0 else "-" + _money(-cents)


class Dataset:
    """The synthetic org's records, produced on demand."""

    def __init__(self, spec: DatasetSpec, shape: OrgShape | None = None) -> None:
        self.spec = spec
        self.shape = shape if shape is not None else OrgShape()
        keys = [_mix(spec.seed * 1_000_003 + tag) for tag in range(8)]
        self._account_key, self._country_key, self._product_key, self._order_key = keys[:4]
        self._lines_key, self._line_key, self._modstamp_key = keys[4:7]
        self._start_ms = int(spec.modstamp_start.timestamp() * 1000)
        self._span_s = int((spec.modstamp_end - spec.modstamp_start).total_seconds()) or 1
        self.max_lines = spec.lines_per_order[1]

        self.n_bad_accounts = round(spec.bad_share * spec.n_accounts)
        n_good_accounts = spec.n_accounts - self.n_bad_accounts
        if self.n_bad_accounts == 0:
            self.n_bad_orders = 0
        elif n_good_accounts == 0:
            self.n_bad_orders = spec.n_orders
        else:
            self.n_bad_orders = round(spec.bad_share * spec.n_orders)
        self._account_order = _AffinePermutation(spec.n_accounts, keys[7])
        self._order_order = _AffinePermutation(spec.n_orders, _mix(keys[7]))

    # -- shape ---------------------------------------------------------------------------------

    def slot_count(self, sobject: str) -> int:
        """The size of the object's slot space (sparse for OrderItem)."""
        spec = self.spec
        return {
            ACCOUNT.name: spec.n_accounts,
            PRODUCT2.name: spec.n_products + (1 if spec.discount_share else 0),
            ORDER.name: spec.n_orders,
            ORDER_ITEM.name: spec.n_orders * self.max_lines,
        }[sobject]

    def count(self, sobject: str) -> int:
        return self.order_item_count if sobject == ORDER_ITEM.name else self.slot_count(sobject)

    @cached_property
    def order_item_count(self) -> int:
        return sum(self.lines_of(order) for order in range(self.spec.n_orders))

    def lines_of(self, order: int) -> int:
        low, high = self.spec.lines_per_order
        return low + _mix(self._lines_key ^ order) % (high - low + 1)

    def has_slot(self, sobject: str, slot: int) -> bool:
        if not 0 <= slot < self.slot_count(sobject):
            return False
        if sobject == ORDER_ITEM.name:
            order, line = divmod(slot, self.max_lines)
            return line < self.lines_of(order)
        return True

    def slot_of(self, sobject: str, record_id: str) -> int | None:
        definition = object_named(sobject)
        if definition is None:
            return None
        counter = parse_counter(record_id, definition.key_prefix)
        if counter is None or not self.has_slot(definition.name, counter - 1):
            return None
        return counter - 1

    def record_id(self, sobject: str, slot: int) -> str:
        definition = object_named(sobject)
        assert definition is not None
        return make_id(definition.key_prefix, slot + 1)

    # -- rows ----------------------------------------------------------------------------------

    def parent_slot(self, sobject: str, slot: int, relationship: str) -> int:
        """The slot of a row's parent through a (canonical) relationship, without generating the row."""
        if sobject == ORDER_ITEM.name and relationship == "Order":
            return slot // self.max_lines
        if sobject == ORDER_ITEM.name and relationship == "Product2":
            return self._line(*divmod(slot, self.max_lines))[0]
        if sobject == ORDER.name and relationship == "Account":
            return self._account_of(slot, _Draws(self._order_key ^ slot))
        raise KeyError(f"{sobject} has no relationship {relationship}")

    def modstamp_ms(self, sobject: str, slot: int) -> int:
        """The generated SystemModstamp of a row, in epoch milliseconds (cheaper than the row)."""
        if sobject == ORDER_ITEM.name:
            order_ms = self.modstamp_ms(ORDER.name, slot // self.max_lines)
            age_s = _mix(self._modstamp_key ^ (slot << 2)) % LINE_AGE_S
            return max(self._start_ms, order_ms - age_s * 1000)
        tag = {ACCOUNT.name: 1, PRODUCT2.name: 2, ORDER.name: 3}[sobject]
        return self._start_ms + (_mix(self._modstamp_key ^ (slot << 2 | tag)) % self._span_s) * 1000

    def row(self, sobject: str, slot: int) -> Row:
        if sobject == ACCOUNT.name:
            return self.account(slot)
        if sobject == PRODUCT2.name:
            return self.product(slot)
        if sobject == ORDER.name:
            return self.order(slot)
        return self.order_item(slot)

    def _audit(self, sobject: str, slot: int) -> Row:
        return {
            "SystemModstamp": format_datetime(self.modstamp_ms(sobject, slot)),
            "LastModifiedById": DATA_OWNER_ID,
        }

    def _country(self, account: int) -> tuple[str, str, str, tuple[tuple[str, str, str], ...]]:
        return _COUNTRIES[_mix(self._country_key ^ account) % len(_COUNTRIES)]

    def account(self, i: int) -> Row:
        draws = _Draws(self._account_key ^ i)
        code, currency, dial, cities = self._country(i)
        city, state, postal = cities[draws.below(len(cities))]
        bad_rank = self._account_order.forward(i)
        if bad_rank < self.n_bad_accounts:
            code = "XX" if bad_rank % 2 == 0 else ""
        adjective, noun = _ADJECTIVES[draws.below(len(_ADJECTIVES))], _NOUNS[draws.below(len(_NOUNS))]
        street_lines = [f"{1 + draws.below(9999)} {_STREETS[draws.below(len(_STREETS))]}"]
        street_lines += [f"Suite {100 + draws.below(900)}", "c/o Receiving, Building B"][: draws.below(3)]
        row: Row = {
            "Id": make_id(ACCOUNT.key_prefix, i + 1),
            "Name": self._account_name(draws, i, adjective, noun),
            "BillingStreet": "\n".join(street_lines),
            "BillingCity": city,
            "BillingState": state or None,
            "BillingPostalCode": postal,
            "BillingCountryCode": code or None,
            "Phone": f"{dial} {100 + draws.below(900)}-555-{draws.below(10000):04d}",
            "Website": None
            if draws.below(5) == 0
            else f"https://www.{adjective}-{noun}-{i}.example.com".lower(),
            "CurrencyIsoCode": currency,
            "Regions__c": self._regions(draws),
            "NetSuite_Customer_ID__c": None,
            "NetSuite_Sync_Status__c": None,
            **self._audit(ACCOUNT.name, i),
        }
        # Drawn after the rest, so the other columns are the same in every shape.
        row["BillingCountry"] = self._country_text(draws, code, bad_rank)
        row.update(self._person(i))
        return row

    def _country_text(self, draws: _Draws, code: str, bad_rank: int) -> str | None:
        """The org's BillingCountry: the picklist's label, or free text as people type it."""
        if bad_rank < self.n_bad_accounts:
            return "Atlantis" if code else None
        spellings = _COUNTRY_SPELLINGS[code]
        return spellings[0] if self.shape.country_picklists else spellings[draws.below(len(spellings))]

    def _person(self, i: int) -> Row:
        """Every ``PERSON_EVERY``-th account is a person account in an org that has them."""
        if not self.shape.person_accounts or i % PERSON_EVERY != 1:
            return {"IsPersonAccount": "false", "FirstName": None, "LastName": None}
        first = _FIRST_NAMES[i % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(i // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
        return {"IsPersonAccount": "true", "FirstName": first, "LastName": last, "Name": f"{first} {last}"}

    @staticmethod
    def _regions(draws: _Draws) -> str | None:
        # A bit mask over REGIONS: none (null) to all four, in the picklist's order.
        mask = draws.below(1 << len(REGIONS))
        return ";".join(region for bit, region in enumerate(REGIONS) if mask >> bit & 1) or None

    @staticmethod
    def _account_name(draws: _Draws, i: int, adjective: str, noun: str) -> str:
        kind = draws.below(100)
        if kind < 4:
            return f"{adjective} {noun} {_LONG_NAME_TAIL} {i}"
        if kind < 9:
            return f"{_EUROPEAN[kind % len(_EUROPEAN)]} {i}"
        if kind < 13:
            return f"{_CJK[kind % len(_CJK)]} {i}"
        if kind < 17:
            return f'O\'Brien "Quality" <Tools> & Co. {i}'
        if kind < 18:
            return f"Null\x00Byte Trading {i}"
        return f"{adjective} {noun} {i} {_SUFFIXES[kind % len(_SUFFIXES)]}"

    def product(self, i: int) -> Row:
        draws = _Draws(self._product_key ^ i)
        if i == self.spec.n_products:  # only there with discounts (slot_count)
            return {
                "Id": make_id(PRODUCT2.key_prefix, i + 1),
                "Name": "Discount",
                "ProductCode": DISCOUNT_PRODUCT_CODE,
                "IsActive": "true",
                **self._audit(PRODUCT2.name, i),
            }
        return {
            "Id": make_id(PRODUCT2.key_prefix, i + 1),
            "Name": f"{_ADJECTIVES[draws.below(len(_ADJECTIVES))]} {_NOUNS[draws.below(len(_NOUNS))]} {i}",
            "ProductCode": f"SKU-{i + 1:05d}",
            "IsActive": "true",
            **self._audit(PRODUCT2.name, i),
        }

    def _account_of(self, order: int, draws: _Draws) -> int:
        n_bad = self.n_bad_accounts
        if self._order_order.forward(order) < self.n_bad_orders:
            return self._account_order.inverse(draws.below(n_bad))
        return self._account_order.inverse(n_bad + draws.below(self.spec.n_accounts - n_bad))

    def _line(self, order: int, line: int) -> tuple[int, int, int]:
        """(product position, quantity, unit price in cents) of one order line."""
        draws = _Draws(self._line_key ^ (order * self.max_lines + line))
        spec = self.spec
        product = draws.below(spec.n_products)
        negative = draws.unit() < spec.bad_share
        quantity = -(1 + draws.below(5)) if negative else 1 + draws.below(20)
        cents = 100 + draws.below(50_000)
        # Odd lines follow an even one, never a discount; the first line is one only as bad data.
        share = spec.discount_share if line % 2 else spec.bad_share if line == 0 else 0.0
        if spec.discount_share and draws.unit() < share:
            return spec.n_products, 1, -(100 + draws.below(5_000))
        return product, quantity, cents

    def order(self, i: int) -> Row:
        draws = _Draws(self._order_key ^ i)
        account = self._account_of(i, draws)  # the first draw: parent_slot repeats it
        modstamp = self.modstamp_ms(ORDER.name, i)
        lines = (self._line(i, k) for k in range(self.lines_of(i)))
        return {
            "Id": make_id(ORDER.key_prefix, i + 1),
            "AccountId": make_id(ACCOUNT.key_prefix, account + 1),
            "OrderNumber": f"{i + 1:08d}",
            "EffectiveDate": format_date(modstamp - draws.below(30) * _DAY_MS),
            "Status": "Draft" if draws.below(4) == 0 else "Activated",
            "PoNumber": None if draws.below(3) == 0 else f"PO-{draws.below(10**6):06d}",
            "Description": _DESCRIPTIONS[draws.below(len(_DESCRIPTIONS))],
            "CurrencyIsoCode": self._country(account)[1],
            "TotalAmount": _money(sum(quantity * cents for _, quantity, cents in lines)),
            "NetSuite_Sales_Order_ID__c": None,
            "NetSuite_Sync_Status__c": None,
            **self._audit(ORDER.name, i),
        }

    def order_item(self, slot: int) -> Row:
        order, line = divmod(slot, self.max_lines)
        product, quantity, cents = self._line(order, line)
        return {
            "Id": make_id(ORDER_ITEM.key_prefix, slot + 1),
            "OrderId": make_id(ORDER.key_prefix, order + 1),
            # An auto-number (OrderItem's Name field): unique in the org, in the order lines were added.
            "OrderItemNumber": f"{slot + 1:010d}",
            "Product2Id": make_id(PRODUCT2.key_prefix, product + 1),
            "Quantity": f"{quantity}.0",
            "UnitPrice": _money(cents),
            **self._audit(ORDER_ITEM.name, slot),
        }

    # -- ground truth --------------------------------------------------------------------------

    def bad_reason(self, sobject: str, slot: int) -> BadReason | None:
        if sobject == ACCOUNT.name:
            return (
                BadReason.INVALID_COUNTRY if self._account_order.forward(slot) < self.n_bad_accounts else None
            )
        if sobject == ORDER.name:
            return BadReason.BAD_ACCOUNT if self._order_order.forward(slot) < self.n_bad_orders else None
        if sobject == ORDER_ITEM.name:
            return self._line_bad_reason(*divmod(slot, self.max_lines))
        return None

    def _line_bad_reason(self, order: int, line: int) -> BadReason | None:
        product, quantity, _ = self._line(order, line)
        if line == 0 and product == self.spec.n_products:
            return BadReason.DISCOUNT_FIRST
        return BadReason.NEGATIVE_QUANTITY if quantity < 0 else None

    def expected_bad(self) -> Iterator[BadRecord]:
        """Every deliberately bad record: accounts, then orders, then order lines (in line order)."""
        for rank in range(self.n_bad_accounts):
            i = self._account_order.inverse(rank)
            yield BadRecord(ACCOUNT.name, make_id(ACCOUNT.key_prefix, i + 1), BadReason.INVALID_COUNTRY)
        for rank in range(self.n_bad_orders):
            i = self._order_order.inverse(rank)
            yield BadRecord(
                ORDER.name,
                make_id(ORDER.key_prefix, i + 1),
                BadReason.BAD_ACCOUNT,
                parent_id=self.order(i)["AccountId"],
            )
        for order in range(self.spec.n_orders):
            for line in range(self.lines_of(order)):
                reason = self._line_bad_reason(order, line)
                if reason is not None:
                    yield BadRecord(
                        ORDER_ITEM.name,
                        make_id(ORDER_ITEM.key_prefix, order * self.max_lines + line + 1),
                        reason,
                        parent_id=make_id(ORDER.key_prefix, order + 1),
                    )
