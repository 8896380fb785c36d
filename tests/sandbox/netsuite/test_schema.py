"""What the sandbox renders validates against NetSuite's own XSDs (shared/netsuite-wsdl-2023_2)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from lxml import etree

from bulk_o2c.sandbox.netsuite import NetSuiteSandbox
from bulk_o2c.sandbox.netsuite.outcomes import (
    concurrency_limit_exceeded,
    invalid_login,
    record_count_exceeded,
    request_size_exceeded,
    unexpected_error,
    version_mismatch,
)
from bulk_o2c.sandbox.netsuite.soap_response import render_fault
from tests.support.shared_files import Validate


@pytest.mark.parametrize("version", ["2024_2", "2025_2"])
async def test_a_mixed_upsert_response_is_schema_valid(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace, xsd_validate: Validate, version: str
) -> None:
    sandbox.faults.warn_records(1)
    reply = await client.upsert(
        wire.customer("CUST-1"),
        wire.customer('odd "<&>" id'),
        wire.customer(None),
        wire.sales_order("SO-1", "CUST-1"),
        wire.sales_order("SO-2", "CUST-404"),
        '<platformMsgs:record xsi:type="listRel:Contact" externalId="K-1"/>',
        version=version,
    )
    assert reply.status == 200
    assert xsd_validate(reply.body) == []
    assert [r["isSuccess"] for r in reply.outcomes()] == ["true", "true", "false", "true", "false", "false"]
    assert reply.outcomes()[1]["externalId"] == 'odd "<&>" id'


def _detail_element(fault_xml: bytes) -> bytes:
    detail = etree.fromstring(fault_xml).find(".//detail")
    assert detail is not None
    return etree.tostring(detail[0])


@pytest.mark.parametrize(
    "fault",
    [
        concurrency_limit_exceeded(),
        record_count_exceeded(100),
        unexpected_error("abc123"),
        version_mismatch("2025_2", "2024_2"),
    ],
    ids=lambda fault: fault.code,
)
def test_fault_details_are_schema_valid(xsd_validate: Validate, fault: Any) -> None:
    rendered = render_fault("2025_2", fault)
    assert xsd_validate(rendered) == []  # the envelope (the validator skips soapenv:Fault itself)
    assert xsd_validate(_detail_element(rendered)) == []


@pytest.mark.parametrize(
    "fault", [invalid_login(), request_size_exceeded(1000)], ids=lambda fault: fault.code
)
def test_real_codes_outside_the_fault_code_enum_are_the_only_schema_difference(
    xsd_validate: Validate, fault: Any
) -> None:
    # NetSuite sends these codes although FaultCodeType does not list them; the rest must be valid.
    errors = xsd_validate(_detail_element(render_fault("2025_2", fault)))
    assert len(errors) == 1
    assert fault.code in errors[0]
    assert "FaultCodeType" in errors[0] or "enumeration" in errors[0]


def test_the_concurrency_fault_matches_the_reference_example() -> None:
    rendered = etree.fromstring(render_fault("2024_2", concurrency_limit_exceeded()))
    ns = {
        "soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
        "f": "urn:faults_2024_2.platform.webservices.netsuite.com",
    }
    assert rendered.findtext(".//faultcode") == "soapenv:Server.userException"
    assert (
        rendered.findtext(".//faultstring") == "SuiteTalk concurrent request limit exceeded. Request blocked."
    )
    assert (
        rendered.findtext(".//detail/f:exceededConcurrentRequestLimitFault/f:code", namespaces=ns)
        == "WS_REQUEST_BLOCKED"
    )
