"""One Salesforce connection for a run: session, token manager and the Bulk 2.0 HTTP layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.transport.retry import RetryPolicy
from bulk_o2c.transport.salesforce.auth import SalesforceAuth
from bulk_o2c.transport.salesforce.http import SalesforceHttp, body_limits, client_session


@asynccontextmanager
async def connect_salesforce(
    settings: SalesforceSettings, *, accept_gzip: bool = True, retry: RetryPolicy | None = None
) -> AsyncIterator[SalesforceHttp]:
    retry = retry if retry is not None else RetryPolicy()
    async with client_session() as session:
        auth = SalesforceAuth(session, settings, retry=retry)
        yield SalesforceHttp(
            session,
            auth.tokens,
            api_version=settings.api_version,
            retry=retry,
            accept_gzip=accept_gzip,
            limits=body_limits(settings),
        )
