"""Parse an ``upsertListResponse`` into per-record outcomes, a ``getServerTimeResponse`` into
NetSuite's clock, or a SOAP Fault into a typed error.

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
  ``getServerTimeResult`` whose status is not a success raises the fault its first detail's code
  calls for.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from lxml import etree

from bulk_o2c.protocol.netsuite.faults import MalformedResponseError, SoapFault, fault_from
from bulk_o2c.protocol.netsuite.matching import SentKey, match_outcomes
from bulk_o2c.protocol.netsuite.namespaces import SOAP_ENV, namespaces
from bulk_o2c.protocol.netsuite.outcomes import StatusDetail, WriteOutcome

__all__ = [
    "SentKey",
    "StatusDetail",
    "WriteOutcome",
    "parse_fault",
    "parse_get_server_time_response",
    "parse_upsert_list_response",
]

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_MESSAGES_NS = re.compile(r"\{urn:messages_(\d{4}_\d)\.platform\.webservices\.netsuite\.com\}")
_FAULTS_NS_PREFIX = "{urn:faults_"
_TRUE = frozenset({"true", "1"})

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


def parse_get_server_time_response(body: bytes) -> datetime:
    """NetSuite's clock (timezone-aware); raise the typed fault for a Fault body or a refusal."""
    payload, tags = _response(body, "getServerTimeResponse")
    result = payload.find(tags.get_server_time_result)
    status = None if result is None else result.find(tags.status)
    if result is None or status is None:
        raise MalformedResponseError("getServerTimeResponse without a result status")
    if not _is_true(status.get("isSuccess")):
        detail = next(status.iterchildren(tags.status_detail), None)
        if detail is None:
            raise fault_from("", "", "getServerTime was refused without a reason")
        refused = _detail(detail, tags)
        raise fault_from("", refused.code, refused.message)
    text = _text(result.find(tags.server_time))
    try:
        server_time = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedResponseError(f"getServerTime answered an unreadable serverTime {text!r}") from None
    if server_time.tzinfo is None:
        raise MalformedResponseError(f"getServerTime answered a serverTime without a zone {text!r}")
    return server_time


def parse_fault(body: bytes) -> SoapFault | None:
    """Return the typed fault a body carries, or None when it is a SOAP envelope without a Fault."""
    payload = _body_payload(body)
    return _fault(payload) if payload.tag == _FAULT else None
