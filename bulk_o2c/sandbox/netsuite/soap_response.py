"""Rendering ``upsertListResponse``, ``getServerTimeResponse``, the governance answers,
``getResponse`` and SOAP faults as NetSuite lays them out.

Rules this module owns:
- Namespaces are those of the request's endpoint version. The layout follows Oracle's samples
  (reference section 1.7): a ``documentInfo`` header, ``upsertListResponse`` in the messages
  namespace as default namespace, ``platformCore`` declared again on every status and baseRef.
- One ``writeResponse`` per input record, in input order; ``baseRef`` is
  ``xsi:type="platformCore:RecordRef"`` with internalId only when the record was written, and
  ``type`` only for a record type the account knows.
- ``getServerTimeResponse`` (messages namespace, prefix ``platformMsgs``) holds one
  ``platformCore:getServerTimeResult``: ``status isSuccess="true"`` then ``serverTime``, an
  ``xsd:dateTime`` in UTC with milliseconds (``2026-11-27T20:21:03.123Z``). It carries the same
  ``documentInfo`` header as every other answer. The governance answers have the same layout:
  ``getAccountGovernanceInfoResult`` with ``accountConcurrencyLimit`` and
  ``unallocatedConcurrencyLimit``; ``getIntegrationGovernanceInfoResult`` with
  ``integrationConcurrencyLimit`` (only for an integration-specific limit) and ``limitType``
  (``_integrationSpecific`` or ``_account``, the XSD's spelling).
- ``getSelectValueResponse``: a success status, ``totalRecords``, ``totalPages`` and a
  ``baseRefList`` of RecordRefs (internalId only).
- ``getResponse`` holds ``readResponse``: a status (its detail when it failed) and, on success, the
  record with ``internalId``/``externalId`` attributes and its stored top-level fields in schema
  order (texts, and references as ``internalId`` attributes); sublists are not sent back.
- Faults follow ``examples/fault_concurrency_tba_2024_2.xml``: ``faultcode``, ``faultstring``,
  and a ``detail`` with the platformFaults element, its code and message, and the host name.
- Every value that came from a client or a message is escaped; nothing is formatted in unescaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from bulk_o2c.protocol.netsuite.namespaces import SOAP_ENV, XSI, namespaces
from bulk_o2c.sandbox.netsuite.outcomes import SoapFault, StatusDetail, WriteOutcome
from bulk_o2c.sandbox.netsuite.reading import ITEM_TYPES, ReadOutcome

_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'
_ENVELOPE_OPEN = (
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" '
    f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="{XSI}">'
)
HOSTNAME = "bulk-o2c-sandbox"


def _attr(value: str) -> str:
    return escape(value, _ATTRIBUTE_ENTITIES)


def _status_detail(detail: StatusDetail) -> str:
    return (
        f'<platformCore:statusDetail type="{detail.type}"><platformCore:code>{escape(detail.code)}'
        f"</platformCore:code><platformCore:message>{escape(detail.message)}</platformCore:message>"
        "</platformCore:statusDetail>"
    )


def _write_response(outcome: WriteOutcome, core: str) -> str:
    success = "true" if outcome.is_success else "false"
    status_open = f'<platformCore:status isSuccess="{success}" xmlns:platformCore="{core}"'
    if outcome.details:
        details = "".join(_status_detail(detail) for detail in outcome.details)
        status = f"{status_open}>{details}</platformCore:status>"
    else:
        status = f"{status_open}/>"
    ref = ["<baseRef"]
    if outcome.internal_id is not None:
        ref.append(f' internalId="{_attr(outcome.internal_id)}"')
    if outcome.external_id is not None:
        ref.append(f' externalId="{_attr(outcome.external_id)}"')
    if outcome.record_type is not None:
        ref.append(f' type="{outcome.record_type}"')
    ref.append(f' xsi:type="platformCore:RecordRef" xmlns:platformCore="{core}"/>')
    return f"<writeResponse>{status}{''.join(ref)}</writeResponse>"


def _header(messages_ns: str, ns_id: str) -> str:
    return (
        f'<soapenv:Header><platformMsgs:documentInfo xmlns:platformMsgs="{messages_ns}">'
        f"<platformMsgs:nsId>{escape(ns_id)}</platformMsgs:nsId></platformMsgs:documentInfo></soapenv:Header>"
    )


def render_upsert_response(version: str, ns_id: str, outcomes: Sequence[WriteOutcome]) -> bytes:
    ns = namespaces(version)
    body = "".join(_write_response(outcome, ns.core) for outcome in outcomes)
    return (
        f"{_PROLOG}{_ENVELOPE_OPEN}{_header(ns.messages, ns_id)}"
        f'<soapenv:Body><upsertListResponse xmlns="{ns.messages}">'
        f"<writeResponseList>{body}</writeResponseList></upsertListResponse></soapenv:Body></soapenv:Envelope>"
    ).encode()


def server_time_text(epoch_s: float) -> str:
    """``xsd:dateTime`` of a Unix time, in UTC to the millisecond: ``2026-11-27T20:21:03.123Z``."""
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _result_response(version: str, ns_id: str, operation: str, result: str) -> bytes:
    """``<operation>Response`` holding one ``<operation>Result``: a success status, then ``result``."""
    ns = namespaces(version)
    return (
        f"{_PROLOG}{_ENVELOPE_OPEN}{_header(ns.messages, ns_id)}"
        f'<soapenv:Body><platformMsgs:{operation}Response xmlns:platformMsgs="{ns.messages}">'
        f'<platformCore:{operation}Result xmlns:platformCore="{ns.core}">'
        f'<platformCore:status isSuccess="true"/>{result}'
        f"</platformCore:{operation}Result></platformMsgs:{operation}Response>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def render_server_time_response(version: str, ns_id: str, epoch_s: float) -> bytes:
    server_time = f"<platformCore:serverTime>{server_time_text(epoch_s)}</platformCore:serverTime>"
    return _result_response(version, ns_id, "getServerTime", server_time)


def render_account_governance_response(
    version: str, ns_id: str, account_limit: int, unallocated: int
) -> bytes:
    return _result_response(
        version,
        ns_id,
        "getAccountGovernanceInfo",
        f"<platformCore:accountConcurrencyLimit>{account_limit}</platformCore:accountConcurrencyLimit>"
        f"<platformCore:unallocatedConcurrencyLimit>{unallocated}</platformCore:unallocatedConcurrencyLimit>",
    )


def render_integration_governance_response(version: str, ns_id: str, integration_limit: int | None) -> bytes:
    name = "platformCore:integrationConcurrencyLimit"
    limit = "" if integration_limit is None else f"<{name}>{integration_limit}</{name}>"
    kind = "_account" if integration_limit is None else "_integrationSpecific"
    return _result_response(
        version,
        ns_id,
        "getIntegrationGovernanceInfo",
        f"{limit}<platformCore:limitType>{kind}</platformCore:limitType>",
    )


def render_select_value_response(
    version: str, ns_id: str, internal_ids: Sequence[str], total_pages: int
) -> bytes:
    refs = "".join(
        f'<platformCore:baseRef xsi:type="platformCore:RecordRef" internalId="{_attr(i)}"/>'
        for i in internal_ids
    )
    return _result_response(
        version,
        ns_id,
        "getSelectValue",
        f"<platformCore:totalRecords>{len(internal_ids)}</platformCore:totalRecords>"
        f"<platformCore:totalPages>{total_pages}</platformCore:totalPages>"
        f"<platformCore:baseRefList>{refs}</platformCore:baseRefList>",
    )


# Schema type, namespace key and the top-level fields sent back, in xsd:sequence order.
_RECORD_LAYOUT: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "customer": (
        "Customer",
        "relationships",
        ("customForm", "isPerson", "companyName", "phone", "email", "subsidiary", "currency"),
    ),
    "salesOrder": (
        "SalesOrder",
        "sales",
        ("customForm", "entity", "currency", "tranDate", "orderStatus", "otherRefNum", "memo", "subsidiary"),
    ),
    "subsidiary": ("Subsidiary", "accounting", ()),
    "priceLevel": ("PriceLevel", "accounting", ()),
    **{kind: (kind[0].upper() + kind[1:], "accounting", ()) for kind in ITEM_TYPES},
}


def _record(read: ReadOutcome, version: str) -> str:
    ns = namespaces(version)
    schema_type, group, names = _RECORD_LAYOUT[read.record_type]
    uri = {
        "relationships": ns.relationships,
        "sales": ns.sales,
        "accounting": f"urn:accounting_{version}.lists.webservices.netsuite.com",
    }[group]
    attrs = "".join(
        f' {name}="{_attr(value)}"'
        for name, value in (("internalId", read.internal_id), ("externalId", read.external_id))
        if value is not None
    )
    fields = read.fields or {}
    parts = []
    for name in names:
        value = fields.get(name)
        if isinstance(value, str):
            parts.append(f"<r:{name}>{escape(value)}</r:{name}>")
        elif isinstance(value, dict) and isinstance(value.get("internalId"), str):
            parts.append(f'<r:{name} internalId="{_attr(str(value["internalId"]))}"/>')
    return (
        f'<platformMsgs:record xsi:type="r:{schema_type}" xmlns:r="{uri}"{attrs}>'
        f"{''.join(parts)}</platformMsgs:record>"
    )


def render_get_response(version: str, ns_id: str, read: ReadOutcome) -> bytes:
    ns = namespaces(version)
    if read.refusal is None:
        status = '<platformCore:status isSuccess="true"/>'
        record = _record(read, version)
    else:
        status = (
            f'<platformCore:status isSuccess="false">{_status_detail(read.refusal)}</platformCore:status>'
        )
        record = ""
    return (
        f"{_PROLOG}{_ENVELOPE_OPEN}{_header(ns.messages, ns_id)}"
        f'<soapenv:Body><platformMsgs:getResponse xmlns:platformMsgs="{ns.messages}">'
        f'<platformMsgs:readResponse xmlns:platformCore="{ns.core}">{status}{record}'
        "</platformMsgs:readResponse>"
        "</platformMsgs:getResponse></soapenv:Body></soapenv:Envelope>"
    ).encode()


def render_fault(version: str, fault: SoapFault) -> bytes:
    detail = ""
    if fault.element is not None:
        faults_ns = namespaces(version).faults
        detail = (
            f'<detail><platformFaults:{fault.element} xmlns:platformFaults="{faults_ns}">'
            f"<platformFaults:code>{escape(fault.code)}</platformFaults:code>"
            f"<platformFaults:message>{escape(fault.message)}</platformFaults:message>"
            f"</platformFaults:{fault.element}>"
            f'<ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">{HOSTNAME}</ns1:hostname></detail>'
        )
    return (
        f"{_PROLOG}{_ENVELOPE_OPEN}<soapenv:Body><soapenv:Fault>"
        f"<faultcode>{fault.faultcode}</faultcode><faultstring>{escape(fault.message)}</faultstring>"
        f"{detail}</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()
