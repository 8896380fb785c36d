import asyncio

import aiohttp
import pytest

from bulk_o2c.errors import ConfigError
from bulk_o2c.sandbox.salesforce import DatasetSpec, SalesforceSandbox, SalesforceSandboxConfig, serve
from tests.sandbox.salesforce.conftest import Org, StartOrg


async def test_every_api_response_reports_usage_until_the_daily_limit(start_org: StartOrg) -> None:
    org = await start_org(api_request_limit=3, api_requests_used=1)
    job = await org.create_query("SELECT Id FROM Account")
    seen = []
    for _ in range(3):
        status, body, headers = await org.call("GET", f"/jobs/query/{job['id']}")
        seen.append((status, headers["Sforce-Limit-Info"]))
    assert seen[0] == (200, "api-usage=3/3")
    assert seen[1] == (403, "api-usage=3/3")
    assert body == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert org.sandbox.usage.used == 3


async def test_oauth_calls_use_no_api_requests(org: Org) -> None:
    used = org.sandbox.usage.used
    async with org.http.post(
        f"{org.sandbox.base_url}/services/oauth2/token", data={"grant_type": "password"}
    ) as response:
        assert "Sforce-Limit-Info" not in response.headers
    assert org.sandbox.usage.used == used


async def test_unknown_paths_and_methods_answer_in_the_rest_error_shape(org: Org) -> None:
    status, body, headers = await org.call("GET", "/jobs/nothing-here")
    assert (status, body[0]["errorCode"]) == (404, "NOT_FOUND")
    assert "Sforce-Limit-Info" in headers
    status, body, _ = await org.call("PUT", "/jobs/query")
    assert (status, body[0]["errorCode"]) == (405, "METHOD_NOT_ALLOWED")


async def test_stats_endpoint_reports_what_the_client_did(org: Org) -> None:
    job = await org.create_query("SELECT Id FROM Account")
    await org.wait("query", job["id"])
    await org.all_pages(job["id"], max_records=1000)
    async with org.http.get(f"{org.sandbox.base_url}/sandbox/stats") as response:
        stats = await response.json()
    assert stats["requests"]["query_create"] == 1
    assert stats["requests"]["query_get"] == 2
    assert stats["requests"]["oauth_token"] == 1
    assert stats["sessions_issued"] == 1
    assert stats["query_jobs_created"] == 1
    assert stats["pages_served"] == 1
    assert stats["rows_served"] == org.sandbox.dataset.count("Account")
    assert stats["bytes_sent"] > 0
    assert stats["api_usage"]["used"] == org.sandbox.usage.used == 4


async def test_only_loopback_addresses_are_served() -> None:
    sandbox = SalesforceSandbox()
    with pytest.raises(ConfigError, match="loopback"):
        await sandbox.start(host="0.0.0.0")  # noqa: S104 - the address being refused
    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.base_url


async def test_serve_runs_until_cancelled() -> None:
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    config = SalesforceSandboxConfig(dataset=DatasetSpec(n_accounts=5, n_orders=5))
    task = asyncio.create_task(serve(config, on_ready=lambda sandbox: ready.set_result(sandbox.base_url)))
    base_url = await asyncio.wait_for(ready, timeout=5)
    assert base_url.startswith("http://127.0.0.1:")
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/sandbox/stats") as response:
        assert response.status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{base_url}/sandbox/stats")


def test_secrets_stay_out_of_the_config_repr() -> None:
    config = SalesforceSandboxConfig(client_secret="s3cr3t-value", refresh_token="rt-value")
    assert "s3cr3t-value" not in repr(config)
    assert "rt-value" not in repr(config)
