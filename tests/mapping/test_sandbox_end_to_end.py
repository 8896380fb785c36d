"""The mapping rules end to end: Salesforce rows mapped, encoded and written by the real SOAP client
to the NetSuite sandbox, which stores what it was sent and checks it on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.mapping import (
    CustomFieldMapping,
    MappedRecord,
    MappingErrorCode,
    MappingSettings,
    map_account,
    map_order,
)
from bulk_o2c.protocol.netsuite.envelope import RecordEncoder
from bulk_o2c.protocol.netsuite.records import SalesOrder
from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, NetSuiteSandboxConfig
from bulk_o2c.transport.netsuite.writer import NetSuiteWriter, RecordResult, open_writer

VERSION = "2025_2"
Item = Callable[..., dict[str, str]]

SETTINGS = MappingSettings(
    discount_item_codes=frozenset({"DISC-10"}),
    custom_fields=(
        CustomFieldMapping(
            source="Regions__c",
            script_id="custentity_regions",
            kind="multiselect",
            record="customer",
            values={"APAC": "1", "Americas": "2", "EMEA": "3", "Moon": "99"},
        ),
    ),
)
ACCOUNT = NetSuiteSandboxConfig(
    time_scale=0.0,
    items=frozenset({"SKU-1", "SKU-2", "SUBTOTAL"}),
    discount_items=frozenset({"DISC-10"}),
    multi_select_fields={"custentity_regions": frozenset({"1", "2", "3"})},
)


@asynccontextmanager
async def netsuite(
    config: NetSuiteSandboxConfig = ACCOUNT,
) -> AsyncIterator[tuple[NetSuiteSandbox, NetSuiteWriter]]:
    async with NetSuiteSandbox(config) as sandbox:
        credentials = sandbox.credentials
        settings = NetSuiteSettings(
            account_id=config.account_id,
            endpoint_version=VERSION,
            soap_url=sandbox.soap_url(VERSION),
            consumer_key=credentials.consumer_key,
            consumer_secret=credentials.consumer_secret,
            token_id=credentials.token_id,
            token_secret=credentials.token_secret,
        )
        async with open_writer(settings) as writer:
            yield sandbox, writer


async def write(writer: NetSuiteWriter, mapped: Sequence[MappedRecord]) -> list[RecordResult]:
    encoder = RecordEncoder(VERSION)
    records = []
    for result in mapped:
        assert result.record is not None, result.failure
        records.append(encoder.encode(result.record))
    return await writer.write_chunk(records)


async def test_a_multi_select_lands_as_list_value_references(account: dict[str, str]) -> None:
    good = account | {"Regions__c": "EMEA;APAC;EMEA"}
    # In the mapping table, but not a value of NetSuite's list: NetSuite refuses that record.
    stale = account | {"Id": "001A0000006Vm9sIAC", "Regions__c": "APAC;Moon"}
    unknown = account | {"Id": "001A0000006Vm9tIAC", "Regions__c": "APAC;Atlantis"}
    failed = map_account(unknown, SETTINGS).failure
    assert failed is not None
    assert (failed.code, failed.message) == (
        MappingErrorCode.UNKNOWN_VALUE,
        "Regions__c 'Atlantis' is not in the mapping table",
    )
    async with netsuite() as (sandbox, writer):
        results = await write(writer, [map_account(good, SETTINGS), map_account(stale, SETTINGS)])
        assert [(r.ok, r.code, r.message) for r in results] == [
            (True, None, None),
            (False, "INVALID_KEY_OR_REF", "Invalid custentity_regions reference key 99."),
        ]
        [stored] = sandbox.records("customer")
        assert stored.fields["customFieldList"] == [
            {"scriptId": "custentity_regions", "value": [{"internalId": "3"}, {"internalId": "1"}]}
        ]


async def test_a_discount_lands_right_after_the_line_it_discounts(
    account: dict[str, str], order: dict[str, str], make_item: Item
) -> None:
    lines = [
        make_item(3, code="SKU-2", price="5.00"),
        make_item(2, code="DISC-10", quantity="1", price="-3.00"),
        make_item(1, code="SKU-1"),
    ]
    async with netsuite() as (sandbox, writer):
        results = await write(
            writer, [map_account(account, SETTINGS), map_order(order, lines, SETTINGS, multi_currency=False)]
        )
        assert [r.ok for r in results] == [True, True]
        [stored] = sandbox.records("salesOrder")
        item_list = stored.fields["itemList"]
        assert isinstance(item_list, list)
        assert [line["item"] for line in item_list if isinstance(line, dict)] == [
            {"externalId": "SKU-1", "type": "inventoryItem"},
            {"externalId": "DISC-10", "type": "discountItem"},
            {"externalId": "SKU-2", "type": "inventoryItem"},
        ]


async def test_a_discount_after_a_subtotal_lands_after_it(
    account: dict[str, str], order: dict[str, str], make_item: Item
) -> None:
    settings = SETTINGS.model_copy(update={"subtotal_item_codes": frozenset({"SUBTOTAL"})})
    codes = ["SKU-1", "SKU-2", "SUBTOTAL", "DISC-10"]
    lines = [
        make_item(n, code=code, quantity="1", price="-3.00" if code == "DISC-10" else "19.99")
        for n, code in enumerate(codes, start=1)
    ]
    async with netsuite() as (sandbox, writer):
        mapped = [
            map_account(account, settings),
            map_order(order, lines[::-1], settings, multi_currency=False),
        ]
        assert [r.ok for r in await write(writer, mapped)] == [True, True]
        [stored] = sandbox.records("salesOrder")
        item_list = stored.fields["itemList"]
        assert isinstance(item_list, list)
        assert [line for line in item_list if isinstance(line, dict)][2:] == [
            {"item": {"externalId": "SUBTOTAL", "type": "subtotalItem"}},
            {"item": {"externalId": "DISC-10", "type": "discountItem"}, "rate": "-3.00"},
        ]


async def test_the_sandbox_refuses_a_discount_first_if_a_mapping_ever_sent_one(
    account: dict[str, str], order: dict[str, str], make_item: Item
) -> None:
    lines = [make_item(1, code="SKU-1"), make_item(2, code="DISC-10", price="-3.00")]
    sales_order = map_order(order, lines, SETTINGS, multi_currency=False).record
    assert isinstance(sales_order, SalesOrder)
    reversed_lines = replace(sales_order, lines=sales_order.lines[::-1])
    async with netsuite() as (sandbox, writer):
        results = await write(writer, [map_account(account, SETTINGS), MappedRecord("x", reversed_lines)])
        assert [(r.ok, r.code) for r in results] == [(True, None), (False, "USER_ERROR")]
        assert sandbox.records("salesOrder") == []


async def test_an_order_lands_in_its_own_currency_or_netsuite_says_the_customer_lacks_it(
    account: dict[str, str], order: dict[str, str], make_item: Item
) -> None:
    settings = SETTINGS.model_copy(update={"currencies": {"USD": "1", "EUR": "4"}})
    in_eur = order | {"Id": "801A0000006Vm9sIAC", "CurrencyIsoCode": "EUR"}
    lines = [make_item(1, price="19.99")]
    eur_lines = [item | {"OrderId": in_eur["Id"]} for item in lines]
    async with netsuite() as (sandbox, writer):
        results = await write(
            writer,
            [
                map_account(account, settings),  # a USD customer
                map_order(order, lines, settings, multi_currency=True),
                map_order(in_eur, eur_lines, settings, multi_currency=True),
            ],
        )
        assert [(r.ok, r.code, r.message) for r in results] == [
            (True, None, None),
            (True, None, None),
            (False, "INVALID_KEY_OR_REF", "Invalid currency reference key 4 for entity 1."),
        ]
        [stored] = sandbox.records("salesOrder")
        assert stored.fields["currency"] == {"internalId": "1"}
        item_list = stored.fields["itemList"]
        assert isinstance(item_list, list)
        assert isinstance(item_list[0], dict)
        assert item_list[0]["rate"] == "19.99"  # the Order's UnitPrice, never converted


async def test_a_single_currency_org_sends_no_currency_and_netsuite_uses_the_customers(
    account: dict[str, str], order: dict[str, str], make_item: Item
) -> None:
    async with netsuite() as (sandbox, writer):
        mapped = [
            map_account(account, SETTINGS),
            map_order(order, [make_item(1)], SETTINGS, multi_currency=False),
        ]
        assert [r.ok for r in await write(writer, mapped)] == [True, True]
        [stored] = sandbox.records("salesOrder")
        assert "currency" not in stored.fields
