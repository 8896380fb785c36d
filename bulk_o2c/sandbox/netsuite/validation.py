"""Per-record validation with NetSuite's codes and messages; a failure never fails the request.

Rules this module owns (codes from Oracle's error-code table, reference netsuite-soap.md section 5):
- No externalId: ``USER_ERROR`` "This operation requies a value for externalId." (NetSuite's typo).
- An internalId on the record: ``USER_ERROR`` "You cannot set internalId with upsert."
- A record type the account does not emulate: ``INVALID_RCRD_TYPE``.
- Customer: a company (``isPerson`` not true) needs ``companyName`` (``USER_ERROR`` "Please enter
  value(s) for: Company Name"), at most 83 characters (``EXCEEDED_MAX_FIELD_LENGTH``); every address
  country must be a SOAP ``Country`` enum value (``INVALID_FLD_VALUE``).
- Sales order: the entity must be an existing customer and every line item a catalogue item
  (``INVALID_KEY_OR_REF`` "Invalid entity|item reference key X."); a quantity must be a number,
  not negative (``INVALID_FLD_VALUE``); a new order needs at least one line (``VALID_LINE_ITEM_REQD``).
  A discount item applies to the line just before it, so a discount line must follow an item line
  that is not a discount: first, or after another discount, it is ``USER_ERROR`` (the sandbox's
  own wording, ``DISCOUNT_FIRST_MESSAGE``; NetSuite would apply it to the wrong lines).
- Both: ``subsidiary`` and ``customForm`` must name internal ids the account has (``INVALID_KEY_OR_REF``).
- A ``currency`` must be one the account has (``INVALID_KEY_OR_REF``). A sales order's currency
  must also be one its customer may trade in: the customer's primary currency or one of its
  ``currencyList``, else the subsidiary's base currency when the customer names none; otherwise
  ``INVALID_KEY_OR_REF`` "Invalid currency reference key 4 for entity 12." (NetSuite's wording for
  a customer without that currency).
- A multi-select custom field the account has (on the record or on a line) must hold a list of
  references to values of its list: another value is ``INVALID_KEY_OR_REF`` "Invalid custbody_x
  reference key 9.", a value that is not a list of references ``INVALID_FLD_VALUE``.
- Required fields are judged on the record as it would be after the write, so an update may omit
  what the stored record already has.
"""

from __future__ import annotations

import math

from bulk_o2c.protocol.netsuite.countries import SOAP_COUNTRY_ENUM
from bulk_o2c.sandbox.netsuite.config import BASE_CURRENCY_ID, NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.outcomes import StatusDetail
from bulk_o2c.sandbox.netsuite.soap_request import Fields, FieldValue, IncomingRecord
from bulk_o2c.sandbox.netsuite.store import RecordStore

COMPANY_NAME_MAX = 83
ITEM_RECORD_TYPE = "item"
NO_LINES_MESSAGE = "You must have at least one valid line item for this transaction."
DISCOUNT_FIRST_MESSAGE = "The discount item on line {line} does not follow an item line it can apply to."


def _invalid_value(value: str, field_name: str) -> StatusDetail:
    message = f"You have entered an Invalid Field Value {value} for the following field: {field_name}"
    return StatusDetail("INVALID_FLD_VALUE", message)


def _invalid_reference(field_name: str, key: str) -> StatusDetail:
    return StatusDetail("INVALID_KEY_OR_REF", f"Invalid {field_name} reference key {key}.")


def _missing(label: str) -> StatusDetail:
    return StatusDetail("USER_ERROR", f"Please enter value(s) for: {label}")


def _reference(value: FieldValue) -> tuple[str | None, str | None]:
    """(internalId, externalId) of a RecordRef value; a bare text counts as an unknown external id."""
    if isinstance(value, dict):
        internal_id, external_id = value.get("internalId"), value.get("externalId")
        return (
            internal_id if isinstance(internal_id, str) else None,
            external_id if isinstance(external_id, str) else None,
        )
    return None, value if isinstance(value, str) else ""


def _ref_key(internal_id: str | None, external_id: str | None) -> str:
    return internal_id if internal_id is not None else external_id or ""


def _check_known_ids(fields: Fields, config: NetSuiteSandboxConfig) -> StatusDetail | None:
    for field_name, label, known in (
        ("customForm", "customform", config.custom_form_ids),
        ("subsidiary", "subsidiary", config.subsidiary_ids),
    ):
        if field_name in fields:
            internal_id, external_id = _reference(fields[field_name])
            if internal_id not in known:
                return _invalid_reference(label, _ref_key(internal_id, external_id))
    return None


def _check_multi_selects(fields: Fields, config: NetSuiteSandboxConfig) -> StatusDetail | None:
    for custom_field in _sublist(fields, "customFieldList"):
        script_id = custom_field.get("scriptId")
        if not isinstance(script_id, str) or script_id not in config.multi_select_fields:
            continue
        known = config.multi_select_fields[script_id]
        values = custom_field.get("value")
        if not isinstance(values, list) or not all(isinstance(value, dict) for value in values):
            return _invalid_value("", script_id)
        for value in values:
            internal_id, external_id = _reference(value)
            if internal_id not in known:
                return _invalid_reference(script_id, _ref_key(internal_id, external_id))
    return None


def _check_currency(fields: Fields, config: NetSuiteSandboxConfig) -> StatusDetail | None:
    if "currency" not in fields:
        return None
    internal_id, external_id = _reference(fields["currency"])
    if internal_id not in config.currencies.values():
        return _invalid_reference("currency", _ref_key(internal_id, external_id))
    return None


def _customer_currencies(customer: Fields) -> set[str]:
    """The currencies a customer may trade in: its primary one and its currency sublist."""
    references = [
        customer.get("currency"),
        *(entry.get("currency") for entry in _sublist(customer, "currencyList")),
    ]
    allowed = set()
    for reference in references:
        internal_id = None if reference is None else _reference(reference)[0]
        if internal_id is not None:
            allowed.add(internal_id)
    return allowed or {BASE_CURRENCY_ID}


def _customer(store: RecordStore, entity: FieldValue) -> tuple[str, Fields] | None:
    """The referenced customer's internal id and fields, or None when there is no such customer."""
    internal_id, external_id = _reference(entity)
    if internal_id is None:
        internal_id = store.internal_id("customer", external_id or "")
    external_id = None if internal_id is None else store.external_id("customer", internal_id)
    fields = None if external_id is None else store.fields("customer", external_id)
    return None if internal_id is None or fields is None else (internal_id, fields)


def _check_order_currency(
    fields: Fields, stored: Fields | None, customer: tuple[str, Fields], config: NetSuiteSandboxConfig
) -> StatusDetail | None:
    problem = _check_currency(fields, config)
    currency = fields.get("currency", None if stored is None else stored.get("currency"))
    if problem is not None or currency is None:
        return problem
    internal_id, fields_of_customer = customer
    currency_id = _reference(currency)[0]
    if currency_id not in _customer_currencies(fields_of_customer):
        message = f"Invalid currency reference key {currency_id} for entity {internal_id}."
        return StatusDetail("INVALID_KEY_OR_REF", message)
    return None


def _text(fields: Fields, name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


def _sublist(fields: Fields, name: str) -> list[Fields]:
    value = fields.get(name)
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _check_customer(
    fields: Fields, stored: Fields | None, config: NetSuiteSandboxConfig
) -> StatusDetail | None:
    after = fields if stored is None else stored | fields
    company_name = _text(after, "companyName")
    if _text(after, "isPerson").strip() not in ("true", "1") and not company_name.strip():
        return _missing("Company Name")
    if len(company_name) > COMPANY_NAME_MAX:
        return StatusDetail(
            "EXCEEDED_MAX_FIELD_LENGTH",
            f"The field companyName contained more than the maximum number ( {COMPANY_NAME_MAX} ) "
            "of characters allowed.",
        )
    for entry in _sublist(fields, "addressbookList"):
        address = entry.get("addressbookAddress")
        if isinstance(address, dict) and "country" in address:
            country = address["country"]
            if not isinstance(country, str) or country.strip() not in SOAP_COUNTRY_ENUM:
                return _invalid_value(country if isinstance(country, str) else "", "country")
    return (
        _check_currency(fields, config)
        or _check_known_ids(fields, config)
        or _check_multi_selects(fields, config)
    )


def _references_existing(store: RecordStore, record_type: str, value: FieldValue) -> bool:
    internal_id, external_id = _reference(value)
    if internal_id is not None:
        return store.has_internal_id(record_type, internal_id)
    return bool(external_id) and store.internal_id(record_type, external_id or "") is not None


def _is_discount(item: FieldValue, store: RecordStore, discounts: set[str]) -> bool:
    internal_id, external_id = _reference(item)
    if internal_id is not None:
        external_id = store.external_id(ITEM_RECORD_TYPE, internal_id)
    return external_id is not None and external_id.casefold() in discounts


def _check_line(line: Fields, store: RecordStore, config: NetSuiteSandboxConfig) -> StatusDetail | None:
    if "item" not in line:
        return _missing("Item")
    if not _references_existing(store, ITEM_RECORD_TYPE, line["item"]):
        return _invalid_reference("item", _ref_key(*_reference(line["item"])))
    if "quantity" in line:
        quantity = _text(line, "quantity").strip()
        try:
            number = float(quantity)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number < 0:
            return _invalid_value(quantity, "quantity")
    return _check_multi_selects(line, config)


def _check_sales_order(
    fields: Fields, stored: Fields | None, store: RecordStore, config: NetSuiteSandboxConfig
) -> StatusDetail | None:
    entity = fields.get("entity", None if stored is None else stored.get("entity"))
    if entity is None:
        return _missing("Customer")
    customer = _customer(store, entity)
    if customer is None:
        return _invalid_reference("entity", _ref_key(*_reference(entity)))
    lines = _sublist(fields, "itemList")
    if stored is None and not lines:
        return StatusDetail("VALID_LINE_ITEM_REQD", NO_LINES_MESSAGE)
    discounts = {external_id.casefold() for external_id in config.discount_items}
    after_item = False
    for number, line in enumerate(lines, start=1):
        problem = _check_line(line, store, config)
        if problem is not None:
            return problem
        discount = _is_discount(line["item"], store, discounts)
        if discount and not after_item:
            return StatusDetail("USER_ERROR", DISCOUNT_FIRST_MESSAGE.format(line=number))
        after_item = not discount
    return (
        _check_order_currency(fields, stored, customer, config)
        or _check_known_ids(fields, config)
        or _check_multi_selects(fields, config)
    )


def validate(
    record: IncomingRecord, store: RecordStore, config: NetSuiteSandboxConfig
) -> StatusDetail | None:
    """The first reason NetSuite would refuse this record, or None to write it."""
    if not record.external_id:
        return StatusDetail("USER_ERROR", "This operation requies a value for externalId.")
    if record.internal_id is not None:
        return StatusDetail("USER_ERROR", "You cannot set internalId with upsert.")
    if record.record_type is None:
        return StatusDetail("INVALID_RCRD_TYPE", f"The record type [{record.type_name}] is invalid.")
    stored = store.fields(record.record_type, record.external_id)
    if record.record_type == "customer":
        return _check_customer(record.fields, stored, config)
    return _check_sales_order(record.fields, stored, store, config)
