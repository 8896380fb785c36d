"""One test per Order + OrderItems -> SalesOrder rule."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bulk_o2c.mapping import MappedRecord, MappingErrorCode, MappingSettings, map_order
from bulk_o2c.protocol.netsuite.records import RecordRef, SalesOrder

SETTINGS = MappingSettings()
Item = Callable[..., dict[str, str]]


def order_of(result: MappedRecord) -> SalesOrder:
    assert result.failure is None, result.failure
    assert isinstance(result.record, SalesOrder)
    return result.record


def failure_of(result: MappedRecord) -> tuple[MappingErrorCode, str]:
    assert result.record is None
    assert result.failure is not None
    return result.failure.code, result.failure.message


def test_external_ids_of_the_order_and_its_customer(order: dict[str, str], make_item: Item) -> None:
    order["AccountId"] = "001A0000006Vm9r"  # 15 characters: referenced by its 18-character form
    sales_order = order_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False))
    assert sales_order.external_id == "SF_ORD_801A0000006Vm9rIAC"
    assert sales_order.entity == RecordRef(external_id="SF_ACCT_001A0000006Vm9rIAC", type="customer")


def test_external_id_prefixes_come_from_the_settings(order: dict[str, str], make_item: Item) -> None:
    settings = MappingSettings(customer_external_id_prefix="C_", sales_order_external_id_prefix="O_")
    sales_order = order_of(map_order(order, [make_item(1)], settings, multi_currency=False))
    assert sales_order.external_id == "O_801A0000006Vm9rIAC"
    assert sales_order.entity.external_id == "C_001A0000006Vm9rIAC"


def test_an_invalid_account_id_is_refused(order: dict[str, str], make_item: Item) -> None:
    order["AccountId"] = "not-an-id"
    code, message = failure_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False))
    assert code == MappingErrorCode.INVALID_ID
    assert "AccountId 'not-an-id'" in message


def test_tran_date_is_midnight_of_the_effective_date_in_the_account_zone(
    order: dict[str, str], make_item: Item
) -> None:
    order["EffectiveDate"] = "2025-03-01"
    tran_date = order_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False)).tran_date
    assert isinstance(tran_date, datetime)
    assert tran_date.isoformat() == "2025-03-01T00:00:00-08:00"
    # The instant NetSuite receives: 08:00 UTC, which Los Angeles reads as March 1 (UTC midnight
    # would read as February 28).
    assert tran_date.astimezone(UTC) == datetime(2025, 3, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # US spring forward (02:00 -> 03:00 on 2025-03-09): midnight exists, the offset changes after it.
        ("America/Los_Angeles", "2025-03-09", "2025-03-09T00:00:00-08:00"),
        ("America/Los_Angeles", "2025-03-10", "2025-03-10T00:00:00-07:00"),
        # US fall back (2025-11-02): midnight is still in daylight time.
        ("America/Los_Angeles", "2025-11-02", "2025-11-02T00:00:00-07:00"),
        ("America/Los_Angeles", "2025-11-03", "2025-11-03T00:00:00-08:00"),
        # Chile springs forward AT midnight (2022-09-11 00:00 -> 01:00): the day starts at 01:00.
        ("America/Santiago", "2022-09-11", "2022-09-11T01:00:00-03:00"),
        ("Europe/Berlin", "2025-03-30", "2025-03-30T00:00:00+01:00"),
        ("Asia/Kolkata", "2025-03-30", "2025-03-30T00:00:00+05:30"),
    ],
)
def test_tran_date_across_daylight_saving_edges(
    order: dict[str, str], make_item: Item, zone: str, day: str, expected: str
) -> None:
    order["EffectiveDate"] = day
    tran_date = order_of(
        map_order(order, [make_item(1)], MappingSettings(time_zone=zone), multi_currency=False)
    ).tran_date
    assert isinstance(tran_date, datetime)
    assert tran_date.isoformat() == expected
    assert tran_date.astimezone(tran_date.tzinfo).date().isoformat() == day


def test_the_day_before_ends_where_tran_date_begins_across_a_dst_gap(
    order: dict[str, str], make_item: Item
) -> None:
    settings = MappingSettings(time_zone="America/Santiago")
    order["EffectiveDate"] = "2022-09-11"
    start = order_of(map_order(order, [make_item(1)], settings, multi_currency=False)).tran_date
    assert isinstance(start, datetime)
    just_before = (start.astimezone(UTC) - timedelta(seconds=1)).astimezone(start.tzinfo)
    assert just_before.date().isoformat() == "2022-09-10"


@pytest.mark.parametrize("value", ["2025-02-30", "03/01/2025", "2025-3-1", "2025-03-01T00:00:00Z"])
def test_an_invalid_effective_date_is_refused(order: dict[str, str], make_item: Item, value: str) -> None:
    order["EffectiveDate"] = value
    code, message = failure_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False))
    assert code == MappingErrorCode.INVALID_DATE
    assert "EffectiveDate" in message


@pytest.mark.parametrize(
    ("status", "enum"), [("Draft", "_pendingApproval"), ("Activated", "_pendingFulfillment")]
)
def test_order_status_picklist(order: dict[str, str], make_item: Item, status: str, enum: str) -> None:
    order["Status"] = status
    assert order_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False)).order_status == enum


def test_order_status_table_comes_from_the_settings(order: dict[str, str], make_item: Item) -> None:
    settings = MappingSettings(order_status={"Approved": "_pendingFulfillment"})
    order["Status"] = "Approved"
    assert (
        order_of(map_order(order, [make_item(1)], settings, multi_currency=False)).order_status
        == "_pendingFulfillment"
    )
    order["Status"] = "Activated"  # no longer in the table
    assert (
        failure_of(map_order(order, [make_item(1)], settings, multi_currency=False))[0]
        == MappingErrorCode.UNKNOWN_STATUS
    )


@pytest.mark.parametrize(
    ("status", "code"), [("Shipped", "UNKNOWN_STATUS"), ("draft", "UNKNOWN_STATUS"), ("", "MISSING_FIELD")]
)
def test_an_unknown_or_empty_status_is_a_per_record_error(
    order: dict[str, str], make_item: Item, status: str, code: str
) -> None:
    order["Status"] = status
    assert (
        failure_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False))[0]
        == MappingErrorCode[code]
    )


def test_default_subsidiary_and_sales_order_form_are_always_sent(
    order: dict[str, str], make_item: Item
) -> None:
    settings = MappingSettings(subsidiary_id="3", sales_order_form_id="68")
    sales_order = order_of(map_order(order, [make_item(1)], settings, multi_currency=False))
    assert sales_order.subsidiary == RecordRef(internal_id="3")
    assert sales_order.custom_form == RecordRef(internal_id="68")


def test_the_order_total_is_never_sent(order: dict[str, str], make_item: Item) -> None:
    order["TotalAmount"] = "12345.67"
    sales_order = order_of(
        map_order(order, [make_item(1, quantity="3", price="4115.22333")], SETTINGS, multi_currency=False)
    )
    values = [getattr(sales_order, f.name) for f in dataclasses.fields(sales_order)]
    values += [getattr(line, f.name) for line in sales_order.lines for f in dataclasses.fields(line)]
    assert "12345.67" not in repr(values)
    assert not any(f.name in ("total", "amount") for f in dataclasses.fields(sales_order))


def test_po_number_and_description(order: dict[str, str], make_item: Item) -> None:
    sales_order = order_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False))
    assert (sales_order.other_ref_num, sales_order.memo) == ("PO-98765", "Imported by bulk loader")
    order["PoNumber"] = order["Description"] = ""
    sales_order = order_of(map_order(order, [make_item(1)], SETTINGS, multi_currency=False))
    assert (sales_order.other_ref_num, sales_order.memo) == (None, None)


def test_a_line_references_the_item_by_product_code_with_the_custom_price_level(
    order: dict[str, str], make_item: Item
) -> None:
    (line,) = order_of(
        map_order(
            order,
            [make_item(1, code="SKU-123", quantity="2.0", price="19.99")],
            SETTINGS,
            multi_currency=False,
        )
    ).lines
    assert line.item == RecordRef(external_id="SKU-123", type="inventoryItem")
    assert line.quantity == Decimal("2.0")
    assert line.rate == Decimal("19.99")  # exact: a Decimal, never a float
    assert line.price == RecordRef(internal_id="-1")


def test_item_reference_and_price_level_come_from_the_settings(
    order: dict[str, str], make_item: Item
) -> None:
    settings = MappingSettings(
        item_external_id_column="Product2Id", item_record_type="serviceSaleItem", price_level_id=None
    )
    item = make_item(1)
    (line,) = order_of(map_order(order, [item], settings, multi_currency=False)).lines
    assert line.item == RecordRef(external_id=item["Product2Id"], type="serviceSaleItem")
    assert line.price is None


def test_a_negative_quantity_is_rejected_before_sending(order: dict[str, str], make_item: Item) -> None:
    items = [make_item(1), make_item(2, quantity="-1")]
    code, message = failure_of(map_order(order, items, SETTINGS, multi_currency=False))
    assert code == MappingErrorCode.NEGATIVE_QUANTITY
    assert message == f"line 2 (OrderItem {items[1]['Id']!r}): Quantity '-1' is negative"


def test_a_zero_quantity_is_allowed(order: dict[str, str], make_item: Item) -> None:
    (line,) = order_of(map_order(order, [make_item(1, quantity="0")], SETTINGS, multi_currency=False)).lines
    assert line.quantity == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Quantity", "1,5"),
        ("Quantity", "NaN"),
        ("Quantity", "Infinity"),
        ("UnitPrice", "$5"),
        ("UnitPrice", "1e"),
    ],
)
def test_a_value_that_is_not_a_number_is_refused(
    order: dict[str, str], make_item: Item, column: str, value: str
) -> None:
    item = make_item(1)
    item[column] = value
    code, message = failure_of(map_order(order, [item], SETTINGS, multi_currency=False))
    assert code == MappingErrorCode.INVALID_NUMBER
    assert f"{column} {value!r}" in message


@pytest.mark.parametrize("column", ["Quantity", "UnitPrice", "Product2.ProductCode"])
def test_a_line_without_quantity_price_or_item_is_refused(
    order: dict[str, str], make_item: Item, column: str
) -> None:
    item = make_item(1)
    item[column] = ""
    code, message = failure_of(map_order(order, [item], SETTINGS, multi_currency=False))
    assert code == MappingErrorCode.MISSING_FIELD
    assert column in message


def test_lines_go_in_salesforce_line_order_not_extraction_order(
    order: dict[str, str], make_item: Item
) -> None:
    codes = ["SKU-9", "SKU-1", "SKU-5", "SKU-3", "SKU-7", "SKU-2"]
    items = [make_item(n, code=code, quantity=str(n)) for n, code in enumerate(codes, start=1)]
    shuffled = [items[i] for i in (3, 0, 5, 1, 4, 2)]
    lines = order_of(map_order(order, shuffled, SETTINGS, multi_currency=False)).lines
    assert [line.item.external_id for line in lines] == codes
    assert [line.quantity for line in lines] == [Decimal(n) for n in range(1, 7)]


def test_a_numeric_sort_column_sorts_as_numbers(order: dict[str, str], make_item: Item) -> None:
    settings = MappingSettings(line_sort_column="SortOrder__c")
    items = [
        make_item(n, code=f"SKU-{n}") | {"SortOrder__c": key}
        for n, key in ((1, "10.0"), (2, "9"), (3, "2.5"))
    ]
    lines = order_of(map_order(order, items, settings, multi_currency=False)).lines
    assert [line.item.external_id for line in lines] == ["SKU-3", "SKU-2", "SKU-1"]


def test_without_a_sort_column_lines_keep_the_order_given(order: dict[str, str], make_item: Item) -> None:
    items = [make_item(n, code=f"SKU-{n}") for n in (3, 1, 2)]
    lines = order_of(
        map_order(order, items, MappingSettings(line_sort_column=None), multi_currency=False)
    ).lines
    assert [line.item.external_id for line in lines] == ["SKU-3", "SKU-1", "SKU-2"]


def test_a_line_without_its_sort_value_fails_the_order(order: dict[str, str], make_item: Item) -> None:
    items = [make_item(1), make_item(2) | {"OrderItemNumber": ""}]
    code, message = failure_of(map_order(order, items, SETTINGS, multi_currency=False))
    assert code == MappingErrorCode.MISSING_FIELD
    assert message == f"OrderItem {items[1]['Id']!r}: OrderItemNumber is empty"


DISCOUNTS = MappingSettings(discount_item_codes=frozenset({"DISC-10"}))


def test_a_discount_line_is_a_discount_item_after_its_parent_line(
    order: dict[str, str], make_item: Item
) -> None:
    items = [
        make_item(3, code="SKU-2", quantity="1", price="5.00"),
        make_item(2, code="DISC-10", quantity="2", price="-7.50"),
        make_item(1, code="SKU-1", quantity="4", price="20.00"),
    ]
    lines = order_of(map_order(order, items, DISCOUNTS, multi_currency=False)).lines
    assert [line.item for line in lines] == [
        RecordRef(external_id="SKU-1", type="inventoryItem"),
        RecordRef(external_id="DISC-10", type="discountItem"),
        RecordRef(external_id="SKU-2", type="inventoryItem"),
    ]
    discount = lines[1]
    # No quantity or price level on a discount item: the rate is the line's whole amount.
    assert (discount.quantity, discount.price, discount.rate) == (None, None, Decimal("-15.00"))


def test_a_discount_line_can_be_known_by_its_item_type(order: dict[str, str], make_item: Item) -> None:
    settings = MappingSettings(item_type_column="Product2.Family", discount_item_types=frozenset({"Promo"}))
    items = [
        make_item(1) | {"Product2.Family": "Hardware"},
        make_item(2, code="P-5") | {"Product2.Family": "Promo"},
    ]
    lines = order_of(map_order(order, items, settings, multi_currency=False)).lines
    assert [line.item.type for line in lines] == ["inventoryItem", "discountItem"]


def test_a_subtotal_line_goes_without_amounts_and_a_discount_may_follow_it(
    order: dict[str, str], make_item: Item
) -> None:
    settings = MappingSettings(
        discount_item_codes=frozenset({"DISC-10"}), subtotal_item_codes=frozenset({"SUBTOTAL"})
    )
    codes = ["SKU-1", "SKU-2", "SUBTOTAL", "DISC-10"]
    items = [
        make_item(n, code=code, price="-5.00" if code == "DISC-10" else "0")
        for n, code in enumerate(codes, 1)
    ]
    lines = order_of(map_order(order, items, settings, multi_currency=False)).lines
    assert [(line.item.type, line.quantity, line.rate, line.price) for line in lines[2:]] == [
        ("subtotalItem", None, None, None),
        ("discountItem", None, Decimal("-10.00"), None),
    ]


def test_a_code_cannot_mark_both_a_discount_and_a_subtotal() -> None:
    with pytest.raises(ValueError, match="both discount and subtotal"):
        MappingSettings(discount_item_codes=frozenset({"X"}), subtotal_item_codes=frozenset({"X"}))


@pytest.mark.parametrize(
    ("numbers_and_codes", "where", "why"),
    [
        (((1, "DISC-10"), (2, "SKU-1")), "line 1", "it is the first line"),
        (((2, "DISC-10"), (1, "SKU-1"), (3, "DISC-10")), "line 3", "the line before it is a discount too"),
    ],
)
def test_a_discount_line_without_an_item_line_before_it_fails_the_order(
    order: dict[str, str],
    make_item: Item,
    numbers_and_codes: tuple[tuple[int, str], ...],
    where: str,
    why: str,
) -> None:
    items = [make_item(number, code=code) for number, code in numbers_and_codes]
    code, message = failure_of(map_order(order, items, DISCOUNTS, multi_currency=False))
    assert code == MappingErrorCode.DISCOUNT_WITHOUT_ITEM
    assert message.startswith(f"{where} (OrderItem ")
    assert message.endswith(f"discount item 'DISC-10' has no item line to apply to ({why})")


def test_an_order_without_lines_is_refused(order: dict[str, str]) -> None:
    assert (
        failure_of(map_order(order, [], SETTINGS, multi_currency=False))[0] == MappingErrorCode.MISSING_FIELD
    )


def test_lines_of_another_order_are_a_caller_error(order: dict[str, str], make_item: Item) -> None:
    stray = make_item(2)
    stray["OrderId"] = "801A0000006Vm9sIAC"
    with pytest.raises(ValueError, match="do not belong"):
        map_order(order, [make_item(1), stray], SETTINGS, multi_currency=False)


CURRENCIES = MappingSettings(currencies={"USD": "1", "EUR": "4"})


def test_a_multi_currency_org_sends_the_orders_own_currency_and_unconverted_rates(
    order: dict[str, str], make_item: Item
) -> None:
    order["CurrencyIsoCode"] = "EUR"
    sales_order = order_of(map_order(order, [make_item(1, price="19.99")], CURRENCIES, multi_currency=True))
    assert sales_order.currency == RecordRef(internal_id="4")
    assert sales_order.lines[0].rate == Decimal("19.99")


def test_a_single_currency_org_sends_no_currency(order: dict[str, str], make_item: Item) -> None:
    # Whatever the row or the table holds: such an org has no CurrencyIsoCode to read.
    assert order_of(map_order(order, [make_item(1)], CURRENCIES, multi_currency=False)).currency is None


@pytest.mark.parametrize(
    ("settings", "code", "expected"),
    [
        (
            CURRENCIES,
            "JPY",
            (MappingErrorCode.UNKNOWN_CURRENCY, "CurrencyIsoCode 'JPY' is not in mapping.currencies"),
        ),
        # An empty table in a multi-currency org: NetSuite would read the rates in another currency.
        (
            SETTINGS,
            "USD",
            (MappingErrorCode.UNKNOWN_CURRENCY, "CurrencyIsoCode 'USD' is not in mapping.currencies"),
        ),
        (CURRENCIES, "", (MappingErrorCode.MISSING_FIELD, "CurrencyIsoCode is empty")),
    ],
)
def test_a_multi_currency_order_whose_currency_cannot_be_sent_fails(
    order: dict[str, str],
    make_item: Item,
    settings: MappingSettings,
    code: str,
    expected: tuple[MappingErrorCode, str],
) -> None:
    order["CurrencyIsoCode"] = code
    failure, message = failure_of(map_order(order, [make_item(1)], settings, multi_currency=True))
    assert (failure, message[: len(expected[1])]) == expected


@pytest.mark.parametrize("value", ["<b>&amp;</b> ]]>", "PO\n\x1b[0m\u202e", "'; DELETE FROM x; --"])
def test_hostile_strings_pass_through_as_values(order: dict[str, str], make_item: Item, value: str) -> None:
    order["PoNumber"] = order["Description"] = value
    sales_order = order_of(map_order(order, [make_item(1, code=value)], SETTINGS, multi_currency=False))
    assert (sales_order.other_ref_num, sales_order.memo, sales_order.lines[0].item.external_id) == (
        value,
    ) * 3
