"""The Salesforce columns the mapping reads, per object: what extraction must select at least.

The mapping reads nothing else, so a column missing here would map as empty (null) without an error.
"""

from __future__ import annotations

from bulk_o2c.mapping.customers import ACCOUNT_COLUMNS
from bulk_o2c.mapping.sales_orders import ORDER_COLUMNS, ORDER_ITEM_BASE_COLUMNS
from bulk_o2c.mapping.settings import CustomFieldTarget, MappingSettings

_SOURCE_OBJECT: dict[CustomFieldTarget, str] = {
    "customer": "Account",
    "salesOrder": "Order",
    "salesOrderItem": "OrderItem",
}


def mapped_columns(settings: MappingSettings) -> dict[str, tuple[str, ...]]:
    """``{"Account": (...), "Order": (...), "OrderItem": (...)}``, base columns first, no repeats."""
    columns = {
        "Account": list(ACCOUNT_COLUMNS),
        "Order": list(ORDER_COLUMNS),
        "OrderItem": [*ORDER_ITEM_BASE_COLUMNS, settings.item_external_id_column],
    }
    for column in (settings.line_sort_column, settings.item_type_column):
        if column is not None:
            columns["OrderItem"].append(column)
    for field in settings.custom_fields:
        columns[_SOURCE_OBJECT[field.record]].append(field.source)
    return {sobject: tuple(dict.fromkeys(names)) for sobject, names in columns.items()}
