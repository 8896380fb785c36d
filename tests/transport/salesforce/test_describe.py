"""describe_org: one GET per object; an object the org lacks is left out, other failures raise."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from bulk_o2c.protocol.salesforce.errors import RequestRejectedError, SalesforceProtocolError
from bulk_o2c.transport.salesforce.describe import describe_org
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from tests.transport.salesforce.conftest import API

ACCOUNT = {"name": "Account", "fields": [{"name": "Id"}, {"name": "Name"}]}


def _error(code: str, message: str) -> list[dict[str, str]]:
    return [{"errorCode": code, "message": message}]


async def test_each_object_is_described_once_and_missing_ones_are_left_out(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    mocked.get(f"{API}/sobjects/Account/describe", payload=ACCOUNT)
    mocked.get(f"{API}/sobjects/Invoice__c/describe", status=404, payload=_error("NOT_FOUND", "no such"))
    mocked.get(f"{API}/sobjects/Quote/describe", status=400, payload=_error("INVALID_TYPE", "not here"))

    schema = await describe_org(http, ["Account", "Invoice__c", "Account", "Quote"])

    assert list(schema.objects) == ["account"]
    assert schema.field("Account", "name") is not None
    calls = [str(url) for (_, url) in mocked.requests]
    assert calls.count(f"{API}/sobjects/Account/describe") == 1


async def test_a_refusal_that_is_not_a_missing_object_goes_to_the_caller(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    mocked.get(
        f"{API}/sobjects/Account/describe", status=403, payload=_error("API_DISABLED_FOR_ORG", "API off")
    )
    with pytest.raises(RequestRejectedError, match="API off"):
        await describe_org(http, ["Account"])


async def test_an_answer_about_another_object_is_refused(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.get(f"{API}/sobjects/Order/describe", payload=ACCOUNT)
    with pytest.raises(SalesforceProtocolError, match="answered for 'Account'"):
        await describe_org(http, ["Order"])
