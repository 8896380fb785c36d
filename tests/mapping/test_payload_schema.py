"""The mapping's records, through the envelope, are valid against NetSuite's own XSDs."""

from __future__ import annotations

from collections.abc import Callable

from bulk_o2c.mapping import CustomFieldMapping, MappingSettings, map_account, map_order
from bulk_o2c.protocol.netsuite.envelope import RecordEncoder, build_upsert_list
from bulk_o2c.protocol.netsuite.passport import TokenPassport
from tests.support.shared_files import soap_validator

SETTINGS = MappingSettings(
    currencies={"USD": "1"},
    custom_fields=(
        CustomFieldMapping(source="Website", script_id="custentity_web", kind="string", record="customer"),
        CustomFieldMapping(
            source="SystemModstamp", script_id="custentity_mod", kind="date", record="customer"
        ),
        CustomFieldMapping(
            source="OrderNumber", script_id="custbody_number", kind="long", record="salesOrder"
        ),
        CustomFieldMapping(
            source="Product2Id", script_id="custcol_product", kind="string", record="salesOrderItem"
        ),
    ),
)


def test_mapped_records_encode_to_a_schema_valid_upsert_list(
    account: dict[str, str], order: dict[str, str], make_item: Callable[..., dict[str, str]]
) -> None:
    validate = soap_validator()
    account["Name"] = "Acme <&> ]]> Holdings " * 5  # cut, and escaped by the envelope
    account["BillingStreet"] = "1 Main St\nSuite 200\nBuilding C\nDock 4"
    customer = map_account(account, SETTINGS)
    sales_order = map_order(
        order, [make_item(1), make_item(2, code="SKU-2", quantity="0.5")], SETTINGS, multi_currency=False
    )
    assert customer.record is not None
    assert sales_order.record is not None
    encoder = RecordEncoder("2025_2")
    passport = TokenPassport("1234567_SB1", "ck", "tk", "nonce123456", 1_700_000_000, "c2lnbmF0dXJl")
    body = build_upsert_list(
        [encoder.encode(customer.record).xml, encoder.encode(sales_order.record).xml],
        passport,
        version="2025_2",
    )
    assert validate(body) == []
