"""Parse an ``upsertListResponse`` into per-record outcomes, a ``getServerTimeResponse`` into
NetSuite's clock, the two governance answers into ``Governance``, a ``getResponse`` into the record
fetched, or a SOAP Fault into a typed error.

Rules this module owns:
- The parser is locked down: no DTD loading, no entity substitution, no network, no huge trees, and
  the body is read as UTF-8 whatever its XML declaration says (NetSuite only sends UTF-8), so a byte
  search for ``<!DOCTYPE`` reliably refuses every document that declares a DTD before it is parsed.
  A DTD has no business in a SOAP message (SOAP 1.1 section 3) and is how entity bombs and external
  entities get in; such a body raises ``MalformedResponseError`` and nothing is expanded.
- Any endpoint version is accepted: the version is read from the response element's namespace
  (``urn:messages_NNNN_N...``) and the tags for it are built once and cached.
- Outcomes are paired with the records sent by their keys (``matching``), not by the order of the
  ``writeResponse`` elements: an answer that does not pair off one for one raises
  ``ResponseMismatchError`` (transient) and yields no outcome at all.
- ``afterSubmitFailed`` is also read under Oracle's sample spelling ``aftersubmitFailed``.
- A Fault body raises the ``faults.SoapFault`` subclass its name and code call for; a body that is
  not a well-formed SOAP envelope raises ``MalformedResponseError`` (transient). A
  ``getServerTimeResult`` (or governance result, or ``readResponse``) whose status is not a success
  raises the fault its first detail's code calls for; a ``get`` answered ``RCRD_DSNT_EXIST`` is no
  record (None), not an error.
- A fetched record must be the one asked for: its externalId (or internalId) is compared with the
  request's, and another record raises ``ResponseMismatchError``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from lxml import etree

from bulk_o2c.errors import ResponseMismatchError
from bulk_o2c.protocol.netsuite.faults import MalformedResponseError, SoapFault, fault_from
from bulk_o2c.protocol.netsuite.governance import Governance, limit_figure, limit_type, whole_number
from bulk_o2c.protocol.netsuite.matching import SentKey, match_outcomes
from bulk_o2c.protocol.netsuite.namespaces import SOAP_ENV, XSI, namespaces
from bulk_o2c.protocol.netsuite.outcomes import StatusDetail, WriteOutcome

__all__ = [
    "FetchedRecord",
    "SelectValues",
    "SentKey",
    "StatusDetail",
    "WriteOutcome",
    "parse_account_governance_response",
    "parse_fault",
    "parse_get_response",
    "parse_get_select_value_response",
    "parse_get_server_time_response",
    "parse_integration_governance_response",
    "parse_upsert_list_response",
]

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_MESSAGES_NS = re.compile(r"\{urn:messages_(\d{4}_\d)\.platform\.webservices\.netsuite\.com\}")
_FAULTS_NS_PREFIX = "{urn:faults_"
_TRUE = frozenset({"true", "1"})
_XSI_TYPE = f"{{{XSI}}}type"

_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; callers may parse in a worker thread.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            encoding="utf-8",
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


@dataclass(frozen=True, slots=True)
class _Tags:
    upsert_list_response: str
    write_response_list: str
    write_response: str
    status: str
    status_detail: str
    code: str
    message: str
    after_submit_failed: str
    after_submit_failed_oracle: str
    base_ref: str
    get_server_time_response: str
    get_server_time_result: str
    server_time: str
    core: str
    messages: str


@cache
def _tags(version: str) -> _Tags:
    ns = namespaces(version)
    msgs, core = f"{{{ns.messages}}}", f"{{{ns.core}}}"
    return _Tags(
        upsert_list_response=f"{msgs}upsertListResponse",
        write_response_list=f"{msgs}writeResponseList",
        write_response=f"{msgs}writeResponse",
        status=f"{core}status",
        status_detail=f"{core}statusDetail",
        code=f"{core}code",
        message=f"{core}message",
        after_submit_failed=f"{core}afterSubmitFailed",
        after_submit_failed_oracle=f"{core}aftersubmitFailed",
        base_ref=f"{msgs}baseRef",
        get_server_time_response=f"{msgs}getServerTimeResponse",
        get_server_time_result=f"{core}getServerTimeResult",
        server_time=f"{core}serverTime",
        core=core,
        messages=msgs,
    )


def _body_payload(body: bytes) -> etree._Element:
    """Return the first element inside soapenv:Body."""
    # Complete because the parser reads UTF-8 only, where a DOCTYPE is always these literal bytes.
    if b"<!DOCTYPE" in body:
        raise MalformedResponseError("response declares a DTD; refused without parsing it")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponseError(f"response is not well-formed XML: {exc.msg}") from exc
    if root.tag != _ENVELOPE:
        raise MalformedResponseError(f"response root is {root.tag!r}, not a SOAP 1.1 Envelope")
    soap_body = root.find(_BODY)
    if soap_body is not None:
        for child in soap_body.iterchildren(tag=etree.Element):
            return child
    raise MalformedResponseError("response has no SOAP Body content")


def _fault(fault: etree._Element) -> SoapFault:
    fault_string, detail = "", None
    for child in fault.iterchildren(tag=etree.Element):
        local = etree.QName(child).localname
        if local == "faultstring":
            fault_string = (child.text or "").strip()
        elif local == "detail":
            detail = child
    if detail is not None:
        for child in detail.iterchildren(tag=etree.Element):
            if child.tag.startswith(_FAULTS_NS_PREFIX):
                qname = etree.QName(child)
                ns = f"{{{qname.namespace}}}"
                code = (child.findtext(f"{ns}code") or "").strip()
                message = (child.findtext(f"{ns}message") or "").strip() or fault_string
                return fault_from(qname.localname, code, message)
    return fault_from("", "", fault_string)


def _is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUE


def _first_children(element: etree._Element, wanted: tuple[str, ...]) -> list[etree._Element | None]:
    """The first child with each tag of ``wanted``, in one pass over the children.

    The per-record cost of a response is mostly finding children: one pass instead of a ``find``
    per tag (each of which walks the children again) halves it.
    """
    found: list[etree._Element | None] = [None] * len(wanted)
    for child in element:
        tag = child.tag
        if tag in wanted:
            index = wanted.index(tag)
            if found[index] is None:
                found[index] = child
    return found


def _text(element: etree._Element | None) -> str:
    return "" if element is None else (element.text or "").strip()


def _detail(element: etree._Element, tags: _Tags) -> StatusDetail:
    code, message, after, after_oracle = _first_children(
        element, (tags.code, tags.message, tags.after_submit_failed, tags.after_submit_failed_oracle)
    )
    flag = after if after is not None else after_oracle
    return StatusDetail(
        code=_text(code),
        message=_text(message),
        type=element.get("type", "ERROR"),
        after_submit_failed=flag is not None and _is_true(flag.text or ""),
    )


def _outcome(write_response: etree._Element, tags: _Tags) -> WriteOutcome:
    status, ref = _first_children(write_response, (tags.status, tags.base_ref))
    if status is None:
        raise MalformedResponseError("writeResponse without a status")
    return WriteOutcome(
        is_success=_is_true(status.get("isSuccess")),
        internal_id=None if ref is None else ref.get("internalId"),
        external_id=None if ref is None else ref.get("externalId"),
        record_type=None if ref is None else ref.get("type"),
        details=tuple(_detail(d, tags) for d in status.iterchildren(tags.status_detail)),
    )


def _response(body: bytes, name: str) -> tuple[etree._Element, _Tags]:
    """The Body's response element, named ``name`` in its version's messages namespace, and the
    tags of that version; the typed fault for a Fault body."""
    payload = _body_payload(body)
    if payload.tag == _FAULT:
        raise _fault(payload)
    match = _MESSAGES_NS.match(payload.tag)
    if match is None or etree.QName(payload).localname != name:
        raise MalformedResponseError(f"expected {name}, got {payload.tag!r}")
    return payload, _tags(match.group(1))


def parse_upsert_list_response(body: bytes, sent: Sequence[SentKey]) -> list[WriteOutcome]:
    """One outcome per record of ``sent`` (its record type and externalId), in the order of
    ``sent``; raise the typed fault for a Fault body, ``ResponseMismatchError`` for an answer that
    does not pair off with ``sent``."""
    payload, tags = _response(body, "upsertListResponse")
    write_response_list = payload.find(tags.write_response_list)
    if write_response_list is None:
        raise MalformedResponseError("upsertListResponse without a writeResponseList")
    outcomes = [_outcome(wr, tags) for wr in write_response_list.iterchildren(tags.write_response)]
    return match_outcomes(outcomes, sent)


def _result(body: bytes, response: str, result: str, namespace: str = "core") -> tuple[etree._Element, _Tags]:
    """The successful ``result`` element of a ``response`` answer; the typed fault for a Fault body
    or for a status that is not a success."""
    payload, tags = _response(body, response)
    element = payload.find((tags.core if namespace == "core" else tags.messages) + result)
    status = None if element is None else element.find(tags.status)
    if element is None or status is None:
        raise MalformedResponseError(f"{response} without a result status")
    if not _is_true(status.get("isSuccess")):
        detail = next(status.iterchildren(tags.status_detail), None)
        if detail is None:
            raise fault_from("", "", f"{response} reports a refusal without a reason")
        refused = _detail(detail, tags)
        raise fault_from("", refused.code, refused.message)
    return element, tags


def parse_get_server_time_response(body: bytes) -> datetime:
    """NetSuite's clock (timezone-aware); raise the typed fault for a Fault body or a refusal."""
    result, tags = _result(body, "getServerTimeResponse", "getServerTimeResult")
    text = _text(result.find(tags.server_time))
    try:
        server_time = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedResponseError(f"getServerTime answered an unreadable serverTime {text!r}") from None
    if server_time.tzinfo is None:
        raise MalformedResponseError(f"getServerTime answered a serverTime without a zone {text!r}")
    return server_time


def _figure(result: etree._Element, tags: _Tags, name: str) -> int | None:
    element = result.find(tags.core + name)
    return None if element is None else limit_figure(_text(element), name)


def parse_account_governance_response(body: bytes) -> Governance:
    """The account's limits from ``getAccountGovernanceInfoResponse``."""
    result, tags = _result(body, "getAccountGovernanceInfoResponse", "getAccountGovernanceInfoResult")
    return Governance(
        source="SOAP",
        account_limit=_figure(result, tags, "accountConcurrencyLimit"),
        unallocated_limit=_figure(result, tags, "unallocatedConcurrencyLimit"),
    )


def parse_integration_governance_response(body: bytes) -> Governance:
    """This integration's limit from ``getIntegrationGovernanceInfoResponse``."""
    result, tags = _result(body, "getIntegrationGovernanceInfoResponse", "getIntegrationGovernanceInfoResult")
    kind = result.find(tags.core + "limitType")
    return Governance(
        source="SOAP",
        integration_limit=_figure(result, tags, "integrationConcurrencyLimit"),
        limit_type=None if kind is None else limit_type(_text(kind)),
    )


@dataclass(frozen=True, slots=True)
class FetchedRecord:
    """One record a ``get`` returned: its keys, its schema type and its top-level fields.

    ``fields`` holds each simple field's text, and each reference's internalId (or its name when it
    has none); sublists and custom fields are left out.
    """

    record_type: str
    internal_id: str | None
    external_id: str | None
    fields: dict[str, str]


def _fields(record: etree._Element) -> dict[str, str]:
    fields: dict[str, str] = {}
    for child in record.iterchildren(tag=etree.Element):
        name = etree.QName(child).localname
        if len(child):
            continue  # a sublist or a list of custom fields
        value = child.get("internalId") or _text(child)
        if value:
            fields[name] = value
    return fields


def parse_get_response(
    body: bytes, *, external_id: str | None = None, internal_id: str | None = None
) -> FetchedRecord | None:
    """The record a ``get`` asked for by one of its keys, or None when NetSuite has no such record
    (``RCRD_DSNT_EXIST``); the typed fault for any other refusal (a role without permission)."""
    try:
        read, tags = _result(body, "getResponse", "readResponse", namespace="messages")
    except SoapFault as fault:
        if fault.code == "RCRD_DSNT_EXIST":
            return None
        raise
    record = read.find(tags.messages + "record")
    if record is None:
        raise MalformedResponseError("getResponse reports a success without a record")
    found = FetchedRecord(
        record_type=record.get(_XSI_TYPE, "").rpartition(":")[2],
        internal_id=record.get("internalId"),
        external_id=record.get("externalId"),
        fields=_fields(record),
    )
    asked = (found.external_id, external_id) if external_id is not None else (found.internal_id, internal_id)
    if asked[0] != asked[1]:
        raise ResponseMismatchError("get answered a record other than the one asked for")
    return found


@dataclass(frozen=True, slots=True)
class SelectValues:
    """One page of a ``getSelectValue`` answer: the internal ids listed, and the pages in all."""

    internal_ids: tuple[str, ...]
    total_pages: int


def parse_get_select_value_response(body: bytes) -> SelectValues:
    result, tags = _result(body, "getSelectValueResponse", "getSelectValueResult")
    total_pages = whole_number(_text(result.find(tags.core + "totalPages")) or "0")
    if total_pages is None:
        raise MalformedResponseError("getSelectValue answered a totalPages that is not a whole number")
    refs = result.find(tags.core + "baseRefList")
    ids = (
        ()
        if refs is None
        else tuple(r.get("internalId") or "" for r in refs.iterchildren(tags.core + "baseRef"))
    )
    return SelectValues(tuple(i for i in ids if i), total_pages)


def parse_fault(body: bytes) -> SoapFault | None:
    """Return the typed fault a body carries, or None when it is a SOAP envelope without a Fault."""
    payload = _body_payload(body)
    return _fault(payload) if payload.tag == _FAULT else None
