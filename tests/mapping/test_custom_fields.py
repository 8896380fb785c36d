"""Custom field mappings from the configuration: one test per kind and per rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from bulk_o2c.mapping import CustomFieldMapping, MappingErrorCode, MappingSettings, map_account, map_order
from bulk_o2c.protocol.netsuite.records import Customer, CustomField, CustomFieldKind, SalesOrder

Item = Callable[..., dict[str, str]]


def settings_with(*fields: CustomFieldMapping) -> MappingSettings:
    return MappingSettings(custom_fields=fields)


def account_fields(row: dict[str, str], settings: MappingSettings) -> tuple[CustomField, ...]:
    result = map_account(row, settings)
    assert isinstance(result.record, Customer), result.failure
    return result.record.custom_fields


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        ("string", "  Tier 1  ", "  Tier 1  "),
        ("boolean", "true", True),
        ("boolean", "FALSE", False),
        ("long", "42", 42),
        ("long", "42.0", 42),
        ("double", "0.1", Decimal("0.1")),
        ("select", "17", "17"),
    ],
)
def test_each_kind_converts_the_salesforce_text(
    account: dict[str, str], kind: CustomFieldKind, raw: str, value: str | bool | int | Decimal
) -> None:
    account["Tier__c"] = raw
    mapping = CustomFieldMapping(source="Tier__c", script_id="custentity_tier", kind=kind, record="customer")
    (field,) = account_fields(account, settings_with(mapping))
    assert field == CustomField("custentity_tier", kind, value)
    assert type(field.value) is type(value)


def test_a_date_field_takes_a_datetime_into_the_account_zone(account: dict[str, str]) -> None:
    account["Signed__c"] = "2018-12-10T17:50:19.000+0000"
    mapping = CustomFieldMapping(
        source="Signed__c", script_id="custentity_signed", kind="date", record="customer"
    )
    (field,) = account_fields(account, settings_with(mapping))
    assert isinstance(field.value, datetime)
    assert field.value.isoformat() == "2018-12-10T09:50:19-08:00"


def test_a_date_field_takes_a_calendar_date_as_its_first_instant(account: dict[str, str]) -> None:
    account["Renewal__c"] = "2025-07-04"
    mapping = CustomFieldMapping(
        source="Renewal__c", script_id="custentity_renewal", kind="date", record="customer"
    )
    (field,) = account_fields(account, settings_with(mapping))
    assert isinstance(field.value, datetime)
    assert field.value.isoformat() == "2025-07-04T00:00:00-07:00"


def test_a_select_field_goes_through_its_values_table(account: dict[str, str]) -> None:
    mapping = CustomFieldMapping(
        source="Industry",
        script_id="custentity_industry",
        kind="select",
        record="customer",
        values={"Banking": "3", "Retail": "8"},
    )
    account["Industry"] = "Retail"
    assert account_fields(account, settings_with(mapping)) == (
        CustomField("custentity_industry", "select", "8"),
    )
    account["Industry"] = "Mining"
    result = map_account(account, settings_with(mapping))
    assert result.failure is not None
    assert result.failure.code == MappingErrorCode.UNKNOWN_VALUE


@pytest.mark.parametrize(
    ("kind", "raw", "code"),
    [
        ("boolean", "yes", "INVALID_BOOLEAN"),
        ("long", "4.5", "INVALID_NUMBER"),
        ("double", "1.0.0", "INVALID_NUMBER"),
        ("date", "2025-13-01", "INVALID_DATE"),
        ("date", "2025-03-01T10:00:00", "INVALID_DATE"),
    ],
)
def test_a_value_the_kind_cannot_take_is_a_per_record_error(
    account: dict[str, str], kind: CustomFieldKind, raw: str, code: str
) -> None:
    account["X__c"] = raw
    mapping = CustomFieldMapping(source="X__c", script_id="custentity_x", kind=kind, record="customer")
    result = map_account(account, settings_with(mapping))
    assert result.failure is not None
    assert result.failure.code == MappingErrorCode[code]
    assert f"X__c {raw!r}" in result.failure.message


def test_an_empty_value_sends_no_field(account: dict[str, str]) -> None:
    mapping = CustomFieldMapping(
        source="Tier__c", script_id="custentity_tier", kind="long", record="customer"
    )
    account["Tier__c"] = ""
    assert account_fields(account, settings_with(mapping)) == ()


def test_fields_go_to_the_record_they_are_configured_for(
    account: dict[str, str], order: dict[str, str], make_item: Item
) -> None:
    settings = settings_with(
        CustomFieldMapping(
            source="OrderNumber", script_id="custbody_sf_number", kind="string", record="salesOrder"
        ),
        CustomFieldMapping(
            source="Product2Id", script_id="custcol_sf_product", kind="string", record="salesOrderItem"
        ),
        CustomFieldMapping(source="Website", script_id="custentity_web", kind="string", record="customer"),
    )
    item = make_item(1)
    result = map_order(order, [item], settings, multi_currency=False)
    assert isinstance(result.record, SalesOrder)
    assert result.record.custom_fields == (CustomField("custbody_sf_number", "string", order["OrderNumber"]),)
    assert result.record.lines[0].custom_fields == (
        CustomField("custcol_sf_product", "string", item["Product2Id"]),
    )
    assert account_fields(account, settings) == (CustomField("custentity_web", "string", account["Website"]),)


def test_fields_keep_the_configured_order(account: dict[str, str]) -> None:
    names = ["custentity_b", "custentity_a", "custentity_c"]
    settings = settings_with(
        *(
            CustomFieldMapping(source="Name", script_id=name, kind="string", record="customer")
            for name in names
        )
    )
    assert [f.script_id for f in account_fields(account, settings)] == names


def regions(**overrides: object) -> CustomFieldMapping:
    values: dict[str, object] = {
        "source": "Regions__c",
        "script_id": "custentity_regions",
        "kind": "multiselect",
        "record": "customer",
        "values": {"EMEA": "3", "APAC": "1", "Americas": "2", "Europe": "3"},
    }
    values.update(overrides)
    return CustomFieldMapping.model_validate(values)


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("APAC", ("1",)),
        ("Americas;APAC;EMEA", ("2", "1", "3")),  # Salesforce's order, not the table's
        ("EMEA;APAC;EMEA", ("3", "1")),  # a repeated value is sent once
        ("EMEA;Europe", ("3",)),  # two picklist values for one list value: one reference
        (" APAC ; ;Americas;", ("1", "2")),  # blanks between separators are not values
    ],
)
def test_a_multiselect_field_sends_each_value_once_in_salesforce_order(
    account: dict[str, str], raw: str, ids: tuple[str, ...]
) -> None:
    account["Regions__c"] = raw
    assert account_fields(account, settings_with(regions())) == (
        CustomField("custentity_regions", "multiselect", ids),
    )


def test_a_multiselect_value_not_in_the_table_fails_the_record_naming_it(account: dict[str, str]) -> None:
    account["Regions__c"] = "APAC;Antarctica;EMEA"
    result = map_account(account, settings_with(regions()))
    assert result.failure is not None
    assert result.failure.code == MappingErrorCode.UNKNOWN_VALUE
    assert result.failure.message == "Regions__c 'Antarctica' is not in the mapping table"


@pytest.mark.parametrize("raw", ["", ";", " ; "])
def test_an_empty_multiselect_sends_no_field(account: dict[str, str], raw: str) -> None:
    account["Regions__c"] = raw
    assert account_fields(account, settings_with(regions())) == ()


def test_a_multiselect_without_a_table_takes_internal_ids(order: dict[str, str], make_item: Item) -> None:
    mapping = regions(script_id="custcol_regions", record="salesOrderItem", values=None)
    item = make_item(1) | {"Regions__c": "7;5;7"}
    result = map_order(order, [item], settings_with(mapping), multi_currency=False)
    assert isinstance(result.record, SalesOrder), result.failure
    assert result.record.lines[0].custom_fields == (
        CustomField("custcol_regions", "multiselect", ("7", "5")),
    )


def test_a_values_table_is_refused_on_a_kind_without_list_values() -> None:
    with pytest.raises(ValueError, match="select or multiselect"):
        regions(kind="string")
