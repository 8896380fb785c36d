from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bulk_o2c.errors import ResponseMismatchError
from bulk_o2c.protocol.netsuite.faults import (
    ConcurrencyFault,
    MalformedResponseError,
    PermanentFault,
    SessionFault,
)
from bulk_o2c.protocol.netsuite.governance import Governance
from bulk_o2c.protocol.netsuite.response import (
    FetchedRecord,
    SelectValues,
    StatusDetail,
    WriteOutcome,
    parse_account_governance_response,
    parse_fault,
    parse_get_response,
    parse_get_select_value_response,
    parse_get_server_time_response,
    parse_integration_governance_response,
    parse_upsert_list_response,
)
from tests.support.shared_files import example

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(body: str, version: str = "2025_2") -> bytes:
    """A response shaped like NetSuite's: default messages namespace, core declared per element."""
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<soapenv:Header><platformMsgs:documentInfo xmlns:platformMsgs="urn:messages_{version}.platform'
            f'.webservices.netsuite.com"><platformMsgs:nsId>WEBSERVICES_1_x</platformMsgs:nsId>'
            f"</platformMsgs:documentInfo></soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
        )
        .replace("{v}", version)
        .encode()
    )


def upsert_response(*write_responses: str, version: str = "2025_2") -> bytes:
    return envelope(
        '<upsertListResponse xmlns="urn:messages_{v}.platform.webservices.netsuite.com"><writeResponseList>'
        + "".join(write_responses)
        + "</writeResponseList></upsertListResponse>",
        version,
    )


def write_response(status: str, base_ref: str = "") -> str:
    core = 'xmlns:platformCore="urn:core_{v}.platform.webservices.netsuite.com"'
    return (
        f"<writeResponse>{status.replace('CORE', core)}"
        + (f'<baseRef {base_ref} xsi:type="platformCore:RecordRef" {core}/>' if base_ref else "")
        + "</writeResponse>"
    )


def status(is_success: str, *details: str) -> str:
    inner = "".join(details)
    return f'<platformCore:status isSuccess="{is_success}" CORE>{inner}</platformCore:status>'


def status_detail(code: str, message: str, type_: str | None = "ERROR", extra: str = "") -> str:
    type_attr = f' type="{type_}"' if type_ is not None else ""
    return (
        f"<platformCore:statusDetail{type_attr}>{extra}<platformCore:code>{code}</platformCore:code>"
        f"<platformCore:message>{message}</platformCore:message></platformCore:statusDetail>"
    )


def parse_refused(body: bytes) -> list[WriteOutcome]:
    """For bodies refused before their outcomes are paired with the records sent."""
    return parse_upsert_list_response(body, [])


def test_reference_response_example() -> None:
    outcomes = parse_upsert_list_response(
        example("upsertList_response_2024_2.xml"), [("customer", "CUST-0001"), ("salesOrder", "SO-0002")]
    )
    assert outcomes == [
        WriteOutcome(True, "4711", "CUST-0001", "customer", ()),
        WriteOutcome(
            False,
            None,
            "SO-0002",
            "salesOrder",
            (StatusDetail("INVALID_KEY_OR_REF", "Invalid item reference key SKU-999.", "ERROR", False),),
        ),
    ]
    assert [o.saved for o in outcomes] == [True, False]


def test_reference_concurrency_fault_example() -> None:
    body = example("fault_concurrency_tba_2024_2.xml")
    with pytest.raises(ConcurrencyFault) as info:
        parse_refused(body)
    fault = info.value
    assert fault.fault_name == "exceededConcurrentRequestLimitFault"
    assert fault.code == "WS_REQUEST_BLOCKED"
    assert fault.message == "SuiteTalk concurrent request limit exceeded. Request blocked."
    parsed = parse_fault(body)
    assert isinstance(parsed, ConcurrencyFault)
    assert (parsed.fault_name, parsed.code) == (fault.fault_name, fault.code)


def test_parse_fault_returns_none_for_a_normal_response() -> None:
    assert parse_fault(example("upsertList_response_2024_2.xml")) is None


@pytest.mark.parametrize("version", ["2019_1", "2023_2", "2024_2", "2025_2"])
def test_any_endpoint_version(version: str) -> None:
    body = upsert_response(
        write_response(status("true"), 'internalId="1" externalId="A" type="customer"'), version=version
    )
    assert parse_upsert_list_response(body, [("customer", "A")]) == [
        WriteOutcome(True, "1", "A", "customer", ())
    ]


def test_success_with_warnings() -> None:
    body = upsert_response(
        write_response(
            status("true", status_detail("WARNING", "Duplicate phone number.", "WARN")),
            'internalId="77" externalId="C-9" type="customer"',
        )
    )
    (outcome,) = parse_upsert_list_response(body, [("customer", "C-9")])
    assert outcome.is_success
    assert outcome.saved
    assert outcome.warnings == (StatusDetail("WARNING", "Duplicate phone number.", "WARN", False),)
    assert outcome.errors == ()


@pytest.mark.parametrize("spelling", ["afterSubmitFailed", "aftersubmitFailed"])
@pytest.mark.parametrize("value", ["true", "1", " true "])
def test_after_submit_failed_means_saved(spelling: str, value: str) -> None:
    flag = f"<platformCore:{spelling}>{value}</platformCore:{spelling}>"
    detail = (
        '<platformCore:statusDetail type="ERROR"><platformCore:code>USER_ERROR</platformCore:code>'
        f"<platformCore:message>afterSubmit script failed</platformCore:message>{flag}"
        "</platformCore:statusDetail>"
    )
    body = upsert_response(
        write_response(status("false", detail), 'internalId="12" externalId="SO-1" type="salesOrder"')
    )
    (outcome,) = parse_upsert_list_response(body, [("salesOrder", "SO-1")])
    assert not outcome.is_success
    assert outcome.details[0].after_submit_failed
    assert outcome.saved
    assert outcome.internal_id == "12"


def test_oracle_sample_order_with_after_submit_failed_first() -> None:
    detail = status_detail(
        "USER_ERROR", "x", extra="<platformCore:aftersubmitFailed>true</platformCore:aftersubmitFailed>"
    )
    body = upsert_response(
        write_response(status("false", detail), 'internalId="12" externalId="SO-1" type="salesOrder"')
    )
    (outcome,) = parse_upsert_list_response(body, [("salesOrder", "SO-1")])
    assert outcome.saved


def test_after_submit_failed_false_is_not_saved() -> None:
    detail = status_detail(
        "USER_ERROR", "x", extra="<platformCore:afterSubmitFailed>false</platformCore:afterSubmitFailed>"
    )
    body = upsert_response(write_response(status("false", detail)))
    (outcome,) = parse_upsert_list_response(body, [("salesOrder", "SO-1")])
    assert not outcome.saved


def test_errors_are_parsed_in_order_with_default_type_error() -> None:
    body = upsert_response(
        write_response(
            status(
                "false",
                status_detail("USER_ERROR", "Please enter value(s) for: Company Name", type_=None),
                status_detail("INVALID_FLD_VALUE", "Bad &amp; worse &lt;field&gt;", "ERROR"),
                status_detail("INFO", "fyi", "INFO"),
            ),
            'externalId="C-1" type="customer"',
        )
    )
    (outcome,) = parse_upsert_list_response(body, [("customer", "C-1")])
    assert outcome == WriteOutcome(
        False,
        None,
        "C-1",
        "customer",
        (
            StatusDetail("USER_ERROR", "Please enter value(s) for: Company Name", "ERROR", False),
            StatusDetail("INVALID_FLD_VALUE", "Bad & worse <field>", "ERROR", False),
            StatusDetail("INFO", "fyi", "INFO", False),
        ),
    )
    assert [d.code for d in outcome.errors] == ["USER_ERROR", "INVALID_FLD_VALUE"]
    assert outcome.warnings == ()


def test_missing_base_ref_and_missing_is_success() -> None:
    body = upsert_response(
        "<writeResponse><platformCore:status CORE/></writeResponse>".replace(
            "CORE", 'xmlns:platformCore="urn:core_{v}.platform.webservices.netsuite.com"'
        )
    )
    assert parse_upsert_list_response(body, [("customer", "A")]) == [
        WriteOutcome(False, None, None, None, ())
    ]


def test_outcomes_keep_input_order() -> None:
    responses = [
        write_response(
            status("true" if i % 3 else "false"), f'internalId="{i}" externalId="E-{i}" type="customer"'
        )
        for i in range(100)
    ]
    sent = [("customer", f"E-{i}") for i in range(100)]
    outcomes = parse_upsert_list_response(upsert_response(*responses), sent)
    assert [o.external_id for o in outcomes] == [f"E-{i}" for i in range(100)]
    assert [o.is_success for o in outcomes] == [bool(i % 3) for i in range(100)]


def test_a_reordered_answer_gives_each_record_its_own_outcome() -> None:
    sent = [("customer", f"E-{i}") for i in range(5)]
    answered = [4, 2, 0, 3, 1]
    body = upsert_response(
        *(
            write_response(status("true"), f'internalId="{100 + i}" externalId="E-{i}" type="customer"')
            for i in answered
        )
    )
    outcomes = parse_upsert_list_response(body, sent)
    assert [(o.external_id, o.internal_id) for o in outcomes] == [(f"E-{i}", str(100 + i)) for i in range(5)]


@pytest.mark.parametrize(
    ("refs", "problem"),
    [
        (['internalId="1" externalId="A"', 'internalId="2" externalId="Z"'], "not sent"),
        (['internalId="1" externalId="A"', 'internalId="1" externalId="A"'], "more often than it was sent"),
        (['internalId="1" externalId="A"'], "1 outcomes for 2 records"),
        (['internalId="1" externalId="A"', 'externalId="B"'], "without its internalId"),
    ],
    ids=["foreign", "duplicate", "count", "no-internal-id"],
)
def test_an_answer_that_does_not_pair_off_with_the_records_is_refused_whole(
    refs: list[str], problem: str
) -> None:
    body = upsert_response(*(write_response(status("true"), f'{ref} type="customer"') for ref in refs))
    with pytest.raises(ResponseMismatchError, match=problem):
        parse_upsert_list_response(body, [("customer", "A"), ("customer", "B")])


def test_list_level_status_is_not_an_outcome() -> None:
    body = upsert_response(
        status("true").replace("CORE", 'xmlns:platformCore="urn:core_{v}.platform.webservices.netsuite.com"'),
        write_response(status("true"), 'internalId="1" externalId="A" type="customer"'),
    )
    assert len(parse_upsert_list_response(body, [("customer", "A")])) == 1


def test_utf8_bom_and_misdeclared_encoding_are_read_as_utf8() -> None:
    body = upsert_response(
        write_response(
            status("false", status_detail("USER_ERROR", "Müller 😀")), 'externalId="É" type="customer"'
        )
    )
    sent = [("customer", "É")]
    assert parse_upsert_list_response(b"\xef\xbb\xbf" + body, sent)[0].details[0].message == "Müller 😀"
    latin1_declared = body.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    assert parse_upsert_list_response(latin1_declared, sent)[0].external_id == "É"


def test_fault_without_netsuite_detail_is_permanent() -> None:
    body = envelope(
        "<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode>"
        "<faultstring>org.xml.sax.SAXException: '_usa' is not a legal value</faultstring>"
        '<detail><ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">partners</ns1:hostname></detail>'
        "</soapenv:Fault>"
    )
    with pytest.raises(PermanentFault) as info:
        parse_refused(body)
    assert (info.value.fault_name, info.value.code) == ("", "")
    assert "not a legal value" in info.value.message


def test_invalid_session_fault() -> None:
    body = envelope(
        "<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode>"
        "<faultstring>Your connection has timed out. Please log in again.</faultstring><detail>"
        '<platformFaults:invalidSessionFault xmlns:platformFaults="urn:faults_2025_2.platform.webservices'
        '.netsuite.com"><platformFaults:code>SESSION_TIMED_OUT</platformFaults:code>'
        "<platformFaults:message>Session timed out</platformFaults:message>"
        "</platformFaults:invalidSessionFault></detail></soapenv:Fault>"
    )
    fault = parse_fault(body)
    assert isinstance(fault, SessionFault)
    assert (fault.fault_name, fault.code, fault.message) == (
        "invalidSessionFault",
        "SESSION_TIMED_OUT",
        "Session timed out",
    )


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
    + upsert_response(
        write_response(status("false", status_detail("X", "&lol9;")), 'externalId="&lol9;" type="customer"')
    ).split(b"?>", 1)[1]
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + upsert_response(write_response(status("false", status_detail("X", "&xxe;")))).split(b"?>", 1)[1]
)
PARAMETER_ENTITY = (
    b'<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">%remote;]>'
    + upsert_response(write_response(status("true"))).split(b"?>", 1)[1]
)
HTML_ERROR_PAGE = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, HTML_ERROR_PAGE],
    ids=["billion-laughs", "external-entity", "parameter-entity", "html-doctype"],
)
@pytest.mark.parametrize("parse", [parse_refused, parse_fault])
def test_documents_with_a_dtd_are_refused(body: bytes, parse: Callable[[bytes], object]) -> None:
    with pytest.raises(MalformedResponseError, match="DTD"):
        parse(body)


def test_undeclared_entity_is_malformed_not_expanded() -> None:
    body = upsert_response(write_response(status("false", status_detail("X", "&xxe;"))))
    with pytest.raises(MalformedResponseError):
        parse_refused(body)


def test_truncated_bodies_are_malformed() -> None:
    body = upsert_response(
        *(
            write_response(status("true"), f'internalId="{i}" externalId="E{i}" type="customer"')
            for i in range(5)
        )
    )
    for cut in range(0, len(body) - 1, 37):
        with pytest.raises(MalformedResponseError):
            parse_refused(body[:cut])


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"Service Unavailable",
        b"<html><body>502</body></html>",
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>',
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/>'
        b"</soapenv:Envelope>",
        b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>',
    ],
    ids=["empty", "text", "html", "no-body", "empty-body", "soap-1.2"],
)
def test_non_soap_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponseError):
        parse_refused(body)
    with pytest.raises(MalformedResponseError):
        parse_fault(body)


def test_unexpected_payloads_are_malformed() -> None:
    other_operation = envelope(
        '<addListResponse xmlns="urn:messages_{v}.platform.webservices.netsuite.com"><writeResponseList/>'
        "</addListResponse>"
    )
    wrong_namespace = envelope(
        '<upsertListResponse xmlns="urn:example"><writeResponseList/></upsertListResponse>'
    )
    no_list = envelope('<upsertListResponse xmlns="urn:messages_{v}.platform.webservices.netsuite.com"/>')
    no_status = upsert_response("<writeResponse/>")
    for body in (other_operation, wrong_namespace, no_list, no_status):
        with pytest.raises(MalformedResponseError):
            parse_refused(body)
    assert parse_fault(other_operation) is None


def server_time_response(result: str, version: str = "2025_2") -> bytes:
    core = 'xmlns:platformCore="urn:core_{v}.platform.webservices.netsuite.com"'
    return envelope(
        '<getServerTimeResponse xmlns="urn:messages_{v}.platform.webservices.netsuite.com">'
        f"<platformCore:getServerTimeResult {core}>{result}</platformCore:getServerTimeResult>"
        "</getServerTimeResponse>",
        version,
    )


def test_server_time_is_read_with_its_zone() -> None:
    body = server_time_response(
        status("true").replace("CORE", "")
        + "<platformCore:serverTime>2026-11-27T12:21:03.123-08:00</platformCore:serverTime>"
    )
    assert parse_get_server_time_response(body) == datetime(2026, 11, 27, 20, 21, 3, 123000, tzinfo=UTC)


def test_server_time_refused_raises_the_fault_its_code_calls_for() -> None:
    refused = status("false", status_detail("INVALID_LOGIN_ATTEMPT", "Invalid login attempt.")).replace(
        "CORE", ""
    )
    with pytest.raises(PermanentFault, match="Invalid login attempt"):
        parse_get_server_time_response(server_time_response(refused))


@pytest.mark.parametrize(
    "result",
    [
        "",  # no status
        '<platformCore:status isSuccess="true"/><platformCore:serverTime>yesterday</platformCore:serverTime>',
        '<platformCore:status isSuccess="true"/>'
        "<platformCore:serverTime>2026-11-27T12:21:03</platformCore:serverTime>",  # no zone
    ],
)
def test_an_unreadable_server_time_is_malformed(result: str) -> None:
    with pytest.raises(MalformedResponseError):
        parse_get_server_time_response(server_time_response(result))


def test_a_server_time_answer_is_not_an_upsert_answer() -> None:
    with pytest.raises(MalformedResponseError, match="expected upsertListResponse"):
        parse_refused(server_time_response(""))


def governance_response(operation: str, result: str) -> bytes:
    core = 'xmlns:platformCore="urn:core_{v}.platform.webservices.netsuite.com"'
    return envelope(
        f'<{operation}Response xmlns="urn:messages_{{v}}.platform.webservices.netsuite.com">'
        f"<platformCore:{operation}Result {core}>{result}</platformCore:{operation}Result>"
        f"</{operation}Response>"
    )


OK = '<platformCore:status isSuccess="true"/>'


def test_account_governance_figures() -> None:
    body = governance_response(
        "getAccountGovernanceInfo",
        OK + "<platformCore:accountConcurrencyLimit>15</platformCore:accountConcurrencyLimit>"
        "<platformCore:unallocatedConcurrencyLimit>9</platformCore:unallocatedConcurrencyLimit>",
    )
    assert parse_account_governance_response(body) == Governance(
        "SOAP", account_limit=15, unallocated_limit=9
    )


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        ("_integrationSpecific", "integrationSpecific"),
        ("_account", "account"),
        ("_accountLimit", "account"),
        ("_internal", "internal"),
        ("_somethingNew", None),
    ],
)
def test_integration_governance_reads_every_limit_type_spelling(spelling: str, kind: str | None) -> None:
    body = governance_response(
        "getIntegrationGovernanceInfo",
        OK + "<platformCore:integrationConcurrencyLimit>2</platformCore:integrationConcurrencyLimit>"
        f"<platformCore:limitType>{spelling}</platformCore:limitType>",
    )
    assert parse_integration_governance_response(body) == Governance(
        "SOAP",
        integration_limit=2,
        limit_type=kind,  # type: ignore[arg-type]
    )


def test_governance_figures_may_be_absent_but_not_nonsense() -> None:
    bare = governance_response("getAccountGovernanceInfo", OK)
    assert parse_account_governance_response(bare) == Governance("SOAP")
    for bad in ("0", "-3", "many", "2.5"):
        body = governance_response(
            "getAccountGovernanceInfo",
            OK + f"<platformCore:accountConcurrencyLimit>{bad}</platformCore:accountConcurrencyLimit>",
        )
        with pytest.raises(MalformedResponseError, match="accountConcurrencyLimit"):
            parse_account_governance_response(body)


def test_governance_refused_for_a_role_raises_its_fault() -> None:
    refused = status("false", status_detail("INSUFFICIENT_PERMISSION", "Permission Violation")).replace(
        "CORE", ""
    )
    with pytest.raises(PermanentFault, match="INSUFFICIENT_PERMISSION"):
        parse_integration_governance_response(governance_response("getIntegrationGovernanceInfo", refused))
    with pytest.raises(MalformedResponseError):
        parse_account_governance_response(governance_response("getIntegrationGovernanceInfo", OK))


def get_response(read: str) -> bytes:
    return envelope(
        '<platformMsgs:getResponse xmlns:platformMsgs="urn:messages_{v}.platform.webservices.netsuite.com">'
        '<platformMsgs:readResponse xmlns:platformCore="urn:core_{v}.platform.webservices.netsuite.com">'
        f"{read}</platformMsgs:readResponse></platformMsgs:getResponse>"
    )


CUSTOMER = (
    '<platformMsgs:record xsi:type="listRel:Customer" internalId="42" externalId="SF_ACCT_1" '
    'xmlns:listRel="urn:relationships_{v}.lists.webservices.netsuite.com">'
    "<listRel:companyName>Acme &amp; Co</listRel:companyName>"
    '<listRel:subsidiary internalId="1"><platformCore:name>HQ</platformCore:name></listRel:subsidiary>'
    "<listRel:addressbookList><listRel:addressbook/></listRel:addressbookList>"
    "</platformMsgs:record>"
)


def test_get_returns_the_record_asked_for() -> None:
    found = parse_get_response(get_response(OK + CUSTOMER), external_id="SF_ACCT_1")
    assert found == FetchedRecord("Customer", "42", "SF_ACCT_1", {"companyName": "Acme & Co"})


def test_a_reference_with_children_is_left_out_but_a_bare_one_is_kept() -> None:
    bare = CUSTOMER.replace(
        "<platformCore:name>HQ</platformCore:name></listRel:subsidiary>", "</listRel:subsidiary>"
    )
    found = parse_get_response(get_response(OK + bare), internal_id="42")
    assert found is not None
    assert found.fields["subsidiary"] == "1"


def test_get_of_a_missing_record_is_none_and_a_permission_refusal_raises() -> None:
    missing = status("false", status_detail("RCRD_DSNT_EXIST", "That record does not exist.")).replace(
        "CORE", ""
    )
    assert parse_get_response(get_response(missing), external_id="X") is None
    denied = status("false", status_detail("INSUFFICIENT_PERMISSION", "Permission Violation")).replace(
        "CORE", ""
    )
    with pytest.raises(PermanentFault, match="INSUFFICIENT_PERMISSION"):
        parse_get_response(get_response(denied), external_id="X")


def test_get_answering_another_record_is_a_mismatch() -> None:
    with pytest.raises(ResponseMismatchError):
        parse_get_response(get_response(OK + CUSTOMER), external_id="SF_ACCT_2")
    with pytest.raises(ResponseMismatchError):
        parse_get_response(get_response(OK + CUSTOMER), internal_id="43")
    with pytest.raises(MalformedResponseError, match="without a record"):
        parse_get_response(get_response(OK), external_id="SF_ACCT_1")


def test_select_values_are_the_internal_ids_listed() -> None:
    refs = "".join(
        f'<platformCore:baseRef xsi:type="platformCore:RecordRef" internalId="{i}">'
        "<platformCore:name>F</platformCore:name></platformCore:baseRef>"
        for i in ("68", "70")
    )
    body = governance_response(
        "getSelectValue",
        OK + "<platformCore:totalRecords>2</platformCore:totalRecords>"
        "<platformCore:totalPages>1</platformCore:totalPages>"
        f"<platformCore:baseRefList>{refs}</platformCore:baseRefList>",
    )
    assert parse_get_select_value_response(body) == SelectValues(("68", "70"), 1)
    empty = governance_response("getSelectValue", OK)
    assert parse_get_select_value_response(empty) == SelectValues((), 0)
    bad = governance_response("getSelectValue", OK + "<platformCore:totalPages>x</platformCore:totalPages>")
    with pytest.raises(MalformedResponseError, match="totalPages"):
        parse_get_select_value_response(bad)
    # isdigit() is true of "²", which int() refuses: a ValueError, not the malformed answer it is
    superscript = governance_response(
        "getSelectValue", OK + "<platformCore:totalPages>²</platformCore:totalPages>"
    )
    with pytest.raises(MalformedResponseError, match="totalPages"):
        parse_get_select_value_response(superscript)
