from __future__ import annotations

from bulk_o2c.mapping import CustomFieldMapping, MappingSettings, mapped_columns


def test_the_columns_the_mapping_reads_include_the_configured_ones_once() -> None:
    settings = MappingSettings(
        item_external_id_column="Product2.StockKeepingUnit",
        custom_fields=(
            CustomFieldMapping(
                source="Tier__c", script_id="custentity_tier", kind="string", record="customer"
            ),
            CustomFieldMapping(source="Name", script_id="custentity_name", kind="string", record="customer"),
            CustomFieldMapping(
                source="Discount__c", script_id="custcol_disc", kind="double", record="salesOrderItem"
            ),
        ),
    )
    columns = mapped_columns(settings)
    assert columns["Account"][-1] == "Tier__c"
    assert columns["Account"].count("Name") == 1
    assert columns["OrderItem"][-2:] == ("Product2.StockKeepingUnit", "Discount__c")
    assert "TotalAmount" not in columns["Order"]
    assert {"Id", "AccountId", "EffectiveDate", "Status"} <= set(columns["Order"])
