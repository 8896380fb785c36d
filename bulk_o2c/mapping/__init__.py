"""Salesforce rows -> typed NetSuite records: pure functions, one table per record type.

``map_account`` and ``map_order`` never raise for bad data; they return a ``MappedRecord`` that holds
the record and its warnings, or a ``MappingFailure`` (code + message) for the DLQ. Everything they
read from configuration is in ``MappingSettings``.
"""

from bulk_o2c.mapping.columns import mapped_columns
from bulk_o2c.mapping.customers import map_account
from bulk_o2c.mapping.result import MappedRecord, MappingErrorCode, MappingFailure
from bulk_o2c.mapping.sales_orders import map_order
from bulk_o2c.mapping.settings import CustomFieldMapping, MappingSettings

__all__ = [
    "CustomFieldMapping",
    "MappedRecord",
    "MappingErrorCode",
    "MappingFailure",
    "MappingSettings",
    "map_account",
    "map_order",
    "mapped_columns",
]
