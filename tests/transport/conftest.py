"""Fixtures every transport test may use: a client session and aioresponses that works on aiohttp 3.14.

aioresponses 0.7.9 builds its fake responses without aiohttp 3.14's new ``stream_writer`` argument
(pnuckowski/aioresponses#289, open), so a plain ``ClientResponse`` fails when a test reads it. The
``mocked`` fixture swaps in :class:`CompatResponse` as aioresponses' default response class, which
covers ``mocked.post(...)`` and ``CallbackResult(...)`` alike; no test needs to name it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import aioresponses.core
import pytest
from aioresponses import aioresponses as Aioresponses
from yarl import URL


class CompatResponse(aiohttp.ClientResponse):
    """A finished upload only needs its ``output_size`` from the stream writer."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aioresponses]:
    monkeypatch.setattr(aioresponses.core, "ClientResponse", CompatResponse)
    with Aioresponses() as m:
        yield m
