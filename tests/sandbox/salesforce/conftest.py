"""Fixtures for the Salesforce sandbox tests: a running org with a plain aiohttp client.

The tests talk to the sandbox with aiohttp and the csv module only, never with bulk-o2c's own
client code, so a client bug cannot hide a server bug (and the reverse).
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bulk_o2c.sandbox.salesforce import DatasetSpec, SalesforceSandbox, SalesforceSandboxConfig

API_VERSION = "62.0"
SMALL_DATASET = DatasetSpec(seed=7, n_accounts=300, n_orders=120, lines_per_order=(1, 4), bad_share=0.05)
TERMINAL = {"JobComplete", "Failed", "Aborted"}


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """Made at run time: no private key is ever committed."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def rows(self) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.text, newline="")))


@dataclass
class Org:
    sandbox: SalesforceSandbox
    http: aiohttp.ClientSession
    token: str = field(repr=False)

    @property
    def api(self) -> str:
        return f"{self.sandbox.base_url}/services/data/v{API_VERSION}"

    def auth(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
        headers = self.auth(**kwargs.pop("headers", {}))
        async with self.http.request(method, self.api + path, headers=headers, **kwargs) as response:
            body = (
                await response.json()
                if response.content_type == "application/json"
                else await response.text()
            )
            return response.status, body, dict(response.headers)

    async def create_query(self, soql: str, **options: str) -> dict[str, Any]:
        status, job, _ = await self.call(
            "POST", "/jobs/query", json={"operation": "query", "query": soql, **options}
        )
        assert status == 200, job
        return dict(job)

    async def wait(self, kind: str, job_id: str) -> dict[str, Any]:
        for _ in range(50):
            status, info, _ = await self.call("GET", f"/jobs/{kind}/{job_id}")
            assert status == 200, info
            if info["state"] in TERMINAL:
                return dict(info)
        raise AssertionError(f"job {job_id} did not finish in 50 polls")

    async def page(
        self,
        job_id: str,
        locator: str | None = None,
        max_records: int | None = None,
        encoding: str = "identity",
        **params: str,
    ) -> Page:
        query = dict(params)
        if locator is not None:
            query["locator"] = locator
        if max_records is not None:
            query["maxRecords"] = str(max_records)
        async with self.http.get(
            f"{self.api}/jobs/query/{job_id}/results",
            params=query,
            headers=self.auth(**{"Accept-Encoding": encoding}),
        ) as response:
            return Page(response.status, dict(response.headers), await response.text())

    async def all_pages(self, job_id: str, max_records: int, encoding: str = "identity") -> list[Page]:
        pages: list[Page] = []
        locator: str | None = None
        while True:
            page = await self.page(job_id, locator, max_records, encoding)
            assert page.status == 200, page.text
            pages.append(page)
            locator = page.headers["Sforce-Locator"]
            if locator == "null":
                return pages
            assert len(pages) < 1000

    async def rows(self, job_id: str, max_records: int) -> list[list[str]]:
        """The data rows of every page, headers left out."""
        return [row for page in await self.all_pages(job_id, max_records) for row in page.rows[1:]]


async def client_credentials_token(http: aiohttp.ClientSession, sandbox: SalesforceSandbox) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
    }
    async with http.post(f"{sandbox.base_url}/services/oauth2/token", data=form) as response:
        assert response.status == 200
        return str((await response.json())["access_token"])


StartOrg = Callable[..., Awaitable[Org]]


@pytest.fixture
async def start_org() -> AsyncIterator[StartOrg]:
    """Start sandboxes (fast settings, small data set unless overridden); all stop at teardown."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**overrides: Any) -> Org:
            settings: dict[str, Any] = {"dataset": SMALL_DATASET, "page_latency_s": 0.0, **overrides}
            sandbox = await stack.enter_async_context(SalesforceSandbox(SalesforceSandboxConfig(**settings)))
            http = await stack.enter_async_context(aiohttp.ClientSession())
            return Org(sandbox, http, await client_credentials_token(http, sandbox))

        yield start


@pytest.fixture
async def org(start_org: StartOrg) -> Org:
    return await start_org()
