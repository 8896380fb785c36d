from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bulk_o2c.mapping import CustomFieldMapping, MappingSettings


def test_defaults() -> None:
    settings = MappingSettings()
    assert settings.customer_external_id_prefix == "SF_ACCT_"
    assert settings.sales_order_external_id_prefix == "SF_ORD_"
    assert settings.time_zone == "America/Los_Angeles"
    assert settings.company_name_limit == 83
    assert settings.price_level_id == "-1"
    assert settings.order_status == {"Draft": "_pendingApproval", "Activated": "_pendingFulfillment"}


@pytest.mark.parametrize(
    "values",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": "../../etc/passwd"},
        {"order_status": {"Draft": "_shipped"}},
        {"customer_external_id_prefix": "SF ACCT"},
        {"customer_external_id_prefix": "SF_X_", "sales_order_external_id_prefix": "sf_x_"},
        {"subsidiary_id": "one"},
        {"currencies": {"usd": "1"}},
        {"currencies": {"USD": "US Dollar"}},
        {"company_name_limit": 84},
        {"unknown_setting": 1},
    ],
)
def test_invalid_settings_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MappingSettings(**values)


@pytest.mark.parametrize(
    "values",
    [
        {"source": "Tier__c", "script_id": "custbody_tier", "kind": "string", "record": "customer"},
        {"source": "Tier__c", "script_id": "custentity_tier", "kind": "string", "record": "salesOrderItem"},
        {
            "source": "Tier__c",
            "script_id": "custentity_tier",
            "kind": "string",
            "record": "customer",
            "values": {},
        },
        {"source": "Tier__c; DROP", "script_id": "custentity_tier", "kind": "string", "record": "customer"},
        {"source": "Tier__c", "script_id": "custentity_tier", "kind": "currency", "record": "customer"},
    ],
)
def test_invalid_custom_field_mappings_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CustomFieldMapping(**values)


def test_settings_are_frozen() -> None:
    settings = MappingSettings()
    with pytest.raises(ValidationError):
        settings.time_zone = "UTC"  # type: ignore[misc]


def test_custom_fields_load_from_plain_tables() -> None:
    settings = MappingSettings.model_validate(
        {
            "custom_fields": [
                {"source": "Tier__c", "script_id": "custentity_tier", "kind": "long", "record": "customer"}
            ]
        }
    )
    assert settings.custom_fields_for("customer")[0].script_id == "custentity_tier"
    assert settings.custom_fields_for("salesOrder") == ()
