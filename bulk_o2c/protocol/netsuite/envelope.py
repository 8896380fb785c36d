"""Build SuiteTalk ``upsertList`` requests: record fragments once, envelopes per attempt; and the
small requests a run and ``doctor`` send first: ``getServerTime`` (the endpoint takes the
credentials), ``getAccountGovernanceInfo`` and ``getIntegrationGovernanceInfo`` (the concurrency
limits), ``get`` of one record by externalId or internalId (the role may read that type) and
``getSelectValue`` (the values a select field such as ``customForm`` accepts).

Rules this module owns:
- Every prefix (soapenv, xsi, platformMsgs, platformCore, platformCommon, listRel, tranSales) is
  declared once, on the Envelope, for the endpoint version. A record is encoded once into a
  ``<platformMsgs:record>`` fragment that uses those prefixes and declares nothing, so the same bytes
  serve every retry, chunk split and endpoint version; only the ``tokenPassport`` header is new on
  each attempt.
- Elements follow the xsd:sequence order of the 2023_2 schemas (Customer, CustomerAddressbook,
  Address, SalesOrder, SalesOrderItem, CustomFieldList); a multiselect custom field is a
  ``MultiSelectCustomFieldRef`` with one ``value`` reference per list value. ``None`` fields and
  empty sublists are not sent, so upsert keeps NetSuite's value. Sublists that are sent replace the whole list
  (``replaceAll="true"``).
- The upserted record carries ``externalId`` (required, non-empty) and never ``internalId``: upsert
  keys on record type + externalId and refuses internalId.
- Text is escaped; characters XML 1.0 forbids are removed and the field's path is reported in
  ``EncodedRecord.removed_characters`` (``companyName``, ``itemList[0].description``,
  ``addressbookList[1].addressbookAddress.city``, ``customFieldList[custentity_x]``; indexes are
  0-based). Identifiers (externalId, RecordRef ids and types, custom field scriptIds) are keys: a
  forbidden character there would silently point at another record, so it raises instead.
- Values NetSuite checks against an enum before looking at any record (country, orderStatus) are
  checked here: one bad value would otherwise fault the whole request.
- ``tranDate`` and date custom fields are xsd:dateTime. A naive datetime is refused (its instant is
  unknown). An aware datetime is sent as UTC with milliseconds (``2025-03-01T17:30:00.000Z``).
  A bare date is sent as **noon UTC** (``2025-03-01T12:00:00.000Z``): NetSuite takes the calendar
  date of the instant in the web-services user's time zone (Oracle, "Datetime Fields",
  section_1521451348), so midnight UTC would land on the previous day for every user west of UTC,
  while noon is the same date for every offset from -12:00 to +11:59. For +12:00 and beyond, pass an
  aware datetime at local midnight instead.
- Decimals are written plainly (``format(d, "f")``), never in exponent notation; ``rate`` is an
  xsd:string that NetSuite reads as a number, and infinities and NaN are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

from bulk_o2c.errors import PermanentError
from bulk_o2c.protocol.netsuite.countries import SOAP_COUNTRY_ENUM
from bulk_o2c.protocol.netsuite.namespaces import SOAP_ENV, XSI, namespaces
from bulk_o2c.protocol.netsuite.order_status import SALES_ORDER_STATUSES
from bulk_o2c.protocol.netsuite.passport import TokenPassport
from bulk_o2c.protocol.netsuite.records import (
    AddressbookEntry,
    Customer,
    CustomField,
    NetSuiteRecord,
    RecordRef,
    SalesOrder,
    SalesOrderLine,
)
from bulk_o2c.protocol.netsuite.xml_text import escape_attribute, escape_text, is_clean_key

SOAP_ACTION_UPSERT_LIST: str = '"upsertList"'
SOAP_ACTION_GET_SERVER_TIME: str = '"getServerTime"'
SOAP_ACTION_GET_ACCOUNT_GOVERNANCE_INFO: str = '"getAccountGovernanceInfo"'
SOAP_ACTION_GET_INTEGRATION_GOVERNANCE_INFO: str = '"getIntegrationGovernanceInfo"'
SOAP_ACTION_GET: str = '"get"'
SOAP_ACTION_GET_SELECT_VALUE: str = '"getSelectValue"'
CONTENT_TYPE: str = "text/xml; charset=utf-8"

_VERSION = re.compile(r"\d{4}_\d")
# platformCoreTyp:SignatureAlgorithm.
_SIGNATURE_ALGORITHMS = frozenset({"HMAC_SHA256", "HMAC_SHA1"})
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_CUSTOM_FIELD_TYPES = {
    "string": "StringCustomFieldRef",
    "boolean": "BooleanCustomFieldRef",
    "long": "LongCustomFieldRef",
    "double": "DoubleCustomFieldRef",
    "date": "DateCustomFieldRef",
    "select": "SelectCustomFieldRef",
    "multiselect": "MultiSelectCustomFieldRef",
}


class RecordEncodingError(PermanentError, ValueError):
    """The record cannot be sent as it is (missing key, naive datetime, value outside an enum...).

    Messages name the field, never its value.
    """


@dataclass(frozen=True, slots=True)
class EncodedRecord:
    """A record's ``<platformMsgs:record>`` fragment (UTF-8), ready for any number of envelopes."""

    external_id: str
    record_type: str
    xml: bytes
    removed_characters: tuple[str, ...]
    line_count: int


@dataclass(frozen=True, slots=True)
class Preferences:
    """The ``preferences`` header; a field left None is not sent (NetSuite's default applies)."""

    warning_as_error: bool | None = False
    ignore_read_only_fields: bool | None = True
    run_server_suite_script_and_trigger_workflows: bool | None = None
    disable_system_notes_for_custom_fields: bool | None = None


def _checked_version(version: str) -> str:
    if not _VERSION.fullmatch(version):
        raise ValueError(f"endpoint version must look like 2025_2, got {version!r}")
    return version


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _decimal(value: Decimal | int, path: str) -> str:
    if isinstance(value, bool):
        raise RecordEncodingError(f"{path}: expected a number, got a bool")
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        raise RecordEncodingError(f"{path}: not a finite number")
    return format(value, "f")


def _datetime(value: datetime | date, path: str) -> str:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise RecordEncodingError(f"{path}: naive datetime; give it a time zone")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    return f"{value.isoformat()}T12:00:00.000Z"


def _key(value: str, path: str) -> str:
    if is_clean_key(value):
        return value
    escaped, removed = escape_attribute(value)
    if removed:
        raise RecordEncodingError(f"{path}: contains characters XML cannot carry")
    return escaped


class _Fragment:
    """One record's XML parts and the paths where forbidden characters were removed.

    Paths are built only when something was removed: the clean case stays cheap.
    """

    __slots__ = ("parts", "removed")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.removed: list[str] = []

    def text(self, value: str, path: str, name: str) -> str:
        escaped, removed = escape_text(value)
        if removed:
            self.removed.append(path + name)
        return escaped

    def elements(self, prefix: str, fields: tuple[tuple[str, str | None], ...], path: str) -> None:
        """Text elements in the order given; a run of them per call, as they are most of a record."""
        parts = self.parts
        for name, value in fields:
            if value is None:
                continue
            # Most values need no escaping: telling so first (is_clean_text, inlined: it runs for
            # every field of every record) skips the escaping calls.
            if not (value.isprintable() and "&" not in value and "<" not in value and ">" not in value):
                value = self.text(value, path, name)
            parts.append(f"<{prefix}:{name}>{value}</{prefix}:{name}>")

    def flag(self, prefix: str, name: str, value: bool | None) -> None:
        if value is not None:
            self.parts.append(f"<{prefix}:{name}>{_bool(value)}</{prefix}:{name}>")

    def ref(self, prefix: str, name: str, ref: RecordRef | None, path: str) -> None:
        if ref is None:
            return
        attrs = ""
        if ref.internal_id is not None:
            attrs += f' internalId="{_key(ref.internal_id, path + name)}"'
        if ref.external_id is not None:
            attrs += f' externalId="{_key(ref.external_id, path + name)}"'
        if not attrs:
            raise RecordEncodingError(f"{path}{name}: a reference needs an internalId or an externalId")
        if ref.type is not None:
            attrs += f' type="{_key(ref.type, path + name)}"'
        self.parts.append(f"<{prefix}:{name}{attrs}/>")

    def custom_fields(self, prefix: str, fields: tuple[CustomField, ...], path: str) -> None:
        if not fields:
            return
        parts = self.parts
        parts.append(f"<{prefix}:customFieldList>")
        for field in fields:
            field_path = f"{path}customFieldList[{field.script_id}]"
            xsi_type = _CUSTOM_FIELD_TYPES.get(field.kind)
            if xsi_type is None:
                raise RecordEncodingError(f"{field_path}: unknown custom field kind {field.kind!r}")
            parts.append(
                f'<platformCore:customField xsi:type="platformCore:{xsi_type}"'
                f' scriptId="{_key(field.script_id, field_path)}">'
            )
            parts.append(self._custom_value(field, field_path))
            parts.append("</platformCore:customField>")
        parts.append(f"</{prefix}:customFieldList>")

    def _custom_value(self, field: CustomField, path: str) -> str:
        kind, value = field.kind, field.value
        if kind == "select" and isinstance(value, str):
            return f'<platformCore:value internalId="{_key(value, path)}"/>'
        if kind == "multiselect" and isinstance(value, tuple):
            if not value:  # the schema needs at least one value; "none" is not sending the field
                raise RecordEncodingError(f"{path}: a multiselect custom field needs at least one value")
            return "".join(f'<platformCore:value internalId="{_key(v, path)}"/>' for v in value)
        if kind == "string" and isinstance(value, str):
            text = self.text(value, path, "")
        elif kind == "boolean" and isinstance(value, bool):
            text = _bool(value)
        elif kind == "long" and isinstance(value, int) and not isinstance(value, bool):
            if not _LONG_MIN <= value <= _LONG_MAX:
                raise RecordEncodingError(f"{path}: outside the xsd:long range")
            text = str(value)
        elif kind == "double" and isinstance(value, Decimal | int) and not isinstance(value, bool):
            text = _decimal(value, path)
        elif kind == "date" and isinstance(value, datetime):
            text = _datetime(value, path)
        else:
            raise RecordEncodingError(f"{path}: a {kind} custom field cannot hold a {type(value).__name__}")
        return f"<platformCore:value>{text}</platformCore:value>"

    def addressbook_entry(self, entry: AddressbookEntry, path: str) -> None:
        parts, address = self.parts, entry.address
        parts.append("<listRel:addressbook>")
        self.flag("listRel", "defaultShipping", entry.default_shipping)
        self.flag("listRel", "defaultBilling", entry.default_billing)
        self.elements("listRel", (("label", entry.label),), path)
        parts.append("<listRel:addressbookAddress>")
        path += "addressbookAddress."
        if address.country is not None:
            if address.country not in SOAP_COUNTRY_ENUM:
                raise RecordEncodingError(f"{path}country: not a NetSuite Country enum value")
            parts.append(f"<platformCommon:country>{address.country}</platformCommon:country>")
        self.elements(
            "platformCommon",
            (
                ("attention", address.attention),
                ("addressee", address.addressee),
                ("addrPhone", address.addr_phone),
                ("addr1", address.addr1),
                ("addr2", address.addr2),
                ("addr3", address.addr3),
                ("city", address.city),
                ("state", address.state),
                ("zip", address.zip),
            ),
            path,
        )
        parts.append("</listRel:addressbookAddress></listRel:addressbook>")

    def line(self, line: SalesOrderLine, path: str) -> None:
        parts = self.parts
        parts.append("<tranSales:item>")
        self.ref("tranSales", "item", line.item, path)
        if line.quantity is not None:
            quantity = _decimal(line.quantity, path + "quantity")
            parts.append(f"<tranSales:quantity>{quantity}</tranSales:quantity>")
        self.elements("tranSales", (("description", line.description),), path)
        self.ref("tranSales", "price", line.price, path)
        if line.rate is not None:
            parts.append(f"<tranSales:rate>{_decimal(line.rate, path + 'rate')}</tranSales:rate>")
        self.custom_fields("tranSales", line.custom_fields, path)
        parts.append("</tranSales:item>")

    def encoded(self, record: NetSuiteRecord, line_count: int) -> EncodedRecord:
        return EncodedRecord(
            external_id=record.external_id,
            record_type=record.record_type,
            xml="".join(self.parts).encode(),
            removed_characters=tuple(self.removed),
            line_count=line_count,
        )


def _record_open(xsi_type: str, external_id: str) -> str:
    if not external_id:
        raise RecordEncodingError("externalId: required by upsert")
    return f'<platformMsgs:record xsi:type="{xsi_type}" externalId="{_key(external_id, "externalId")}">'


def _entity_ref(entity: RecordRef) -> RecordRef:
    # An entity referenced by externalId is a customer unless the mapping says otherwise.
    if entity.external_id is not None and entity.type is None:
        return RecordRef(internal_id=entity.internal_id, external_id=entity.external_id, type="customer")
    return entity


class RecordEncoder:
    """Encode typed records into ``<platformMsgs:record>`` fragments for one endpoint version."""

    __slots__ = ("version",)

    def __init__(self, version: str) -> None:
        self.version = _checked_version(version)

    def encode(self, record: NetSuiteRecord) -> EncodedRecord:
        if isinstance(record, Customer):
            return self._customer(record)
        if isinstance(record, SalesOrder):
            return self._sales_order(record)
        raise TypeError(f"cannot encode {type(record).__name__}")

    def _customer(self, c: Customer) -> EncodedRecord:
        f = _Fragment()
        f.parts.append(_record_open("listRel:Customer", c.external_id))
        f.ref("listRel", "customForm", c.custom_form, "")
        f.flag("listRel", "isPerson", c.is_person)
        names = (("firstName", c.first_name), ("lastName", c.last_name), ("companyName", c.company_name))
        f.elements("listRel", (*names, ("phone", c.phone), ("email", c.email)), "")
        f.ref("listRel", "subsidiary", c.subsidiary, "")
        f.ref("listRel", "currency", c.currency, "")
        if c.addressbook:
            f.parts.append('<listRel:addressbookList replaceAll="true">')
            for i, entry in enumerate(c.addressbook):
                f.addressbook_entry(entry, f"addressbookList[{i}].")
            f.parts.append("</listRel:addressbookList>")
        f.custom_fields("listRel", c.custom_fields, "")
        f.parts.append("</platformMsgs:record>")
        return f.encoded(c, 0)

    def _sales_order(self, so: SalesOrder) -> EncodedRecord:
        f = _Fragment()
        parts = f.parts
        parts.append(_record_open("tranSales:SalesOrder", so.external_id))
        f.ref("tranSales", "customForm", so.custom_form, "")
        f.ref("tranSales", "entity", _entity_ref(so.entity), "")
        f.ref("tranSales", "currency", so.currency, "")
        if so.tran_date is not None:
            parts.append(f"<tranSales:tranDate>{_datetime(so.tran_date, 'tranDate')}</tranSales:tranDate>")
        if so.order_status is not None:
            if so.order_status not in SALES_ORDER_STATUSES:
                raise RecordEncodingError("orderStatus: not a SalesOrderOrderStatus enum value")
            parts.append(f"<tranSales:orderStatus>{so.order_status}</tranSales:orderStatus>")
        f.elements("tranSales", (("otherRefNum", so.other_ref_num), ("memo", so.memo)), "")
        f.ref("tranSales", "subsidiary", so.subsidiary, "")
        if so.lines:
            parts.append('<tranSales:itemList replaceAll="true">')
            for i, line in enumerate(so.lines):
                f.line(line, f"itemList[{i}].")
            parts.append("</tranSales:itemList>")
        f.custom_fields("tranSales", so.custom_fields, "")
        parts.append("</platformMsgs:record>")
        return f.encoded(so, len(so.lines))


@cache
def _envelope_head(version: str) -> bytes:
    ns = namespaces(_checked_version(version))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:xsi="{XSI}"'
        f' xmlns:platformMsgs="{ns.messages}" xmlns:platformCore="{ns.core}"'
        f' xmlns:platformCommon="{ns.common}" xmlns:listRel="{ns.relationships}"'
        f' xmlns:tranSales="{ns.sales}">'
        "<soapenv:Header>"
    ).encode()


_BODY_OPEN = b"</soapenv:Header><soapenv:Body><platformMsgs:upsertList>"
_TAIL = b"</platformMsgs:upsertList></soapenv:Body></soapenv:Envelope>"


@cache
def _preferences_header(preferences: Preferences) -> bytes:
    # Schema order: warningAsError, disableMandatoryCustomFieldValidation,
    # disableSystemNotesForCustomFields, ignoreReadOnlyFields, runServerSuiteScriptAndTriggerWorkflows.
    p = preferences
    values = [
        ("warningAsError", p.warning_as_error),
        ("disableSystemNotesForCustomFields", p.disable_system_notes_for_custom_fields),
        ("ignoreReadOnlyFields", p.ignore_read_only_fields),
        ("runServerSuiteScriptAndTriggerWorkflows", p.run_server_suite_script_and_trigger_workflows),
    ]
    sent = "".join(f"<platformMsgs:{n}>{_bool(v)}</platformMsgs:{n}>" for n, v in values if v is not None)
    return f"<platformMsgs:preferences>{sent}</platformMsgs:preferences>".encode() if sent else b""


def _passport_header(passport: TokenPassport) -> bytes:
    def value(raw: str, name: str) -> str:
        escaped, removed = escape_text(raw)
        if removed:
            # Never show the value: it may be a secret.
            raise ValueError(f"tokenPassport {name} contains characters XML cannot carry")
        return escaped

    if passport.algorithm not in _SIGNATURE_ALGORITHMS:
        raise ValueError(f"tokenPassport algorithm must be one of {sorted(_SIGNATURE_ALGORITHMS)}")
    return (
        "<platformMsgs:tokenPassport>"
        f"<platformCore:account>{value(passport.account, 'account')}</platformCore:account>"
        f"<platformCore:consumerKey>{value(passport.consumer_key, 'consumerKey')}</platformCore:consumerKey>"
        f"<platformCore:token>{value(passport.token, 'token')}</platformCore:token>"
        f"<platformCore:nonce>{value(passport.nonce, 'nonce')}</platformCore:nonce>"
        f"<platformCore:timestamp>{int(passport.timestamp)}</platformCore:timestamp>"
        f'<platformCore:signature algorithm="{passport.algorithm}">'
        f"{value(passport.signature, 'signature')}</platformCore:signature>"
        "</platformMsgs:tokenPassport>"
    ).encode()


def build_upsert_list(
    fragments: Sequence[bytes],
    passport: TokenPassport,
    *,
    version: str,
    preferences: Preferences = Preferences(),
) -> bytes:
    """Wrap encoded record fragments into one ``upsertList`` request body (UTF-8)."""
    if not fragments:
        raise ValueError("upsertList needs at least one record")
    header = _passport_header(passport) + _preferences_header(preferences)
    return b"".join([_envelope_head(version), header, _BODY_OPEN, *fragments, _TAIL])


def _request(passport: TokenPassport, version: str, body: str) -> bytes:
    """An envelope holding one operation element ``body`` (and the passport header)."""
    return b"".join(
        [
            _envelope_head(version),
            _passport_header(passport),
            b"</soapenv:Header><soapenv:Body>",
            body.encode(),
            b"</soapenv:Body></soapenv:Envelope>",
        ]
    )


def build_get_server_time(passport: TokenPassport, *, version: str) -> bytes:
    """A ``getServerTime`` request body (UTF-8): the cheapest call NetSuite authenticates."""
    return _request(passport, version, "<platformMsgs:getServerTime/>")


def build_get_account_governance_info(passport: TokenPassport, *, version: str) -> bytes:
    """A ``getAccountGovernanceInfo`` request (no arguments): the account's concurrency limits."""
    return _request(passport, version, "<platformMsgs:getAccountGovernanceInfo/>")


def build_get_integration_governance_info(passport: TokenPassport, *, version: str) -> bytes:
    """A ``getIntegrationGovernanceInfo`` request (no arguments): this integration's limit."""
    return _request(passport, version, "<platformMsgs:getIntegrationGovernanceInfo/>")


def build_get(
    passport: TokenPassport,
    *,
    version: str,
    record_type: str,
    external_id: str | None = None,
    internal_id: str | None = None,
) -> bytes:
    """A ``get`` of one record by externalId or internalId (exactly one of them)."""
    if (external_id is None) == (internal_id is None):
        raise ValueError("get needs exactly one of external_id and internal_id")
    key = (
        f'externalId="{_key(external_id, "externalId")}"'
        if external_id is not None
        else f'internalId="{_key(internal_id or "", "internalId")}"'
    )
    return _request(
        passport,
        version,
        '<platformMsgs:get><platformMsgs:baseRef xsi:type="platformCore:RecordRef"'
        f' {key} type="{_key(record_type, "type")}"/></platformMsgs:get>',
    )


def build_get_select_value(
    passport: TokenPassport, *, version: str, record_type: str, field: str, page_index: int = 1
) -> bytes:
    """A ``getSelectValue`` of one page (from 1) of the values ``field`` of ``record_type`` accepts."""
    if page_index < 1:
        raise ValueError("getSelectValue pages count from 1")
    return _request(
        passport,
        version,
        "<platformMsgs:getSelectValue><platformMsgs:fieldDescription>"
        f"<platformCore:recordType>{_key(record_type, 'recordType')}</platformCore:recordType>"
        f"<platformCore:field>{_key(field, 'field')}</platformCore:field>"
        f"</platformMsgs:fieldDescription><platformMsgs:pageIndex>{page_index}</platformMsgs:pageIndex>"
        "</platformMsgs:getSelectValue>",
    )
