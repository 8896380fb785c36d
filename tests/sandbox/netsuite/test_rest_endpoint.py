"""REST ``GET /services/rest/system/v1/governanceLimits``: TBA-checked, answered from the pool settings.

Requests are signed with oauthlib directly, not with the client's signer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client  # type: ignore[import-untyped]

from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, NetSuiteSandboxConfig

PATH = "/services/rest/system/v1/governanceLimits"


def signed(sandbox: NetSuiteSandbox, url: str, **overrides: Any) -> str:
    c = sandbox.credentials
    values: dict[str, Any] = {
        "client_secret": c.consumer_secret,
        "resource_owner_key": c.token_id,
        "resource_owner_secret": c.token_secret,
        "signature_method": SIGNATURE_HMAC_SHA256,
        "realm": sandbox.config.account_id,
    }
    values.update(overrides)
    _, headers, _ = Client(c.consumer_key, **values).sign(url, http_method="GET")
    return str(headers["Authorization"])


async def get(sandbox: NetSuiteSandbox, authorization: str, query: str = "") -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(sandbox.base_url + PATH + query, headers={"Authorization": authorization}) as response,
    ):
        return response.status, await response.json(content_type=None)


@pytest.fixture
def live_config(make_config: Callable[..., NetSuiteSandboxConfig]) -> Callable[..., NetSuiteSandboxConfig]:
    # oauthlib stamps the real time, so the sandbox runs on it.
    return lambda **kw: make_config(clock=time.time, **kw)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"concurrency_limit": 15, "reserved_by_others": 5},
            {
                "accountConcurrencyLimit": 15,
                "accountUnallocatedConcurrencyLimit": 10,
                "integrationLimitType": "accountLimit",
            },
        ),
        (
            {"concurrency_limit": 5, "integration_limit": 2},
            {
                "accountConcurrencyLimit": 5,
                "accountUnallocatedConcurrencyLimit": 3,
                "integrationConcurrencyLimit": 2,
                "integrationLimitType": "integrationSpecific",
            },
        ),
    ],
)
async def test_the_limits_as_oracle_lays_them_out(
    live_config: Callable[..., NetSuiteSandboxConfig], settings: dict[str, int], expected: dict[str, Any]
) -> None:
    async with NetSuiteSandbox(live_config(**settings)) as sandbox:
        assert await get(sandbox, signed(sandbox, sandbox.base_url + PATH)) == (200, expected)


async def test_query_parameters_are_part_of_the_signature(
    live_config: Callable[..., NetSuiteSandboxConfig],
) -> None:
    async with NetSuiteSandbox(live_config()) as sandbox:
        url = sandbox.base_url + PATH
        assert (await get(sandbox, signed(sandbox, url + "?x=1"), "?x=1"))[0] == 200
        assert (await get(sandbox, signed(sandbox, url), "?x=1"))[0] == 401


async def test_bad_credentials_and_replays_are_refused_with_netsuites_body(
    live_config: Callable[..., NetSuiteSandboxConfig],
) -> None:
    async with NetSuiteSandbox(live_config()) as sandbox:
        url = sandbox.base_url + PATH
        header = signed(sandbox, url)
        assert (await get(sandbox, header))[0] == 200
        for refused in (
            header,  # the same nonce again
            signed(sandbox, url, resource_owner_secret="0" * 64),
            signed(sandbox, url, realm="1234567_sb1"),
            signed(sandbox, url, timestamp=str(int(time.time()) - 3600)),
            signed(sandbox, url).replace("HMAC-SHA256", "HMAC-SHA1"),
            "Bearer abc",
            "",
        ):
            status, body = await get(sandbox, refused)
            assert status == 401
            assert body["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
        assert sandbox.records("customer") == []


@pytest.mark.parametrize(
    ("settings", "status", "code"),
    [
        ({"administrator": False}, 403, "INSUFFICIENT_PERMISSION"),
        ({"rest_governance": False}, 404, "NONEXISTENT_ID"),
    ],
)
async def test_a_role_or_release_without_the_endpoint(
    live_config: Callable[..., NetSuiteSandboxConfig], settings: dict[str, bool], status: int, code: str
) -> None:
    async with NetSuiteSandbox(live_config(**settings)) as sandbox:
        answered, body = await get(sandbox, signed(sandbox, sandbox.base_url + PATH))
    assert answered == status
    assert body["o:errorDetails"][0]["o:errorCode"] == code


async def test_it_shares_the_soap_pool(live_config: Callable[..., NetSuiteSandboxConfig]) -> None:
    async with NetSuiteSandbox(live_config()) as sandbox:
        sandbox.set_pressure(sandbox.config.concurrency_limit)
        status, body = await get(sandbox, signed(sandbox, sandbox.base_url + PATH))
        assert status == 429
        assert body["status"] == 429
        assert sandbox.stats.blocked == 1
