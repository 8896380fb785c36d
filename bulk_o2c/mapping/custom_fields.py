"""Custom field values from the configured column mappings, converted by the field's kind.

Rules this module owns:
- An empty Salesforce value sends nothing (upsert keeps NetSuite's value), for every kind.
- ``string`` passes the text unchanged; ``boolean`` takes Salesforce's ``true``/``false`` (any case);
  ``long`` takes an integral number (``5`` or ``5.0``); ``double`` a Decimal; ``date`` a date or a
  datetime, placed in the account's time zone like every other date; ``select`` the list value's
  internal id, through the field's ``values`` table when it has one (a value not in it is
  MAPPING_UNKNOWN_VALUE).
- ``multiselect`` takes Salesforce's multi-select picklist text (``A;B;C``): each value goes through
  the ``values`` table like a ``select`` (one value not in it fails the record, naming that value),
  in Salesforce's order, and a value whose internal id was already sent is not sent again (NetSuite
  keeps a set). Blank values between separators are skipped; nothing left sends nothing.
- Fields come out in configuration order, so the same settings always give the same payload.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bulk_o2c.mapping.result import MappingErrorCode, Rejected, quoted
from bulk_o2c.mapping.rules import Row, decimal, local_datetime, look_up
from bulk_o2c.mapping.settings import CustomFieldMapping
from bulk_o2c.protocol.netsuite.records import CustomField

_MULTISELECT_SEPARATOR = ";"


def _list_value(mapping: CustomFieldMapping, value: str) -> str:
    if mapping.values is None:
        return value
    return look_up(mapping.values, value, mapping.source, MappingErrorCode.UNKNOWN_VALUE)


def _value(
    mapping: CustomFieldMapping, raw: str, zone: ZoneInfo
) -> str | bool | int | Decimal | datetime | tuple[str, ...]:
    field = mapping.source
    match mapping.kind:
        case "string":
            return raw
        case "boolean":
            lowered = raw.strip().lower()
            if lowered not in ("true", "false"):
                problem = f"{field} {quoted(raw)} is not true or false"
                raise Rejected(MappingErrorCode.INVALID_BOOLEAN, problem)
            return lowered == "true"
        case "long":
            number = decimal(raw, field)
            if number != number.to_integral_value():
                problem = f"{field} {quoted(raw)} is not a whole number"
                raise Rejected(MappingErrorCode.INVALID_NUMBER, problem)
            return int(number)
        case "double":
            return decimal(raw, field)
        case "date":
            return local_datetime(raw, field, zone)
        case "select":
            return _list_value(mapping, raw)
        case "multiselect":
            values = (part.strip() for part in raw.split(_MULTISELECT_SEPARATOR))
            return tuple(dict.fromkeys(_list_value(mapping, value) for value in values if value))


def custom_fields(
    mappings: tuple[CustomFieldMapping, ...], row: Row, zone: ZoneInfo
) -> tuple[CustomField, ...]:
    fields = []
    for mapping in mappings:
        raw = row.get(mapping.source, "")
        if raw:
            value = _value(mapping, raw, zone)
            if value == ():  # a multi-select of blanks only: nothing to send, like an empty value
                continue
            fields.append(CustomField(mapping.script_id, mapping.kind, value))
    return tuple(fields)
