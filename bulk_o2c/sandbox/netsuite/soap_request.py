"""Reading a SuiteTalk request (``upsertList``, ``get``, or a call without arguments:
``getServerTime`` and the two governance calls): hardened XML parsing into passport and values.

Rules this module owns:
- The parser never loads a DTD, resolves an entity or touches the network; a document that declares
  a DOCTYPE is refused outright.
- Every NetSuite namespace in the body (element names and ``xsi:type`` values) must carry the
  endpoint version of the URL; one stray version rejects the request with ``invalidVersionFault``.
- Like NetSuite, the reader is lenient about where ``tokenPassport`` children live (core namespace,
  messages namespace or none): they are matched by local name.
- The Body's first element must be the operation the SOAPAction named, in the messages namespace of
  the endpoint version. ``getServerTime``, ``getAccountGovernanceInfo`` and
  ``getIntegrationGovernanceInfo`` are empty elements; ``upsertList`` needs at least one ``record``;
  ``get`` holds one ``baseRef`` with a ``type`` and an ``externalId`` or an ``internalId``;
  ``getSelectValue`` a ``fieldDescription`` (``recordType``, ``field``) and a ``pageIndex`` from 1.
- Record fields become plain values: text for a leaf, a dict of attributes for a reference
  (``{"internalId": "1"}``), a list for any ``...List`` sublist, a dict for any other complex
  element. ``xsi:type`` annotations inside a record are dropped; they add nothing to the value,
  except that a ``MultiSelectCustomFieldRef``'s ``value`` is always a list of references (one
  reference or many). A child repeated anywhere else becomes a list too, so no value is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeAlias

from lxml import etree

from bulk_o2c.protocol.netsuite.namespaces import SOAP_ENV, XSI, namespaces
from bulk_o2c.sandbox.netsuite.outcomes import SoapFault, unreadable_request, version_mismatch

FieldValue: TypeAlias = "str | dict[str, FieldValue] | list[FieldValue]"
Fields: TypeAlias = "dict[str, FieldValue]"

_NETSUITE_NS = re.compile(r"^urn:(?:types\.)?[a-z]+_(\d{4}_\d)\.[a-z]+\.webservices\.netsuite\.com$", re.I)
_VERSION_TEXT = re.compile(rb"urn:(?:types\.)?[a-z]+_(\d{4}_\d)\.[a-z]+\.webservices\.netsuite\.com", re.I)
_XSI_TYPE = f"{{{XSI}}}type"
_MULTI_SELECT = "MultiSelectCustomFieldRef"
_PASSPORT_FIELDS = ("account", "consumerKey", "token", "nonce", "timestamp", "signature")


class RequestRejected(Exception):
    """The request cannot be processed at all; ``fault`` is what to answer."""

    def __init__(self, fault: SoapFault) -> None:
        super().__init__(fault.code)
        self.fault = fault


@dataclass(frozen=True, slots=True)
class Passport:
    account: str
    consumer_key: str = field(repr=False)
    token: str = field(repr=False)
    nonce: str
    timestamp: str
    signature: str = field(repr=False)
    algorithm: str


@dataclass(frozen=True, slots=True)
class IncomingRecord:
    """One ``record`` element. ``record_type`` is None for types this account does not emulate."""

    record_type: str | None
    type_name: str
    external_id: str | None
    internal_id: str | None
    fields: Fields


@dataclass(frozen=True, slots=True)
class UpsertRequest:
    passport: Passport | None
    # Another authentication header beside tokenPassport (NetSuite: "Ambiguous authentication").
    other_authentication: bool
    records: tuple[IncomingRecord, ...]


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A call without arguments (``getServerTime``, the governance calls): authentication only."""

    passport: Passport | None
    other_authentication: bool


@dataclass(frozen=True, slots=True)
class GetRequest:
    """A ``get``: one record by its type and one of its keys."""

    passport: Passport | None
    other_authentication: bool
    record_type: str
    external_id: str | None
    internal_id: str | None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER = _parser()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _check_versions(body: bytes, root: etree._Element, version: str) -> None:
    """Every NetSuite namespace used by an element or an ``xsi:type`` must be the endpoint's."""
    # Fast path: a UTF-8 document that spells only the endpoint's version cannot use another one.
    if {match.group(1) for match in _VERSION_TEXT.finditer(body)} == {version.encode()}:
        return
    seen: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        names = [_namespace(element.tag)]
        xsi_type = element.get(_XSI_TYPE)
        if xsi_type and ":" in xsi_type:
            names.append(element.nsmap.get(xsi_type.partition(":")[0]) or "")
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            match = _NETSUITE_NS.match(name)
            if match and match.group(1) != version:
                raise RequestRejected(version_mismatch(version, match.group(1)))


def _value(element: etree._Element) -> FieldValue:
    # Every child is an element: the parser drops comments and PIs, and a DOCTYPE (the only source
    # of entity nodes) has been refused before values are read.
    attrib = element.attrib
    attributes: Fields = (
        {_local(str(k)): str(v) for k, v in attrib.items() if k != _XSI_TYPE} if attrib else {}
    )
    if not len(element):
        text = element.text or ""
        if not attributes:
            return text
        if text.strip():
            attributes["value"] = text
        return attributes
    if element.tag.endswith("List"):
        return [_value(child) for child in element]
    grouped: dict[str, list[FieldValue]] = {}
    for child in element:
        grouped.setdefault(_local(child.tag), []).append(_value(child))
    multi_select = (attrib.get(_XSI_TYPE) or "").endswith(_MULTI_SELECT)
    for name, values in grouped.items():
        many = len(values) > 1 or (multi_select and name == "value")
        attributes[name] = values if many else values[0]
    return attributes


def _passport(element: etree._Element) -> Passport:
    found: dict[str, etree._Element] = {}
    for child in element:
        if isinstance(child.tag, str):
            found[_local(child.tag)] = child
    missing = [name for name in _PASSPORT_FIELDS if name not in found]
    if missing:
        raise RequestRejected(unreadable_request(f"tokenPassport lacks {', '.join(missing)}"))
    text = {name: (found[name].text or "").strip() for name in _PASSPORT_FIELDS}
    return Passport(
        account=text["account"],
        consumer_key=text["consumerKey"],
        token=text["token"],
        nonce=text["nonce"],
        timestamp=text["timestamp"],
        signature=text["signature"],
        algorithm=found["signature"].get("algorithm", ""),
    )


def _record_type(element: etree._Element, version: str) -> tuple[str | None, str]:
    xsi_type = element.get(_XSI_TYPE) or ""
    prefix, _, name = xsi_type.rpartition(":")
    namespace = element.nsmap.get(prefix or None, "")
    ns = namespaces(version)
    if namespace == ns.relationships and name == "Customer":
        return "customer", name
    if namespace == ns.sales and name == "SalesOrder":
        return "salesOrder", name
    return None, name or xsi_type


def _record(element: etree._Element, version: str) -> IncomingRecord:
    record_type, type_name = _record_type(element, version)
    fields: Fields = {}
    for child in element:
        if isinstance(child.tag, str):
            fields[_local(child.tag)] = _value(child)
    return IncomingRecord(
        record_type=record_type,
        type_name=type_name,
        external_id=element.get("externalId"),
        internal_id=element.get("internalId"),
        fields=fields,
    )


def _read_envelope(
    body: bytes, version: str, operation_name: str
) -> tuple[etree._Element, Passport | None, bool]:
    """The operation element (checked to be ``operation_name``), the passport and whether another
    authentication header came with it; or raise RequestRejected."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise RequestRejected(unreadable_request("The request is not well-formed XML.")) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise RequestRejected(unreadable_request("A DOCTYPE is not allowed in a SOAP request."))
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise RequestRejected(unreadable_request("The request is not a SOAP 1.1 envelope."))
    _check_versions(body, root, version)
    header = root.find(f"{{{SOAP_ENV}}}Header")
    body_element = root.find(f"{{{SOAP_ENV}}}Body")
    operation = None if body_element is None else next(body_element.iterchildren(tag=etree.Element), None)
    if operation is None or operation.tag != f"{{{namespaces(version).messages}}}{operation_name}":
        raise RequestRejected(
            unreadable_request(f"The SOAPAction is {operation_name}: the Body must hold {operation_name}.")
        )

    passport = None
    other_authentication = False
    for element in () if header is None else header.iterchildren(tag=etree.Element):
        name = _local(element.tag)
        if name == "tokenPassport":
            passport = _passport(element)
        elif name in ("applicationInfo", "passport"):
            other_authentication = True
    return operation, passport, other_authentication


def parse_upsert_request(body: bytes, version: str) -> UpsertRequest:
    """Read an ``upsertList`` envelope sent to the ``version`` endpoint, or raise RequestRejected."""
    operation, passport, other_authentication = _read_envelope(body, version, "upsertList")
    records = tuple(
        _record(element, version)
        for element in operation.iterchildren(tag=etree.Element)
        if _local(element.tag) == "record"
    )
    if not records:
        raise RequestRejected(unreadable_request("upsertList needs at least one record."))
    return UpsertRequest(passport=passport, other_authentication=other_authentication, records=records)


def parse_call_request(body: bytes, version: str, operation_name: str) -> CallRequest:
    """Read an envelope of a call without arguments (``operation_name``), or raise RequestRejected."""
    operation, passport, other_authentication = _read_envelope(body, version, operation_name)
    if next(operation.iterchildren(tag=etree.Element), None) is not None:
        raise RequestRejected(unreadable_request(f"{operation_name} takes no arguments."))
    return CallRequest(passport=passport, other_authentication=other_authentication)


@dataclass(frozen=True, slots=True)
class SelectValueRequest:
    passport: Passport | None
    other_authentication: bool
    record_type: str
    field: str
    page_index: int


def parse_select_value_request(body: bytes, version: str) -> SelectValueRequest:
    """Read a ``getSelectValue`` envelope, or raise RequestRejected."""
    operation, passport, other_authentication = _read_envelope(body, version, "getSelectValue")
    values = {_local(child.tag): child for child in operation.iterchildren(tag=etree.Element)}
    description, page_element = values.get("fieldDescription"), values.get("pageIndex")
    page = "" if page_element is None else page_element.text or ""
    fields = {} if description is None else {_local(c.tag): (c.text or "").strip() for c in description}
    if not fields.get("field") or not page.strip().isdigit() or int(page) < 1:
        raise RequestRejected(
            unreadable_request("getSelectValue needs a fieldDescription with a field and a pageIndex from 1.")
        )
    return SelectValueRequest(
        passport, other_authentication, fields.get("recordType", ""), fields["field"], int(page)
    )


def parse_get_request(body: bytes, version: str) -> GetRequest:
    """Read a ``get`` envelope, or raise RequestRejected."""
    operation, passport, other_authentication = _read_envelope(body, version, "get")
    refs = list(operation.iterchildren(tag=etree.Element))
    if len(refs) != 1 or _local(refs[0].tag) != "baseRef":
        raise RequestRejected(unreadable_request("get takes exactly one baseRef."))
    ref = refs[0]
    record_type, external_id, internal_id = ref.get("type"), ref.get("externalId"), ref.get("internalId")
    if not record_type or (external_id is None) == (internal_id is None):
        raise RequestRejected(
            unreadable_request("get needs a type and either an externalId or an internalId.")
        )
    return GetRequest(passport, other_authentication, record_type, external_id, internal_id)
