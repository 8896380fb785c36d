"""Reading upsertList requests: record values, hardening, versions (no server involved)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bulk_o2c.sandbox.netsuite.soap_request import RequestRejected, parse_upsert_request
from tests.support.shared_files import example


def test_values_of_a_sales_order_with_custom_fields(wire: SimpleNamespace) -> None:
    record = (
        '<platformMsgs:record xsi:type="tranSales:SalesOrder" externalId="SO-1">'
        '<tranSales:entity externalId="CUST-1" type="customer" xsi:type="platformCore:RecordRef"/>'
        '<tranSales:orderStatus xsi:type="tranSalesTyp:SalesOrderOrderStatus">'
        "_pendingApproval</tranSales:orderStatus>"
        "<tranSales:memo>  two  spaces  </tranSales:memo>"
        '<tranSales:itemList replaceAll="true"><tranSales:item>'
        '<tranSales:item externalId="SKU-1"/><tranSales:quantity>2.0</tranSales:quantity>'
        "</tranSales:item></tranSales:itemList>"
        "<tranSales:customFieldList>"
        '<platformCore:customField scriptId="custbody_src" xsi:type="platformCore:StringCustomFieldRef">'
        "<platformCore:value>SFDC</platformCore:value></platformCore:customField>"
        '<platformCore:customField scriptId="custbody_kind" xsi:type="platformCore:SelectCustomFieldRef">'
        '<platformCore:value internalId="3"/></platformCore:customField>'
        "</tranSales:customFieldList>"
        "</platformMsgs:record>"
    )
    request = parse_upsert_request(wire.envelope(record, ""), wire.VERSION)
    [parsed] = request.records
    assert (parsed.record_type, parsed.external_id, parsed.internal_id) == ("salesOrder", "SO-1", None)
    assert parsed.fields == {
        "entity": {"externalId": "CUST-1", "type": "customer"},
        "orderStatus": "_pendingApproval",
        "memo": "  two  spaces  ",
        "itemList": [{"item": {"externalId": "SKU-1"}, "quantity": "2.0"}],
        "customFieldList": [
            {"scriptId": "custbody_src", "value": "SFDC"},
            {"scriptId": "custbody_kind", "value": {"internalId": "3"}},
        ],
    }
    assert request.passport is None


def test_a_netsuite_urn_in_text_content_is_not_a_namespace(wire: SimpleNamespace) -> None:
    memo = "<listRel:comments>see urn:core_2019_1.platform.webservices.netsuite.com</listRel:comments>"
    [record] = parse_upsert_request(wire.envelope(wire.customer("C-1", extra=memo), ""), wire.VERSION).records
    assert record.fields["comments"] == "see urn:core_2019_1.platform.webservices.netsuite.com"


def test_default_namespace_style_of_oracles_own_sample() -> None:
    body = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        b'<upsertList xmlns="urn:messages_2025_1.platform.webservices.netsuite.com">'
        b'<record xmlns:q1="urn:relationships_2025_1.lists.webservices.netsuite.com" xsi:type="q1:Customer"'
        b' externalId="ext1"><q1:entityId>XYZ Inc 0</q1:entityId><q1:companyName>XYZ, Inc. 0</q1:companyName>'
        b"</record></upsertList></soapenv:Body></soapenv:Envelope>"
    )
    [record] = parse_upsert_request(body, "2025_1").records
    assert record.record_type == "customer"
    assert record.fields == {"entityId": "XYZ Inc 0", "companyName": "XYZ, Inc. 0"}


def test_the_reference_customer_example_parses() -> None:
    data = example("upsertList_customer_request_2024_2.http")
    [record] = parse_upsert_request(data[data.find(b"<?xml") :], "2024_2").records
    assert (record.record_type, record.external_id) == ("customer", "CUST-0001")
    assert record.fields["addressbookList"][0]["addressbookAddress"]["country"] == "_unitedStates"  # type: ignore[index,call-overload]


def test_an_unknown_record_type_is_kept_for_a_per_record_error(wire: SimpleNamespace) -> None:
    record = (
        '<platformMsgs:record xsi:type="listRel:Contact" externalId="K-1">'
        "<listRel:x>1</listRel:x></platformMsgs:record>"
    )
    [parsed] = parse_upsert_request(wire.envelope(record, ""), wire.VERSION).records
    assert (parsed.record_type, parsed.type_name) == (None, "Contact")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<a", "not well-formed"),
        (b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>', "DOCTYPE"),
        (b"<x>&undefined;</x>", "not well-formed"),
        (b"<x/>", "not a SOAP 1.1 envelope"),
    ],
)
def test_hostile_or_broken_documents_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(RequestRejected) as refused:
        parse_upsert_request(body, "2025_2")
    assert reason in refused.value.fault.message
    assert refused.value.fault.faultcode == "soapenv:Client"


def test_an_empty_upsert_list_is_refused(wire: SimpleNamespace) -> None:
    with pytest.raises(RequestRejected, match="USER_ERROR"):
        parse_upsert_request(wire.envelope("", ""), wire.VERSION)


def test_an_incomplete_passport_is_refused(wire: SimpleNamespace) -> None:
    header = (
        "<platformMsgs:tokenPassport><platformCore:account>1</platformCore:account>"
        "</platformMsgs:tokenPassport>"
    )
    with pytest.raises(RequestRejected) as refused:
        parse_upsert_request(wire.envelope(wire.customer("C-1"), header), wire.VERSION)
    assert "consumerKey" in refused.value.fault.message


def _custom_field(xsi_type: str, values: str) -> str:
    return (
        '<platformMsgs:record xsi:type="listRel:Customer" externalId="C-1"><listRel:customFieldList>'
        f'<platformCore:customField scriptId="custentity_x" xsi:type="platformCore:{xsi_type}">'
        f"{values}</platformCore:customField></listRel:customFieldList></platformMsgs:record>"
    )


@pytest.mark.parametrize(
    ("xsi_type", "values", "parsed"),
    [
        (
            "MultiSelectCustomFieldRef",
            '<platformCore:value internalId="3"/><platformCore:value internalId="1"/>',
            [{"internalId": "3"}, {"internalId": "1"}],
        ),
        # One reference is still a list: the field's type, not the count, decides the shape.
        ("MultiSelectCustomFieldRef", '<platformCore:value internalId="3"/>', [{"internalId": "3"}]),
        ("SelectCustomFieldRef", '<platformCore:value internalId="3"/>', {"internalId": "3"}),
        # A repeated child is never collapsed to its last value.
        (
            "SelectCustomFieldRef",
            '<platformCore:value internalId="3"/><platformCore:value internalId="4"/>',
            [{"internalId": "3"}, {"internalId": "4"}],
        ),
    ],
)
def test_multi_select_values_are_a_list_of_references(
    wire: SimpleNamespace, xsi_type: str, values: str, parsed: object
) -> None:
    [record] = parse_upsert_request(wire.envelope(_custom_field(xsi_type, values), ""), wire.VERSION).records
    assert record.fields["customFieldList"] == [{"scriptId": "custentity_x", "value": parsed}]
