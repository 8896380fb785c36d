"""Salesforce Order with its OrderItems -> NetSuite SalesOrder (upserted by external id).

    SalesOrder field   from                          rule
    externalId         Order.Id                      sales order prefix + 18-character id
    customForm         settings.sales_order_form_id  always sent
    entity             Order.AccountId               the customer by external id (customer prefix)
    tranDate           Order.EffectiveDate           first instant of that day in the account zone
    orderStatus        Order.Status                  settings.order_status (unknown: an error)
    otherRefNum        Order.PoNumber                as is
    memo               Order.Description             as is
    subsidiary         settings.subsidiary_id        always sent
    currency           Order.CurrencyIsoCode         multi-currency orgs only, through
                                                     settings.currencies (a code not in it: error)
    itemList           OrderItem rows                by settings.line_sort_column, one line each:
      item             item_external_id_column       by external id, type settings.item_record_type
                                                     (discount_/subtotal_item_record_type for those)
      quantity         Quantity                      Decimal, not negative; not sent for a discount
                                                     or a subtotal
      price            settings.price_level_id       -1 (Custom) so that rate applies; not sent for
                                                     a discount or a subtotal
      rate             UnitPrice                     Decimal, in the order's currency; a discount's
                                                     is its amount, Quantity x UnitPrice; a
                                                     subtotal has none (NetSuite computes it)
      customFieldList  settings.custom_fields        the ``salesOrderItem`` entries
    customFieldList    settings.custom_fields        the ``salesOrder`` entries

Line order: NetSuite applies a discount item to the line just before it, so lines go in the order
of ``line_sort_column`` (``OrderItemNumber``: the order the lines have in Salesforce), numerically
when every value is a number, else as text; a line without a value there fails the order. A
discount line (``discount_item_codes``, or ``item_type_column`` in ``discount_item_types``) that
comes first, or right after another discount, has no line to apply to: the order fails with
MAPPING_DISCOUNT_WITHOUT_ITEM instead of discounting the wrong line. After an item line or a
subtotal line (``subtotal_item_codes`` / ``subtotal_item_types``) it applies to that line or group.

Never sent: the order total (TotalAmount) and line amounts, which NetSuite computes from quantity
and rate; sending them as well invites a mismatch. An order needs at least one line: the item list
replaces NetSuite's, and a new order without lines is refused by NetSuite anyway.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from bulk_o2c.mapping.custom_fields import custom_fields
from bulk_o2c.mapping.result import MappedRecord, MappingErrorCode, Rejected, mapped, quoted
from bulk_o2c.mapping.rules import (
    Row,
    calendar_day,
    decimal,
    is_number,
    look_up,
    optional,
    required,
    salesforce_id,
    start_of_day,
    transaction_currency,
)
from bulk_o2c.mapping.settings import MappingSettings
from bulk_o2c.protocol.netsuite.records import RecordRef, SalesOrder, SalesOrderLine

ORDER_COLUMNS = ("Id", "AccountId", "EffectiveDate", "Status", "PoNumber", "Description")
ORDER_ITEM_BASE_COLUMNS = ("Id", "OrderId", "Quantity", "UnitPrice")


class _LineKind(enum.Enum):
    ITEM = "item"
    DISCOUNT = "discount"  # applies to the line before it
    SUBTOTAL = "subtotal"  # sums the lines above it; a discount after it applies to them


def _kind(item: Row, item_code: str, settings: MappingSettings) -> _LineKind:
    column = settings.item_type_column
    item_type = None if column is None else item.get(column, "")
    if item_code in settings.discount_item_codes or item_type in settings.discount_item_types:
        return _LineKind.DISCOUNT
    if item_code in settings.subtotal_item_codes or item_type in settings.subtotal_item_types:
        return _LineKind.SUBTOTAL
    return _LineKind.ITEM


def _line(item: Row, settings: MappingSettings) -> tuple[SalesOrderLine, _LineKind]:
    item_code = required(item, settings.item_external_id_column)
    raw_quantity = required(item, "Quantity")
    quantity = decimal(raw_quantity, "Quantity")
    if quantity < 0:
        raise Rejected(MappingErrorCode.NEGATIVE_QUANTITY, f"Quantity {quoted(raw_quantity)} is negative")
    rate = decimal(required(item, "UnitPrice"), "UnitPrice")
    fields = custom_fields(settings.custom_fields_for("salesOrderItem"), item, settings.zone)
    kind = _kind(item, item_code, settings)
    if kind is _LineKind.DISCOUNT:
        # A discount item has neither a quantity nor price levels in NetSuite: its rate is the amount.
        item_ref = RecordRef(external_id=item_code, type=settings.discount_item_record_type)
        return SalesOrderLine(item=item_ref, rate=quantity * rate, custom_fields=fields), kind
    if kind is _LineKind.SUBTOTAL:
        # NetSuite computes a subtotal: it takes no quantity, rate or price level.
        item_ref = RecordRef(external_id=item_code, type=settings.subtotal_item_record_type)
        return SalesOrderLine(item=item_ref, custom_fields=fields), kind
    item_ref = RecordRef(external_id=item_code, type=settings.item_record_type)
    price = None if settings.price_level_id is None else RecordRef(internal_id=settings.price_level_id)
    return SalesOrderLine(
        item=item_ref, quantity=quantity, rate=rate, price=price, custom_fields=fields
    ), kind


def _located(where: str, rejected: Rejected) -> Rejected:
    return Rejected(rejected.failure.code, f"{where}: {rejected.failure.message}")


def _item_name(item: Row) -> str:
    return f"OrderItem {quoted(item.get('Id', ''))}"


def _in_line_order(items: Sequence[Row], column: str | None) -> list[Row]:
    """``items`` in the order of ``column`` (stable: equal values keep the order given)."""
    if column is None:
        return list(items)
    values = []
    for item in items:
        try:
            values.append(required(item, column).strip())
        except Rejected as rejected:
            raise _located(_item_name(item), rejected) from None
    if all(is_number(value) for value in values):
        numbers = [decimal(value, column) for value in values]
        positions = sorted(range(len(items)), key=numbers.__getitem__)
    else:
        positions = sorted(range(len(items)), key=values.__getitem__)
    return [items[position] for position in positions]


def _lines(items: Sequence[Row], settings: MappingSettings) -> tuple[SalesOrderLine, ...]:
    if not items:
        raise Rejected(MappingErrorCode.MISSING_FIELD, "the order has no OrderItem lines")
    lines = []
    previous: _LineKind | None = None
    for number, item in enumerate(_in_line_order(items, settings.line_sort_column), start=1):
        try:
            line, kind = _line(item, settings)
            if kind is _LineKind.DISCOUNT and previous in (None, _LineKind.DISCOUNT):
                before = (
                    "it is the first line" if previous is None else "the line before it is a discount too"
                )
                code = quoted(line.item.external_id or "")
                problem = f"discount item {code} has no item line to apply to ({before})"
                raise Rejected(MappingErrorCode.DISCOUNT_WITHOUT_ITEM, problem)
        except Rejected as rejected:
            raise _located(f"line {number} ({_item_name(item)})", rejected) from None
        lines.append(line)
        previous = kind
    return tuple(lines)


def _sales_order(
    order: Row, items: Sequence[Row], settings: MappingSettings, multi_currency: bool
) -> SalesOrder:
    customer_id = settings.customer_external_id_prefix + salesforce_id(order, "AccountId")
    effective_date = calendar_day(required(order, "EffectiveDate"), "EffectiveDate")
    status = required(order, "Status")
    return SalesOrder(
        external_id=settings.sales_order_external_id_prefix + salesforce_id(order, "Id"),
        entity=RecordRef(external_id=customer_id, type="customer"),
        tran_date=start_of_day(effective_date, settings.zone),
        order_status=look_up(settings.order_status, status, "Status", MappingErrorCode.UNKNOWN_STATUS),
        other_ref_num=optional(order, "PoNumber"),
        memo=optional(order, "Description"),
        custom_form=RecordRef(internal_id=settings.sales_order_form_id),
        subsidiary=RecordRef(internal_id=settings.subsidiary_id),
        currency=transaction_currency(order, settings.currencies, multi_currency),
        lines=_lines(items, settings),
        custom_fields=custom_fields(settings.custom_fields_for("salesOrder"), order, settings.zone),
    )


def map_order(
    order: Row, items: Sequence[Row], settings: MappingSettings, *, multi_currency: bool
) -> MappedRecord:
    """The SalesOrder for one Order row and its OrderItem rows (in any order).

    ``multi_currency`` is the org's shape (does it have ``CurrencyIsoCode``?), from the run's
    discovery of the org: it decides whether the order's currency is sent.
    ``items`` must be this order's rows: a row of another order is a caller bug and raises ValueError.
    """
    order_id = order.get("Id", "")
    stray = [item.get("Id", "") for item in items if item.get("OrderId") != order_id]
    if stray:
        raise ValueError(f"OrderItem rows {stray[:3]} do not belong to order {order_id!r}")
    return mapped(order_id, lambda warnings: _sales_order(order, items, settings, multi_currency))
