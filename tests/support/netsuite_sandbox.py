"""A NetSuite sandbox with settings that point the real client at it (for transport, pipeline and
command tests that need a whole account rather than a scripted answer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, NetSuiteSandboxConfig

VERSION = "2025_2"


def settings_for(sandbox: NetSuiteSandbox, **overrides: Any) -> NetSuiteSettings:
    credentials = sandbox.credentials
    values: dict[str, Any] = {
        "account_id": sandbox.config.account_id,
        "endpoint_version": VERSION,
        "soap_url": sandbox.soap_url(VERSION),
        "consumer_key": SecretStr(credentials.consumer_key),
        "consumer_secret": SecretStr(credentials.consumer_secret),
        "token_id": SecretStr(credentials.token_id),
        "token_secret": SecretStr(credentials.token_secret),
        "max_attempts": 2,
    }
    values.update(overrides)
    return NetSuiteSettings(**values)


@asynccontextmanager
async def running_sandbox(**config: Any) -> AsyncIterator[NetSuiteSandbox]:
    """A sandbox that answers at once (``time_scale`` 0) unless told otherwise."""
    values: dict[str, Any] = {"time_scale": 0.0}
    values.update(config)
    async with NetSuiteSandbox(NetSuiteSandboxConfig(**values)) as sandbox:
        yield sandbox
