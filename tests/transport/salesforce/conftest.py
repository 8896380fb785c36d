"""Shared fixtures for the Salesforce transport tests: a fake token source and a quick retry policy.

``session`` and ``mocked`` (aioresponses) come from tests/transport/conftest.py.
"""

from __future__ import annotations

import aiohttp
import pytest

from bulk_o2c.transport.retry import RetryPolicy
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.tokens import AccessToken, TokenManager

INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v62.0"


class FakeTokens:
    """Hands out tok-1, tok-2, ... each time the manager renews."""

    def __init__(self, instance_url: str | None = INSTANCE, lifetime_s: float = 7200.0) -> None:
        self.issued: list[str] = []
        self.instance_url = instance_url
        self.lifetime_s = lifetime_s
        self.now = 1_000_000.0

    async def fetch(self) -> AccessToken:
        value = f"tok-{len(self.issued) + 1}"
        self.issued.append(value)
        return AccessToken(value, self.now, self.lifetime_s, self.instance_url)

    def manager(self) -> TokenManager:
        return TokenManager(self.fetch, refresh_margin=0.25, clock=lambda: self.now)


def quick_retry(attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(max_attempts=attempts, base_delay_s=0.0, max_delay_s=0.0)


@pytest.fixture
def fake_tokens() -> FakeTokens:
    return FakeTokens()


@pytest.fixture
def http(session: aiohttp.ClientSession, fake_tokens: FakeTokens) -> SalesforceHttp:
    return SalesforceHttp(session, fake_tokens.manager(), api_version="62.0", retry=quick_retry())
