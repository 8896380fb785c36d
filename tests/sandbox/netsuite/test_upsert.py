"""upsertList end to end: create, update, order of answers, request-level refusals."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from bulk_o2c.sandbox.netsuite import NetSuiteSandbox
from bulk_o2c.sandbox.netsuite.soap_request import FieldValue


async def test_a_new_external_id_is_created_then_updated_in_place(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    first = await client.upsert(wire.customer("CUST-1", "Acme Corp"))
    assert first.status == 200
    [created] = first.outcomes()
    assert created["isSuccess"] == "true"
    assert created["externalId"] == "CUST-1"
    assert created["type"] == "customer"

    # Same key with other casing: the same record, updated; omitted fields are kept.
    second = await client.upsert(
        wire.customer("cust-1", "Acme Corporation", extra="<listRel:email>ap@acme.example</listRel:email>")
    )
    [updated] = second.outcomes()
    assert updated["isSuccess"] == "true"
    assert updated["internalId"] == created["internalId"]

    [stored] = sandbox.records("customer")
    assert stored.internal_id == created["internalId"]
    assert stored.external_id == "CUST-1"
    assert stored.write_count == 2
    assert stored.fields["companyName"] == "Acme Corporation"
    assert stored.fields["email"] == "ap@acme.example"
    assert stored.fields["subsidiary"] == {"internalId": "1"}
    assert stored.fields["addressbookList"] == [
        {
            "defaultBilling": "true",
            "label": "HQ",
            "addressbookAddress": {"country": "_unitedStates", "city": "Austin"},
        }
    ]


async def test_answers_come_one_per_record_in_input_order_with_per_type_internal_ids(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(
        wire.customer("CUST-1"),
        wire.customer("CUST-2"),
        wire.sales_order("SO-1", "CUST-2"),
        wire.customer(None),
        wire.sales_order("SO-2", "CUST-1", (("SKU-1", "1"), ("SKU-2", "3.5"))),
    )
    assert reply.status == 200
    rows = reply.outcomes()
    assert [(r["externalId"], r["type"], r["isSuccess"]) for r in rows] == [
        ("CUST-1", "customer", "true"),
        ("CUST-2", "customer", "true"),
        ("SO-1", "salesOrder", "true"),
        (None, "customer", "false"),
        ("SO-2", "salesOrder", "true"),
    ]
    assert [r["internalId"] for r in rows] == ["1", "2", "1", None, "2"]
    orders = sandbox.records("salesOrder")
    assert [o.external_id for o in orders] == ["SO-1", "SO-2"]
    assert orders[1].fields["entity"] == {"externalId": "CUST-1", "type": "customer"}
    lines = orders[1].fields["itemList"]
    assert isinstance(lines, list)
    assert all(isinstance(line, dict) for line in lines)
    assert [cast(dict[str, FieldValue], line)["quantity"] for line in lines] == ["1", "3.5"]


async def test_soap_action_may_come_unquoted(client: Any, wire: SimpleNamespace) -> None:
    body = wire.envelope(wire.customer("CUST-1"), client.passport())
    reply = await client.post_raw(body, soap_action="upsertList")
    assert reply.status == 200


@pytest.mark.parametrize("action", [None, '"add"', "upsert"])
async def test_another_operation_is_refused(client: Any, wire: SimpleNamespace, action: str | None) -> None:
    body = wire.envelope(wire.customer("CUST-1"), client.passport())
    reply = await client.post_raw(body, soap_action=action)
    assert reply.status == 500
    assert "SOAPAction" in reply.fault()[2]


async def test_a_body_in_another_version_than_the_url_is_refused(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    body = wire.envelope(wire.customer("CUST-1"), client.passport(), version="2024_2")
    reply = await client.post_raw(body, version="2025_2")
    assert reply.status == 500
    assert reply.fault()[:2] == ("invalidVersionFault", "INVALID_WS_VERSION")
    assert sandbox.records("customer") == []


async def test_the_version_of_an_xsi_type_is_checked_too(client: Any, wire: SimpleNamespace) -> None:
    record = wire.customer("CUST-1").replace(
        'xsi:type="listRel:Customer"',
        f'xmlns:old="{wire.urn("relationships", "lists", "2024_1")}" xsi:type="old:Customer"',
    )
    reply = await client.upsert(record)
    assert reply.status == 500
    assert reply.fault()[1] == "INVALID_WS_VERSION"


async def test_each_supported_version_answers_in_its_own_namespaces(
    client: Any, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(wire.customer("CUST-1"), version="2024_2")
    assert reply.status == 200
    assert b"urn:messages_2024_2.platform.webservices.netsuite.com" in reply.body
    assert b"_2025_2" not in reply.body


async def test_more_records_than_the_cap_fault_the_whole_request(
    make_config: Any, wire: SimpleNamespace
) -> None:
    import aiohttp

    from bulk_o2c.sandbox.netsuite import NetSuiteSandbox

    async with NetSuiteSandbox(make_config(max_records=3)) as sandbox, aiohttp.ClientSession() as session:
        records = "".join(wire.customer(f"CUST-{n}") for n in range(4))
        body = wire.envelope(records, wire.passport_xml(sandbox.credentials))
        headers = {"SOAPAction": '"upsertList"', "Content-Type": "text/xml; charset=utf-8"}
        async with session.post(sandbox.soap_url(), data=body, headers=headers) as response:
            reply = wire.Reply(response.status, await response.read())
        assert reply.status == 500
        element, code, text = reply.fault()
        assert (element, code) == ("exceededRecordCountFault", "MAX_RCRDS_EXCEEDED")
        assert "( 3 )" in text
        assert sandbox.records("customer") == []
        assert sandbox.stats.faults_sent == {"MAX_RCRDS_EXCEEDED": 1}


async def test_a_request_over_the_size_cap_is_refused(make_config: Any, wire: SimpleNamespace) -> None:
    import aiohttp

    from bulk_o2c.sandbox.netsuite import NetSuiteSandbox

    async with (
        NetSuiteSandbox(make_config(max_request_bytes=2000)) as sandbox,
        aiohttp.ClientSession() as session,
    ):
        records = "".join(wire.customer(f"CUST-{n}") for n in range(5))
        body = wire.envelope(records, wire.passport_xml(sandbox.credentials))
        headers = {"SOAPAction": "upsertList"}
        async with session.post(sandbox.soap_url(), data=body, headers=headers) as response:
            reply = wire.Reply(response.status, await response.read())
        assert reply.status == 500
        assert reply.fault()[:2] == ("exceededRequestSizeFault", "EXCEEDED_RQST_SIZE_LIMIT")
        assert sandbox.records("customer") == []


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>',
    ],
    ids=["not-xml", "doctype", "no-operation"],
)
async def test_unreadable_requests_get_a_client_fault(client: Any, body: bytes) -> None:
    reply = await client.post_raw(body)
    assert reply.status == 500
    assert reply.root.findtext(".//faultcode") == "soapenv:Client"


async def test_the_response_is_xml_utf8(client: Any, wire: SimpleNamespace) -> None:
    body = wire.envelope(wire.customer("CUST-1"), client.passport())
    headers = {"SOAPAction": '"upsertList"'}
    async with client.session.post(client.sandbox.soap_url(), data=body, headers=headers) as response:
        assert response.content_type == "text/xml"
        assert response.charset == "utf-8"
