"""Per-record validation: each NetSuite code for its rule, and a bad record never fails the others."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bulk_o2c.sandbox.netsuite import NetSuiteSandbox


def _customer_cases(wire: SimpleNamespace) -> list[tuple[str, str, str]]:
    return [
        (wire.customer(None), "USER_ERROR", "This operation requies a value for externalId."),
        (
            wire.customer("C-internal", attrs=' internalId="77"'),
            "USER_ERROR",
            "You cannot set internalId with upsert.",
        ),
        (wire.customer("C-noname", None), "USER_ERROR", "Please enter value(s) for: Company Name"),
        (wire.customer("C-blank", "   "), "USER_ERROR", "Please enter value(s) for: Company Name"),
        (
            wire.customer("C-long", "x" * 84),
            "EXCEEDED_MAX_FIELD_LENGTH",
            "The field companyName contained more than the maximum number ( 83 ) of characters allowed.",
        ),
        (
            wire.customer("C-country", country="US"),
            "INVALID_FLD_VALUE",
            "You have entered an Invalid Field Value US for the following field: country",
        ),
        (
            wire.customer("C-form", extra='<listRel:customForm internalId="999"/>'),
            "INVALID_KEY_OR_REF",
            "Invalid customform reference key 999.",
        ),
        (
            wire.customer("C-sub").replace(
                '<listRel:subsidiary internalId="1"/>', '<listRel:subsidiary internalId="2"/>'
            ),
            "INVALID_KEY_OR_REF",
            "Invalid subsidiary reference key 2.",
        ),
        (
            '<platformMsgs:record xsi:type="listRel:Contact" externalId="K-1"/>',
            "INVALID_RCRD_TYPE",
            "The record type [Contact] is invalid.",
        ),
    ]


async def test_each_customer_rule_has_its_code_and_the_good_records_still_go_in(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    cases = _customer_cases(wire)
    records = [wire.customer("GOOD-1")] + [record for record, _, _ in cases] + [wire.customer("GOOD-2")]
    reply = await client.upsert(*records)
    assert reply.status == 200
    rows = reply.outcomes()
    assert len(rows) == len(records)
    assert rows[0]["isSuccess"] == rows[-1]["isSuccess"] == "true"
    for row, (_, code, message) in zip(rows[1:-1], cases, strict=True):
        assert (row["isSuccess"], row["code"], row["message"], row["detailType"]) == (
            "false",
            code,
            message,
            "ERROR",
        )
        assert row["internalId"] is None
    assert [r.external_id for r in sandbox.records("customer")] == ["GOOD-1", "GOOD-2"]
    assert sandbox.stats.record_errors == {
        "USER_ERROR": 4,
        "EXCEEDED_MAX_FIELD_LENGTH": 1,
        "INVALID_FLD_VALUE": 1,
        "INVALID_KEY_OR_REF": 2,
        "INVALID_RCRD_TYPE": 1,
    }


async def test_a_person_needs_no_company_name_and_83_characters_are_fine(
    client: Any, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(wire.customer("P-1", None, is_person=True), wire.customer("C-83", "y" * 83))
    assert [r["isSuccess"] for r in reply.outcomes()] == ["true", "true"]


async def test_an_update_may_omit_the_company_name_it_already_has(client: Any, wire: SimpleNamespace) -> None:
    await client.upsert(wire.customer("C-1", "Acme"))
    reply = await client.upsert(wire.customer("C-1", None))
    assert reply.outcomes()[0]["isSuccess"] == "true"


async def test_sales_order_rules(client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace) -> None:
    await client.upsert(wire.customer("CUST-1"))
    cases = [
        (
            wire.sales_order("SO-entity", "CUST-404"),
            "INVALID_KEY_OR_REF",
            "Invalid entity reference key CUST-404.",
        ),
        (
            wire.sales_order("SO-item", lines=(("SKU-404", "1"),)),
            "INVALID_KEY_OR_REF",
            "Invalid item reference key SKU-404.",
        ),
        (
            wire.sales_order("SO-qty", lines=(("SKU-1", "1"), ("SKU-2", "-2"))),
            "INVALID_FLD_VALUE",
            "You have entered an Invalid Field Value -2 for the following field: quantity",
        ),
        (
            wire.sales_order("SO-nan", lines=(("SKU-1", "lots"),)),
            "INVALID_FLD_VALUE",
            "You have entered an Invalid Field Value lots for the following field: quantity",
        ),
        (
            wire.sales_order("SO-sub", extra='<tranSales:subsidiary internalId="3"/>'),
            "INVALID_KEY_OR_REF",
            "Invalid subsidiary reference key 3.",
        ),
        (
            wire.sales_order("SO-form", extra='<tranSales:customForm internalId="68"/>'),
            "INVALID_KEY_OR_REF",
            "Invalid customform reference key 68.",
        ),
        (
            wire.sales_order("SO-empty", lines=()),
            "VALID_LINE_ITEM_REQD",
            "You must have at least one valid line item for this transaction.",
        ),
    ]
    good = wire.sales_order("SO-good", "cust-1", (("sku-1", "0"),))  # references are case-insensitive
    reply = await client.upsert(good, *(record for record, _, _ in cases))
    rows = reply.outcomes()
    assert rows[0]["isSuccess"] == "true"
    for row, (_, code, message) in zip(rows[1:], cases, strict=True):
        assert (row["code"], row["message"]) == (code, message)
    assert [o.external_id for o in sandbox.records("salesOrder")] == ["SO-good"]


async def test_an_order_may_reference_a_customer_written_earlier_in_the_same_request(
    client: Any, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(wire.customer("CUST-9"), wire.sales_order("SO-9", "CUST-9"))
    assert [r["isSuccess"] for r in reply.outcomes()] == ["true", "true"]


async def test_an_entity_by_internal_id_must_exist(client: Any, wire: SimpleNamespace) -> None:
    await client.upsert(wire.customer("CUST-1"))
    by_internal_id = wire.sales_order("SO-1").replace('externalId="CUST-1" type="customer"', 'internalId="1"')
    missing = wire.sales_order("SO-2").replace('externalId="CUST-1" type="customer"', 'internalId="2"')
    rows = (await client.upsert(by_internal_id, missing)).outcomes()
    assert rows[0]["isSuccess"] == "true"
    assert (rows[1]["code"], rows[1]["message"]) == ("INVALID_KEY_OR_REF", "Invalid entity reference key 2.")


async def test_items_can_be_added_to_the_catalogue(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    await client.upsert(wire.customer("CUST-1"))
    order = wire.sales_order("SO-1", lines=(("NEW-SKU", "1"),))
    assert (await client.upsert(order)).outcomes()[0]["code"] == "INVALID_KEY_OR_REF"
    sandbox.add_items(["NEW-SKU"])
    assert (await client.upsert(order)).outcomes()[0]["isSuccess"] == "true"


@pytest.mark.parametrize("country", ["_unitedKingdom", "_germany", "_canada"])
async def test_enum_countries_are_accepted(client: Any, wire: SimpleNamespace, country: str) -> None:
    assert (await client.upsert(wire.customer("C-1", country=country))).outcomes()[0]["isSuccess"] == "true"


def _multi_select(script_id: str, *internal_ids: str, prefix: str = "tranSales") -> str:
    values = "".join(f'<platformCore:value internalId="{i}"/>' for i in internal_ids)
    return (
        f"<{prefix}:customFieldList>"
        f'<platformCore:customField scriptId="{script_id}" xsi:type="platformCore:MultiSelectCustomFieldRef">'
        f"{values}</platformCore:customField></{prefix}:customFieldList>"
    )


async def test_multi_select_references_are_checked_and_stored(
    make_config: Any, wire: SimpleNamespace
) -> None:
    config = make_config(
        multi_select_fields={
            "custbody_tags": frozenset({"1", "2", "3"}),
            "custentity_regions": frozenset({"7"}),
        }
    )
    async with NetSuiteSandbox(config) as sandbox, aiohttp.ClientSession() as session:
        client = wire.SoapClient(sandbox, session)
        good_customer = wire.customer(
            "CUST-1", extra=_multi_select("custentity_regions", "7", prefix="listRel")
        )
        bad_customer = wire.customer(
            "CUST-2", extra=_multi_select("custentity_regions", "8", prefix="listRel")
        )
        good = wire.sales_order("SO-1", extra=_multi_select("custbody_tags", "3", "1"))
        bad = wire.sales_order("SO-2", extra=_multi_select("custbody_tags", "2", "9"))
        # The same field sent as a single select is not a list of references.
        single = wire.sales_order(
            "SO-3",
            extra='<tranSales:customFieldList><platformCore:customField scriptId="custbody_tags"'
            ' xsi:type="platformCore:SelectCustomFieldRef"><platformCore:value internalId="1"/>'
            "</platformCore:customField></tranSales:customFieldList>",
        )
        rows = (await client.upsert(good_customer, bad_customer, good, bad, single)).outcomes()
        assert [(r["isSuccess"], r["code"], r["message"]) for r in rows] == [
            ("true", None, None),
            ("false", "INVALID_KEY_OR_REF", "Invalid custentity_regions reference key 8."),
            ("true", None, None),
            ("false", "INVALID_KEY_OR_REF", "Invalid custbody_tags reference key 9."),
            (
                "false",
                "INVALID_FLD_VALUE",
                "You have entered an Invalid Field Value  for the following field: custbody_tags",
            ),
        ]
        [order] = sandbox.records("salesOrder")
        assert order.fields["customFieldList"] == [
            {"scriptId": "custbody_tags", "value": [{"internalId": "3"}, {"internalId": "1"}]}
        ]


async def test_a_discount_line_must_follow_an_item_line(make_config: Any, wire: SimpleNamespace) -> None:
    config = make_config(discount_items=frozenset({"DISC-10"}))
    async with NetSuiteSandbox(config) as sandbox, aiohttp.ClientSession() as session:
        client = wire.SoapClient(sandbox, session)
        await client.upsert(wire.customer("CUST-1"))
        orders = {
            "SO-ok": (("SKU-1", "1"), ("disc-10", "1"), ("SKU-2", "1"), ("DISC-10", "1")),
            "SO-first": (("DISC-10", "1"), ("SKU-1", "1")),
            "SO-twice": (("SKU-1", "1"), ("DISC-10", "1"), ("DISC-10", "1")),
        }
        rows = (
            await client.upsert(*(wire.sales_order(e, lines=lines) for e, lines in orders.items()))
        ).outcomes()
        assert [(r["externalId"], r["code"], r["message"]) for r in rows] == [
            ("SO-ok", None, None),
            (
                "SO-first",
                "USER_ERROR",
                "The discount item on line 1 does not follow an item line it can apply to.",
            ),
            (
                "SO-twice",
                "USER_ERROR",
                "The discount item on line 3 does not follow an item line it can apply to.",
            ),
        ]
        # By internal id too: the catalogue numbers DISC-10 first (sorted external ids).
        by_internal_id = wire.sales_order("SO-id", lines=(("DISC-10", "1"),)).replace(
            'externalId="DISC-10" type="inventoryItem"', 'internalId="1"'
        )
        [row] = (await client.upsert(by_internal_id)).outcomes()
        assert row["code"] == "USER_ERROR"


async def test_an_order_currency_must_be_one_its_customer_trades_in(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    currency = '<listRel:currency internalId="{}"/>'.format
    await client.upsert(
        wire.customer("CUST-EUR", extra=currency("4")),  # EUR primary
        wire.customer("CUST-BASE"),  # no currency: the subsidiary's base currency (USD, 1)
        wire.customer(
            "CUST-MULTI",
            extra=currency("1") + '<listRel:currencyList replaceAll="true"><listRel:currency>'
            '<listRel:currency internalId="5"/></listRel:currency></listRel:currencyList>',
        ),
    )
    order_currency = '<tranSales:currency internalId="{}"/>'.format
    cases = {
        ("CUST-EUR", "4"): None,
        ("CUST-EUR", "1"): "Invalid currency reference key 1 for entity 1.",
        ("CUST-BASE", "1"): None,
        ("CUST-BASE", "4"): "Invalid currency reference key 4 for entity 2.",
        ("CUST-MULTI", "5"): None,
        ("CUST-MULTI", "2"): "Invalid currency reference key 2 for entity 3.",
        ("CUST-EUR", "77"): "Invalid currency reference key 77.",  # not a currency of the account
    }
    records = [
        wire.sales_order(f"SO-{n}", customer, extra=order_currency(currency_id))
        for n, (customer, currency_id) in enumerate(cases)
    ]
    rows = (await client.upsert(*records)).outcomes()
    assert [row["message"] for row in rows] == list(cases.values())
    assert {row["code"] for row in rows if row["message"]} == {"INVALID_KEY_OR_REF"}
    refused = (await client.upsert(wire.customer("CUST-X", extra=currency("99")))).outcomes()
    assert refused[0]["message"] == "Invalid currency reference key 99."
