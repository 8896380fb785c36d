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
    assert columns["OrderItem"][-3:] == ("Product2.StockKeepingUnit", "OrderItemNumber", "Discount__c")
    assert "TotalAmount" not in columns["Order"]
    assert {"Id", "AccountId", "EffectiveDate", "Status"} <= set(columns["Order"])


def test_the_line_order_and_item_type_columns_are_selected_when_set() -> None:
    default = mapped_columns(MappingSettings())["OrderItem"]
    assert "OrderItemNumber" in default
    columns = mapped_columns(
        MappingSettings(line_sort_column="SortOrder__c", item_type_column="Product2.Family")
    )["OrderItem"]
    assert {"SortOrder__c", "Product2.Family"} <= set(columns)
    assert "OrderItemNumber" not in columns
    assert "OrderItemNumber" not in mapped_columns(MappingSettings(line_sort_column=None))["OrderItem"]
