from __future__ import annotations

import aiohttp
import pytest

from bulk_o2c.bench.sandbox_process import (
    LatencySpec,
    NetSuiteSpec,
    SandboxProcessError,
    SandboxSpec,
    sandbox_process,
)
from bulk_o2c.commands.sandboxes import describe_netsuite_sandbox


async def test_the_child_serves_the_sandbox_asked_for_and_stops_with_the_block() -> None:
    spec = NetSuiteSpec(concurrency_limit=7, max_records=40, time_scale=0.5, latency=LatencySpec(base_s=0.1))
    async with sandbox_process(SandboxSpec(netsuite=spec)) as urls:
        assert urls.salesforce is None
        assert urls.netsuite is not None
        account = await describe_netsuite_sandbox(urls.netsuite)
        assert (account.concurrency_limit, account.max_records, account.time_scale) == (7, 40, 0.5)
        assert account.latency.base_s == 0.1
    with pytest.raises(aiohttp.ClientError):
        async with aiohttp.ClientSession() as session, session.get(urls.netsuite + "/sandbox/account"):
            pass


async def test_a_child_that_cannot_start_is_an_error() -> None:
    # A record cap the sandbox refuses: the child fails while building its config.
    with pytest.raises(SandboxProcessError, match="did not start"):
        async with sandbox_process(SandboxSpec(netsuite=NetSuiteSpec(max_records=5000))):
            pass
