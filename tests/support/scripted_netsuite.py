"""A loopback NetSuite whose ``upsertList`` answers a test rewrites: reordered, for records not sent,
cut short, without ids. For the client's side of "answers are matched to requests by key".

Each request is read and answered with the NetSuite sandbox's own request parser and response
renderer (an implementation independent of the client's codec). The honest answer saves every record,
in the order sent, under an internal id handed out once per record key; ``tamper`` turns it into the
answer actually sent. ``ids`` tells a test which internal id belongs to which record.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.sandbox.netsuite.outcomes import WriteOutcome
from bulk_o2c.sandbox.netsuite.soap_request import parse_upsert_request
from bulk_o2c.sandbox.netsuite.soap_response import render_upsert_response
from tests.support.loopback import serving

VERSION = "2025_2"
# (request number from 1, the honest answer in the order sent) -> the answer to send.
Tamper = Callable[[int, list[WriteOutcome]], list[WriteOutcome]]


def honest(request: int, answer: list[WriteOutcome]) -> list[WriteOutcome]:
    return answer


def reversed_answer(request: int, answer: list[WriteOutcome]) -> list[WriteOutcome]:
    return answer[::-1]


@dataclass
class ScriptedNetSuite:
    tamper: Tamper = honest
    ids: dict[tuple[str | None, str | None], str] = field(default_factory=dict)
    requests: int = 0

    def internal_id(self, record_type: str | None, external_id: str | None) -> str:
        return self.ids.setdefault((record_type, external_id), str(1000 + len(self.ids)))

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        upsert = parse_upsert_request(await request.read(), VERSION)
        answer = [
            WriteOutcome(r.record_type, r.external_id, self.internal_id(r.record_type, r.external_id))
            for r in upsert.records
        ]
        body = render_upsert_response(VERSION, "WEBSERVICES_TEST", self.tamper(self.requests, answer))
        return web.Response(status=200, body=body, content_type="text/xml")


@asynccontextmanager
async def scripted_netsuite(
    tamper: Tamper = honest,
) -> AsyncIterator[tuple[ScriptedNetSuite, NetSuiteSettings]]:
    """The server, on 127.0.0.1, and settings that send a writer to it (any credentials pass)."""
    server = ScriptedNetSuite(tamper)
    app = web.Application()
    path = f"/services/NetSuitePort_{VERSION}"
    app.router.add_post(path, server.handle)
    async with serving(app) as base_url:
        settings = NetSuiteSettings(
            account_id="1234567_SB1",
            endpoint_version=VERSION,
            soap_url=base_url + path,
            consumer_key="ck",
            consumer_secret="cs",
            token_id="ti",
            token_secret="ts",
            concurrency=2,
        )
        yield server, settings
