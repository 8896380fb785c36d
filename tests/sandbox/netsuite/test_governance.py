"""The governance operations, answered from the pool settings; and ``get`` of one record.

Requests are hand-written (the sandbox's own test wire), and every answer is checked against
NetSuite's XSDs.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bulk_o2c.errors import ConfigError
from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, NetSuiteSandboxConfig
from tests.support.shared_files import Validate


async def call(sandbox: NetSuiteSandbox, wire: SimpleNamespace, operation: str, body: str = "") -> Any:
    async with aiohttp.ClientSession() as session:
        client = wire.SoapClient(sandbox, session)
        element = f"<platformMsgs:{operation}>{body}</platformMsgs:{operation}>"
        return await client.post_raw(wire.soap_envelope(element, client.passport()), soap_action=operation)


def result_values(reply: Any, operation: str) -> dict[str, str]:
    (result,) = reply.root.iter(f"{{*}}{operation}Result")
    status = result.find("{*}status")
    assert status is not None
    assert status.get("isSuccess") == "true"
    return {child.tag.rpartition("}")[2]: child.text or "" for child in result if child is not status}


@pytest.mark.parametrize(
    ("settings", "account", "integration"),
    [
        ({}, {"accountConcurrencyLimit": "5", "unallocatedConcurrencyLimit": "5"}, {"limitType": "_account"}),
        (
            {"concurrency_limit": 15, "reserved_by_others": 4},
            {"accountConcurrencyLimit": "15", "unallocatedConcurrencyLimit": "11"},
            {"limitType": "_account"},
        ),
        (
            {"concurrency_limit": 15, "reserved_by_others": 4, "integration_limit": 3},
            {"accountConcurrencyLimit": "15", "unallocatedConcurrencyLimit": "8"},
            {"integrationConcurrencyLimit": "3", "limitType": "_integrationSpecific"},
        ),
    ],
)
async def test_governance_answers_come_from_the_pool_settings(
    make_config: Callable[..., NetSuiteSandboxConfig],
    wire: SimpleNamespace,
    xsd_validate: Validate,
    settings: dict[str, int],
    account: dict[str, str],
    integration: dict[str, str],
) -> None:
    async with NetSuiteSandbox(make_config(**settings)) as sandbox:
        account_reply = await call(sandbox, wire, "getAccountGovernanceInfo")
        integration_reply = await call(sandbox, wire, "getIntegrationGovernanceInfo")
    for reply in (account_reply, integration_reply):
        assert reply.status == 200, reply.body
        assert xsd_validate(reply.body) == []
    assert result_values(account_reply, "getAccountGovernanceInfo") == account
    assert result_values(integration_reply, "getIntegrationGovernanceInfo") == integration


async def test_governance_refuses_a_role_that_is_not_an_administrator(
    make_config: Callable[..., NetSuiteSandboxConfig], wire: SimpleNamespace, xsd_validate: Validate
) -> None:
    async with NetSuiteSandbox(make_config(administrator=False)) as sandbox:
        for operation in ("getAccountGovernanceInfo", "getIntegrationGovernanceInfo"):
            reply = await call(sandbox, wire, operation)
            assert reply.status == 500
            assert xsd_validate(reply.body) == []
            assert reply.fault()[:2] == ("insufficientPermissionFault", "INSUFFICIENT_PERMISSION")


async def test_governance_needs_a_valid_passport_and_no_arguments(
    sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    async with aiohttp.ClientSession() as session:
        client = wire.SoapClient(sandbox, session)
        element = "<platformMsgs:getAccountGovernanceInfo/>"
        forged = client.passport(signature="Zm9yZ2Vk")
        reply = await client.post_raw(
            wire.soap_envelope(element, forged), soap_action="getAccountGovernanceInfo"
        )
        assert reply.fault()[1] == "INVALID_LOGIN_ATTEMPT"
    reply = await call(sandbox, wire, "getIntegrationGovernanceInfo", "<platformMsgs:x/>")
    assert reply.fault()[2] == "getIntegrationGovernanceInfo takes no arguments."


def test_the_pool_settings_must_fit_the_account() -> None:
    with pytest.raises(ConfigError, match="reserved_by_others"):
        NetSuiteSandboxConfig(concurrency_limit=5, reserved_by_others=5)
    with pytest.raises(ConfigError, match="integration_limit must be between 1 and 3"):
        NetSuiteSandboxConfig(concurrency_limit=5, reserved_by_others=2, integration_limit=4)
    full = NetSuiteSandboxConfig(concurrency_limit=5, reserved_by_others=2, integration_limit=3)
    # Oracle: the unallocated figure never goes under 1.
    assert (full.unallocated_limit, full.client_share) == (1, 3)


# --- get -------------------------------------------------------------------------------------------


def base_ref(record_type: str, key: str) -> str:
    return f'<platformMsgs:baseRef xsi:type="platformCore:RecordRef" type="{record_type}" {key}/>'


async def test_get_returns_a_written_customer_by_either_key(
    sandbox: NetSuiteSandbox, wire: SimpleNamespace, xsd_validate: Validate
) -> None:
    async with aiohttp.ClientSession() as session:
        client = wire.SoapClient(sandbox, session)
        assert (await client.upsert(wire.customer("SF_ACCT_7", "Acme & Co"))).status == 200
    for key in ('externalId="sf_acct_7"', 'internalId="1"'):
        reply = await call(sandbox, wire, "get", base_ref("customer", key))
        assert reply.status == 200, reply.body
        assert xsd_validate(reply.body) == []
        (record,) = reply.root.iter("{*}record")
        assert (record.get("internalId"), record.get("externalId")) == ("1", "SF_ACCT_7")
        assert record.findtext("{*}companyName") == "Acme & Co"
        assert record.find("{*}subsidiary").get("internalId") == "1"


@pytest.mark.parametrize(
    ("ref", "code"),
    [
        (base_ref("customer", 'externalId="NOPE"'), "RCRD_DSNT_EXIST"),
        (base_ref("salesOrder", 'internalId="9"'), "RCRD_DSNT_EXIST"),
        (base_ref("subsidiary", 'internalId="2"'), "RCRD_DSNT_EXIST"),
        (base_ref("priceLevel", 'internalId="7"'), "RCRD_DSNT_EXIST"),
        (base_ref("inventoryItem", 'externalId="SKU-9"'), "RCRD_DSNT_EXIST"),
        (base_ref("customer", 'externalId="ANY"').replace("customer", "contact"), "RCRD_DSNT_EXIST"),
    ],
)
async def test_get_of_what_the_account_lacks_says_so(
    sandbox: NetSuiteSandbox, wire: SimpleNamespace, xsd_validate: Validate, ref: str, code: str
) -> None:
    reply = await call(sandbox, wire, "get", ref)
    assert reply.status == 200
    assert xsd_validate(reply.body) == []
    (status,) = reply.root.iter("{*}status")
    assert status.get("isSuccess") == "false"
    assert status.findtext("{*}statusDetail/{*}code") == code
    assert list(reply.root.iter("{*}record")) == []


@pytest.mark.parametrize(
    "ref",
    [
        base_ref("subsidiary", 'internalId="1"'),
        base_ref("priceLevel", 'internalId="1"'),
        base_ref("inventoryItem", 'externalId="SKU-1"'),
    ],
)
async def test_get_finds_the_reference_data_the_account_is_set_up_with(
    sandbox: NetSuiteSandbox, wire: SimpleNamespace, xsd_validate: Validate, ref: str
) -> None:
    reply = await call(sandbox, wire, "get", ref)
    assert xsd_validate(reply.body) == []
    (status,) = reply.root.iter("{*}status")
    assert status.get("isSuccess") == "true"


async def test_get_of_a_type_the_role_cannot_read_is_a_permission_violation(
    make_config: Callable[..., NetSuiteSandboxConfig], wire: SimpleNamespace, xsd_validate: Validate
) -> None:
    async with NetSuiteSandbox(make_config(unreadable_record_types=frozenset({"salesOrder"}))) as sandbox:
        reply = await call(sandbox, wire, "get", base_ref("salesOrder", 'externalId="SO-1"'))
    assert xsd_validate(reply.body) == []
    (status,) = reply.root.iter("{*}status")
    assert status.findtext("{*}statusDetail/{*}code") == "INSUFFICIENT_PERMISSION"
    assert "'salesOrder' permission" in (status.findtext("{*}statusDetail/{*}message") or "")


@pytest.mark.parametrize(
    "body",
    [
        "",
        base_ref("customer", 'externalId="A" internalId="1"'),
        base_ref("customer", ""),
        base_ref("customer", 'externalId="A"') * 2,
    ],
)
async def test_a_get_that_does_not_name_one_record_is_refused(
    sandbox: NetSuiteSandbox, wire: SimpleNamespace, body: str
) -> None:
    reply = await call(sandbox, wire, "get", body)
    assert reply.status == 500
    assert reply.fault()[2].startswith("get ")


@pytest.mark.parametrize(
    ("description", "ids"),
    [
        (
            "<platformCore:recordType>salesOrder</platformCore:recordType><platformCore:field>customForm</platformCore:field>",
            ["1", "68"],
        ),
        (
            "<platformCore:recordType>customer</platformCore:recordType><platformCore:field>currency</platformCore:field>",
            [],
        ),
    ],
)
async def test_get_select_value_lists_the_custom_forms(
    make_config: Callable[..., NetSuiteSandboxConfig],
    wire: SimpleNamespace,
    xsd_validate: Validate,
    description: str,
    ids: list[str],
) -> None:
    body = (
        f"<platformMsgs:fieldDescription>{description}</platformMsgs:fieldDescription>"
        "<platformMsgs:pageIndex>1</platformMsgs:pageIndex>"
    )
    async with NetSuiteSandbox(make_config(custom_form_ids=frozenset({"1", "68"}))) as sandbox:
        reply = await call(sandbox, wire, "getSelectValue", body)
        refused = await call(
            sandbox, wire, "getSelectValue", "<platformMsgs:pageIndex>1</platformMsgs:pageIndex>"
        )
    assert reply.status == 200, reply.body
    assert xsd_validate(reply.body) == []
    assert [ref.get("internalId") for ref in reply.root.iter("{*}baseRef")] == ids
    assert refused.status == 500
