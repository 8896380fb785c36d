"""Whole flows of the Salesforce client (auth, HTTP layer, Bulk 2.0 extraction) against the sandbox org.

Sessions are made short by running the sandbox ``time_scale`` times faster than the wall clock and
handing the client a clock that runs just as fast: a two-minute session then lasts one real second.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import anyio
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import DatasetSpec
from bulk_o2c.sandbox.salesforce.faults import Fault
from bulk_o2c.sandbox.salesforce.server import SalesforceSandbox
from bulk_o2c.transport.salesforce.auth import SalesforceAuth
from bulk_o2c.transport.salesforce.bulk_query import (
    DEFAULT_JOB_ATTEMPTS,
    Page,
    QueryJobFailedError,
    Resume,
    extract,
)
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.polling import Polling

from .conftest import quick_retry

SCALE = 120.0  # sandbox seconds per real second
SESSION_S = 120.0  # one real second
SOQL = "SELECT Id, Name, BillingCountryCode, SystemModstamp FROM Account"


BRISK = Polling(0.02, 0.1, 30)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey, private: bool) -> str:
    if private:
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    else:
        data = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return data.decode()


def _scaled_clock() -> Callable[[], float]:
    start = time.time()
    return lambda: start + (time.time() - start) * SCALE


class Client:
    def __init__(self, sandbox: SalesforceSandbox, auth: SalesforceAuth, http: SalesforceHttp) -> None:
        self.sandbox = sandbox
        self.auth = auth
        self.http = http

    async def extract(self, **kwargs: Any) -> list[Page]:
        options: dict[str, Any] = {"page_size": 50, "polling": BRISK, **kwargs}
        async with extract(self.http, SOQL, **options) as pages:
            return [page async for page in pages]


@pytest.fixture
async def start(key: rsa.RSAPrivateKey) -> AsyncIterator[Callable[..., Any]]:
    opened: list[tuple[SalesforceSandbox, aiohttp.ClientSession]] = []

    async def _start(
        *,
        client_session_s: float = SESSION_S,
        refresh_margin: float = 0.25,
        accept_gzip: bool = True,
        **config: Any,
    ) -> Client:
        values: dict[str, Any] = {
            "dataset": DatasetSpec(n_accounts=400, n_orders=0),
            "jwt_public_key_pem": _pem(key, private=False),
            "session_timeout_s": SESSION_S,
            "time_scale": SCALE,
            "page_latency_s": 0.0,
            **config,
        }
        sandbox = SalesforceSandbox(SalesforceSandboxConfig(**values))
        await sandbox.start()
        session = aiohttp.ClientSession()
        opened.append((sandbox, session))
        settings = SalesforceSettings(
            login_url=sandbox.base_url,
            client_id=sandbox.config.client_id,
            username=sandbox.config.username,
            private_key=_pem(key, private=True),
            session_timeout_s=client_session_s,
            refresh_margin=refresh_margin,
            api_version="62.0",
        )
        auth = SalesforceAuth(session, settings, retry=quick_retry(), clock=_scaled_clock())
        http = SalesforceHttp(
            session, auth.tokens, api_version="62.0", retry=quick_retry(), accept_gzip=accept_gzip
        )
        return Client(sandbox, auth, http)

    yield _start
    for sandbox, session in opened:
        await session.close()
        await sandbox.stop()


def _ids(pages: list[Page]) -> list[str]:
    return [row[0] for page in pages for row in page.rows]


async def test_jwt_extraction_over_several_sessions_renews_before_expiry(start: Callable[..., Any]) -> None:
    # 40 pages of 0.08 s each: about three seconds, three sessions of one second. Renewing at half
    # a session leaves half a second for a request to reach the org even on a loaded machine.
    client: Client = await start(page_latency_s=0.08, refresh_margin=0.5)
    pages = await client.extract(page_size=10, parallel_pages=False)

    assert len(_ids(pages)) == len(set(_ids(pages))) == 400
    assert pages[0].header == ("Id", "Name", "BillingCountryCode", "SystemModstamp")
    stats = client.sandbox.stats
    assert stats.unauthorized_sent == 0  # no request ever carried an expired token
    assert client.auth.tokens.refreshes >= 3  # renewed ahead of time, again and again
    assert stats.sessions_issued == client.auth.tokens.refreshes
    assert stats.jobs_deleted == 1
    used, limit = client.http.limits["api-usage"]
    assert 0 < used <= limit


async def test_sessions_shorter_than_configured_are_saved_by_the_401_replay(
    start: Callable[..., Any],
) -> None:
    # The client believes sessions last two hours; the org ends them after two minutes.
    client: Client = await start(page_latency_s=0.1, client_session_s=7200.0)
    pages = await client.extract(page_size=20, parallel_pages=False)

    assert len(set(_ids(pages))) == 400
    stats = client.sandbox.stats
    assert stats.unauthorized_sent >= 2
    # Each 401 cost exactly one renewal and one replay, and every replay succeeded.
    assert client.auth.tokens.refreshes == 1 + stats.unauthorized_sent
    assert stats.jobs_deleted == 1


async def test_expired_sessions_mid_run(start: Callable[..., Any]) -> None:
    client: Client = await start(time_scale=1.0)
    pages_seen = 0
    async with extract(client.http, SOQL, page_size=100, polling=BRISK, parallel_pages=False) as pages:
        async for _ in pages:
            pages_seen += 1
            client.sandbox.expire_sessions()
    assert pages_seen == 4
    assert client.sandbox.stats.unauthorized_sent == 4  # the 3 next pages and the DELETE, one 401 each


async def test_stop_while_the_job_runs_aborts_it_and_yields_no_page(start: Callable[..., Any]) -> None:
    client: Client = await start(job_polls_per_state=1000)  # the job stays InProgress
    stop = anyio.Event()

    async def stop_once_polled() -> None:
        await anyio.sleep(0.3)  # the job was created; its first poll is 5 s away
        stop.set()

    with anyio.fail_after(3):  # stop ends the 5 s wait at once
        async with anyio.create_task_group() as tg:
            tg.start_soon(stop_once_polled)
            pages = await client.extract(stop=stop, polling=Polling(5, 5, 60))
    assert pages == []
    assert client.sandbox.stats.requests["query_patch"] == 1  # aborted
    assert client.sandbox.stats.jobs_deleted == 1
    assert client.sandbox.stats.requests["query_results"] == 0


@pytest.mark.parametrize("has_message", [True, False])
async def test_failed_job(start: Callable[..., Any], has_message: bool) -> None:
    client: Client = await start(failed_query_share=1.0, failed_query_has_message=has_message)
    with pytest.raises(QueryJobFailedError, match="failed") as info:
        await client.extract()
    if not has_message:
        assert "no errorMessage" in str(info.value)
    # Salesforce's internal error ("Unexpected exception") is worth new jobs; a job failed for no
    # given reason is not.
    jobs = DEFAULT_JOB_ATTEMPTS if has_message else 1
    assert client.sandbox.stats.query_jobs_created == jobs
    assert client.sandbox.stats.jobs_deleted == jobs
    assert client.sandbox.stats.requests["query_results"] == 0


@pytest.mark.parametrize("accept_gzip", [True, False])
async def test_gzip_on_and_off(start: Callable[..., Any], accept_gzip: bool) -> None:
    plain: Client = await start(accept_gzip=False)
    reference = await plain.extract(parallel_pages=False)
    client: Client = await start(accept_gzip=accept_gzip)
    pages = await client.extract(parallel_pages=False)
    assert [p.rows for p in pages] == [p.rows for p in reference]
    if accept_gzip:
        assert client.sandbox.stats.bytes_sent < plain.sandbox.stats.bytes_sent / 2
    else:
        assert client.sandbox.stats.bytes_sent == plain.sandbox.stats.bytes_sent


@pytest.mark.parametrize("shape", ["doc", "live"])
async def test_parallel_result_pages_match_locator_paging(start: Callable[..., Any], shape: str) -> None:
    client: Client = await start(result_pages_shape=shape, result_pages_per_call=3, page_latency_s=0.02)
    sequential = await client.extract(parallel_pages=False)
    parallel = await client.extract(parallel_pages=True, max_parallel=4)
    assert _ids(parallel) == _ids(sequential)
    assert client.sandbox.stats.requests["query_result_pages"] >= 3
    # Every page but the last names where to resume, and resuming there gives the rest of the job.
    assert all(p.next_locator for p in parallel[:-1])
    assert parallel[-1].next_locator is None


async def test_resume_mid_job(start: Callable[..., Any]) -> None:
    client: Client = await start()
    first_two: list[Page] = []
    async with extract(client.http, SOQL, page_size=50, polling=BRISK, parallel_pages=False) as pages:
        async for page in pages:
            first_two.append(page)
            if len(first_two) == 2:
                break
    assert client.sandbox.stats.jobs_deleted == 0
    checkpoint = first_two[-1]
    assert checkpoint.next_locator is not None
    resume = Resume(checkpoint.job_id, checkpoint.next_locator, checkpoint.rows_before + len(checkpoint.rows))
    rest = await client.extract(resume=resume)
    assert len(set(_ids(first_two) + _ids(rest))) == 400
    assert rest[0].rows_before == 100
    assert client.sandbox.stats.jobs_deleted == 1


async def test_transient_faults_are_ridden_out(start: Callable[..., Any]) -> None:
    client: Client = await start()
    client.sandbox.faults.inject(Fault.SERVICE_UNAVAILABLE, endpoint="query_create")
    client.sandbox.faults.inject(Fault.CONCURRENT_LIMIT, endpoint="query_get")
    client.sandbox.faults.inject(Fault.SERVER_ERROR, endpoint="query_results")
    client.sandbox.faults.inject(Fault.RESET_MID_BODY, count=2, endpoint="query_results")
    pages = await client.extract(page_size=150, parallel_pages=False)
    assert len(set(_ids(pages))) == 400
    stats = client.sandbox.stats
    assert stats.query_jobs_created == 1
    assert stats.faults_served[Fault.RESET_MID_BODY] == 2
    assert stats.pages_served == 3
