"""Synthetic NetSuite records for load tests and benchmarks, deterministic for a given prefix.

They exercise the paths that cost CPU on real data: non-ASCII and XML-special names, a full
address, several order lines. Records are produced lazily, so a million of them cost no memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bulk_o2c.protocol.netsuite.records import (
    Address,
    AddressbookEntry,
    Customer,
    RecordRef,
    SalesOrder,
    SalesOrderLine,
)

_NAMES = ("Acme & Sons", "Müller Söhne GmbH", "Café <Lumière>", 'Nordic "Fjord" AS', "東京商事")
_FORM = RecordRef(internal_id="1")
_SUBSIDIARY = RecordRef(internal_id="1")


def customer_external_id(prefix: str, i: int) -> str:
    return f"{prefix}C{i:09d}"


def synthetic_customer(prefix: str, i: int) -> Customer:
    name = f"{_NAMES[i % len(_NAMES)]} {i}"
    return Customer(
        external_id=customer_external_id(prefix, i),
        company_name=name,
        email=f"ap{i}@example.com",
        phone=f"+1 512 555 {i % 10_000:04d}",
        custom_form=_FORM,
        subsidiary=_SUBSIDIARY,
        addressbook=(
            AddressbookEntry(
                Address(
                    country="_unitedStates",
                    addressee=name,
                    addr1=f"{i} Main Street",
                    addr2="Suite 100",
                    city="Austin",
                    state="TX",
                    zip="78701",
                ),
                default_billing=True,
                default_shipping=True,
                label="Billing",
            ),
        ),
    )


def synthetic_customers(n: int, prefix: str = "LOAD_") -> Iterator[Customer]:
    return (synthetic_customer(prefix, i) for i in range(n))


def sku(i: int) -> str:
    return f"SKU-{i:05d}"


def synthetic_sales_order(prefix: str, i: int, lines: int = 5, customers: int = 1000) -> SalesOrder:
    return SalesOrder(
        external_id=f"{prefix}O{i:09d}",
        entity=RecordRef(external_id=customer_external_id(prefix, i % customers), type="customer"),
        tran_date=datetime(2025, 3, 1, 8, tzinfo=UTC) + timedelta(hours=i % 2000),
        order_status="_pendingFulfillment",
        other_ref_num=f"PO-{i}",
        memo="Imported by bulk-o2c & friends <load test>",
        custom_form=_FORM,
        subsidiary=_SUBSIDIARY,
        lines=tuple(
            SalesOrderLine(
                item=RecordRef(external_id=sku((i + n) % 50), type="inventoryItem"),
                quantity=Decimal(n + 1),
                rate=Decimal("19.99") + n,
                price=RecordRef(internal_id="-1"),
            )
            for n in range(lines)
        ),
    )
