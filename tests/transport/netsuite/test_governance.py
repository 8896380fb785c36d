"""Governance discovery against the NetSuite sandbox: the bound a run takes, and its fallbacks."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from aiohttp import web

from bulk_o2c.errors import PermanentError
from bulk_o2c.protocol.netsuite.governance import Governance
from bulk_o2c.protocol.netsuite.passport import TbaCredentials
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.netsuite.governance import GOVERNANCE_LIMITS_PATH, RestGovernance
from bulk_o2c.transport.netsuite.soap_client import SoapClient
from bulk_o2c.transport.netsuite.writer import open_writer
from tests.support.netsuite_sandbox import running_sandbox, settings_for
from tests.transport.netsuite.test_writer import collect, customers


async def _bind(cap: int | None = None, soap_url: str | None = None, **config: object) -> tuple[int, str]:
    """The limiter's ceiling after binding, and the log text."""
    async with running_sandbox(**config) as sandbox:
        overrides: dict[str, object] = {"concurrency": cap}
        if soap_url is not None:
            overrides["soap_url"] = sandbox.base_url + soap_url
        async with open_writer(settings_for(sandbox, **overrides)) as writer:
            bound = await writer.bind_concurrency()
            assert bound is not None
            assert writer.client.limiter.max_limit == bound.bound
            assert writer.client.limiter.current_limit == bound.bound
            return bound.bound, bound.describe()


async def test_an_integration_specific_limit_is_the_bound() -> None:
    bound, text = await _bind(concurrency_limit=15, integration_limit=4)
    assert bound == 4
    assert "reported a bound of 4 over SOAP" in text
    assert "limit type integrationSpecific" in text


async def test_without_its_own_limit_the_bound_is_what_other_integrations_leave() -> None:
    bound, text = await _bind(concurrency_limit=15, reserved_by_others=5)
    assert bound == 10
    assert "account limit 15, unallocated 10" in text


async def test_the_setting_caps_the_reported_bound() -> None:
    bound, text = await _bind(cap=3, concurrency_limit=15)
    assert bound == 3
    assert "reported a bound of 15" in text
    assert "cap netsuite.concurrency: 3; using 3" in text


async def test_a_cap_above_the_bound_does_not_raise_it() -> None:
    bound, _ = await _bind(cap=40, concurrency_limit=15, integration_limit=6)
    assert bound == 6


async def test_rest_answers_when_soap_governance_is_unavailable() -> None:
    # A SOAP endpoint that is not there (404): the REST governanceLimits gives the figures.
    bound, text = await _bind(soap_url="/services/NoSuchPort", concurrency_limit=20, integration_limit=7)
    assert bound == 7
    assert "over REST" in text


async def test_a_role_that_is_not_an_administrator_falls_back_to_the_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "bulk_o2c")
    bound, text = await _bind(cap=2, administrator=False, concurrency_limit=15)
    assert bound == 2
    assert "did not report its concurrency limits; using 2" in text
    logged = caplog.text
    assert "getAccountGovernanceInfo: insufficientPermissionFault [INSUFFICIENT_PERMISSION]" in logged
    assert "getIntegrationGovernanceInfo: insufficientPermissionFault [INSUFFICIENT_PERMISSION]" in logged
    assert "REST governanceLimits: governanceLimits answered HTTP 403 INSUFFICIENT_PERMISSION" in logged
    assert "set netsuite.concurrency" in logged


async def test_without_governance_or_setting_the_base_pool_is_used() -> None:
    bound, text = await _bind(administrator=False, rest_governance=False, concurrency_limit=15)
    assert bound == 5
    assert "netsuite.concurrency: none" in text


async def test_soap_figures_combine_and_a_wrong_secret_is_refused_by_both_apis() -> None:
    async with running_sandbox(integration_limit=3) as sandbox:
        good = settings_for(sandbox)
        async with open_writer(good) as writer:
            assert writer.governance is not None
            reading = await writer.governance.read()
        assert reading.governance == Governance(
            "SOAP",
            account_limit=5,
            unallocated_limit=2,
            integration_limit=3,
            limit_type="integrationSpecific",
        )
        # A wrong token secret: SOAP refuses the passport and REST the header.
        async with open_writer(settings_for(sandbox, token_secret="0" * 64)) as writer:
            assert writer.governance is not None
            reading = await writer.governance.read()
        assert reading.governance is None
        assert any(
            "REST governanceLimits: governanceLimits answered HTTP 401 INVALID_LOGIN" in r
            for r in reading.refusals
        )
        assert sandbox.records("customer") == []


async def test_the_bound_keeps_a_run_inside_the_integrations_share() -> None:
    """The pool refuses what is over this integration's share; bound to it, a writer is never refused."""
    async with running_sandbox(concurrency_limit=10, integration_limit=2, time_scale=0.01) as sandbox:
        async with open_writer(settings_for(sandbox, concurrency=None, chunk_size=5)) as writer:
            await writer.bind_concurrency()
            results = await collect(writer, customers(60), 5)
        assert [r.ok for r in results] == [True] * 60
        stats = sandbox.stats
        assert stats.blocked == 0
        assert stats.highest_concurrency == 2


async def test_unbound_the_same_writer_is_refused_by_the_pool() -> None:
    # The contrast that shows the bound matters: the fallback of 5 overruns a share of 2.
    async with running_sandbox(concurrency_limit=10, integration_limit=2, time_scale=0.01) as sandbox:
        async with open_writer(settings_for(sandbox, concurrency=None, chunk_size=5)) as writer:
            await collect(writer, customers(60), 5)
        assert sandbox.stats.blocked > 0


async def test_get_record_reads_by_external_id() -> None:
    async with (
        running_sandbox(unreadable_record_types=frozenset({"salesOrder"})) as sandbox,
        open_writer(settings_for(sandbox)) as writer,
    ):
        (saved,) = await writer.write_chunk(customers(1))
        client = writer.client
        assert isinstance(client, SoapClient)
        found = await client.get_record("customer", external_id=saved.external_id)
        assert found is not None
        assert found.internal_id == saved.internal_id
        assert await client.get_record("customer", external_id="NOT-THERE") is None
        with pytest.raises(PermanentError, match="INSUFFICIENT_PERMISSION"):
            await client.get_record("salesOrder", external_id="ANY")


async def test_rest_governance_reads_a_body_that_arrives_in_pieces() -> None:
    # One read of the stream returns what has arrived so far, not the whole answer: a body sent in
    # two pieces must still be read whole (and within the bounded reader), not parsed half-read.
    async def limits(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"accountConcurrencyLimit": ')
        await asyncio.sleep(0.05)
        await response.write(b"15}")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get(GOVERNANCE_LIMITS_PATH, limits)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            credentials = TbaCredentials("123", "ck", "cs", "tid", "ts")
            rest = RestGovernance(session, f"http://127.0.0.1:{port}", credentials, AimdLimiter(4), 5.0)
            governance = await rest.read()
    finally:
        await runner.cleanup()
    assert governance.account_limit == 15
