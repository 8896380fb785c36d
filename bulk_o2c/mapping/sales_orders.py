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
    currency           Order.CurrencyIsoCode         settings.currencies, when configured
    itemList           OrderItem rows                in the order given, one line each:
      item             item_external_id_column       by external id, type settings.item_record_type
      quantity         Quantity                      Decimal, not negative
      price            settings.price_level_id       -1 (Custom) so that rate applies
      rate             UnitPrice                     Decimal
      customFieldList  settings.custom_fields        the ``salesOrderItem`` entries
    customFieldList    settings.custom_fields        the ``salesOrder`` entries

Never sent: the order total (TotalAmount) and line amounts, which NetSuite computes from quantity
and rate; sending them as well invites a mismatch. An order needs at least one line: the item list
replaces NetSuite's, and a new order without lines is refused by NetSuite anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

from bulk_o2c.mapping.custom_fields import custom_fields
from bulk_o2c.mapping.result import MappedRecord, MappingErrorCode, Rejected, mapped, quoted
from bulk_o2c.mapping.rules import (
    Row,
    calendar_day,
    currency_ref,
    decimal,
    look_up,
    optional,
    required,
    salesforce_id,
    start_of_day,
)
from bulk_o2c.mapping.settings import MappingSettings
from bulk_o2c.protocol.netsuite.records import RecordRef, SalesOrder, SalesOrderLine

ORDER_COLUMNS = ("Id", "AccountId", "EffectiveDate", "Status", "PoNumber", "Description")
ORDER_ITEM_BASE_COLUMNS = ("Id", "OrderId", "Quantity", "UnitPrice")


def _line(item: Row, settings: MappingSettings) -> SalesOrderLine:
    item_code = required(item, settings.item_external_id_column)
    item_ref = RecordRef(external_id=item_code, type=settings.item_record_type)
    raw_quantity = required(item, "Quantity")
    quantity = decimal(raw_quantity, "Quantity")
    if quantity < 0:
        raise Rejected(MappingErrorCode.NEGATIVE_QUANTITY, f"Quantity {quoted(raw_quantity)} is negative")
    price = None if settings.price_level_id is None else RecordRef(internal_id=settings.price_level_id)
    return SalesOrderLine(
        item=item_ref,
        quantity=quantity,
        rate=decimal(required(item, "UnitPrice"), "UnitPrice"),
        price=price,
        custom_fields=custom_fields(settings.custom_fields_for("salesOrderItem"), item, settings.zone),
    )


def _lines(items: Sequence[Row], settings: MappingSettings) -> tuple[SalesOrderLine, ...]:
    if not items:
        raise Rejected(MappingErrorCode.MISSING_FIELD, "the order has no OrderItem lines")
    lines = []
    for number, item in enumerate(items, start=1):
        try:
            lines.append(_line(item, settings))
        except Rejected as rejected:
            failure = rejected.failure
            where = f"line {number} (OrderItem {quoted(item.get('Id', ''))})"
            raise Rejected(failure.code, f"{where}: {failure.message}") from None
    return tuple(lines)


def _sales_order(order: Row, items: Sequence[Row], settings: MappingSettings) -> SalesOrder:
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
        currency=currency_ref(order, settings.currencies),
        lines=_lines(items, settings),
        custom_fields=custom_fields(settings.custom_fields_for("salesOrder"), order, settings.zone),
    )


def map_order(order: Row, items: Sequence[Row], settings: MappingSettings) -> MappedRecord:
    """The SalesOrder for one Order row and its OrderItem rows (in Salesforce's order).

    ``items`` must be this order's rows: a row of another order is a caller bug and raises ValueError.
    """
    order_id = order.get("Id", "")
    stray = [item.get("Id", "") for item in items if item.get("OrderId") != order_id]
    if stray:
        raise ValueError(f"OrderItem rows {stray[:3]} do not belong to order {order_id!r}")
    return mapped(order_id, lambda warnings: _sales_order(order, items, settings))
