"""Typed NetSuite records as the client writes them: the values, not their XML.

The mapping layer produces these; ``envelope`` encodes them in XSD sequence order. Fields left
``None`` are not sent (upsert then keeps NetSuite's value). Enum values are the SOAP spellings
(``_unitedStates``, ``_pendingFulfillment``): the mapping layer owns the translation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

CustomFieldKind = Literal["string", "boolean", "long", "double", "date", "select", "multiselect"]


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A reference to another record, by internal id or by external id (with its type)."""

    internal_id: str | None = None
    external_id: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class CustomField:
    """A body or line custom field (``custentity_...``, ``custbody_...``, ``custcol_...``).

    ``select`` values are internal ids of the list value, ``multiselect`` values a tuple of them (in
    the order NetSuite should keep, no repeats); ``date`` values are datetimes.
    """

    script_id: str
    kind: CustomFieldKind
    value: str | bool | int | Decimal | datetime | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Address:
    country: str | None = None  # SOAP Country enum, e.g. "_unitedStates"
    attention: str | None = None
    addressee: str | None = None
    addr_phone: str | None = None
    addr1: str | None = None
    addr2: str | None = None
    addr3: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


@dataclass(frozen=True, slots=True)
class AddressbookEntry:
    address: Address
    default_shipping: bool | None = None
    default_billing: bool | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    external_id: str
    company_name: str | None = None
    is_person: bool = False
    # An individual's (is_person); a company has none. Added later: fingerprinted only when set.
    first_name: str | None = field(default=None, metadata={"fingerprint": "when set"})
    last_name: str | None = field(default=None, metadata={"fingerprint": "when set"})
    email: str | None = None
    phone: str | None = None
    custom_form: RecordRef | None = None
    subsidiary: RecordRef | None = None
    currency: RecordRef | None = None
    addressbook: tuple[AddressbookEntry, ...] = ()
    custom_fields: tuple[CustomField, ...] = ()

    record_type: Literal["customer"] = field(default="customer", init=False)


@dataclass(frozen=True, slots=True)
class SalesOrderLine:
    item: RecordRef
    quantity: Decimal | None = None  # None for a discount item, which has no quantity
    rate: Decimal | None = None
    price: RecordRef | None = None  # price level; internal id -1 is "Custom" (rate applies)
    description: str | None = None
    custom_fields: tuple[CustomField, ...] = ()


@dataclass(frozen=True, slots=True)
class SalesOrder:
    external_id: str
    entity: RecordRef
    tran_date: datetime | date | None = None
    order_status: str | None = None  # SOAP SalesOrderOrderStatus enum, e.g. "_pendingFulfillment"
    other_ref_num: str | None = None
    memo: str | None = None
    custom_form: RecordRef | None = None
    subsidiary: RecordRef | None = None
    currency: RecordRef | None = None
    lines: tuple[SalesOrderLine, ...] = ()
    custom_fields: tuple[CustomField, ...] = ()

    record_type: Literal["salesOrder"] = field(default="salesOrder", init=False)


NetSuiteRecord = Customer | SalesOrder
