"""Bounded body reading against a loopback server: decompressed size, gzip bombs, trickles."""

from __future__ import annotations

import gzip
import time

import aiohttp
import anyio
import pytest

from bulk_o2c.errors import BodyTooLargeError, TransientError
from bulk_o2c.transport.body import (
    INFLATE_STEP,
    READ_BYTES,
    BodyLimits,
    BodyTimeoutError,
    body_chunks,
    read_body,
)
from tests.support.loopback import serving
from tests.support.loopback_http import (
    MIB,
    Handler,
    finished,
    fixed,
    gzip_of_zeros,
    routes,
    streaming,
    trickle,
)

LIMIT = BodyLimits(MIB, size_setting="test.max_body")
BOMB = gzip_of_zeros(64 * MIB)


def _gzip(body: bytes) -> Handler:
    return fixed(body, headers={"Content-Encoding": "gzip"})


async def test_a_body_within_its_bounds_is_read_whole() -> None:
    page = b"Id\n" + b"001A\n" * 10_000
    app = routes(plain=fixed(page), packed=_gzip(gzip.compress(page)))
    async with serving(app) as base, aiohttp.ClientSession() as session:
        for name in ("plain", "packed"):
            async with session.get(f"{base}/{name}") as resp:
                assert await read_body(resp, LIMIT, what="GET /page") == page


async def test_a_gzip_bomb_is_refused_once_its_inflated_bytes_pass_the_bound() -> None:
    async with (
        serving(routes(bomb=_gzip(BOMB))) as base,
        aiohttp.ClientSession() as session,
        session.get(f"{base}/bomb") as resp,
    ):
        with pytest.raises(BodyTooLargeError, match=r"raise test\.max_body") as info:
            await read_body(resp, LIMIT, what="GET /bomb")
    assert isinstance(info.value, TransientError)
    assert LIMIT.max_bytes < info.value.received <= LIMIT.max_bytes + READ_BYTES


async def test_a_body_kept_as_it_travelled_is_counted_as_it_inflates() -> None:
    kept: list[bytes] = []
    async with (
        serving(routes(bomb=_gzip(BOMB))) as base,
        aiohttp.ClientSession() as session,
        session.get(f"{base}/bomb", auto_decompress=False) as resp,
    ):

        async def keep() -> None:
            async for chunk in body_chunks(resp, LIMIT, what="GET /bomb", encoded=True):
                kept.append(chunk)  # noqa: PERF401 (what was kept before the refusal is the point)

        with pytest.raises(BodyTooLargeError) as info:
            await keep()
    # What was kept is the compressed stream, a few KB of it: the count was of what it inflates to.
    assert sum(map(len, kept)) < len(BOMB)
    assert LIMIT.max_bytes < info.value.received <= LIMIT.max_bytes + INFLATE_STEP


async def test_an_oversize_body_is_dropped_unread() -> None:
    handler, streamed = streaming([bytes(MIB)] * 64)
    async with serving(routes(big=handler)) as base, aiohttp.ClientSession() as session:
        async with session.get(f"{base}/big") as resp:
            with pytest.raises(BodyTooLargeError):
                await read_body(resp, LIMIT, what="GET /big")
        # The connection was closed: the server could not push the rest through the socket buffers.
        assert await finished(streamed) < 32 * MIB


async def test_a_trickling_body_hits_its_total_time_bound() -> None:
    handler, _ = trickle(0.05)
    limits = BodyLimits(MIB, max_seconds=0.5, time_setting="test.body_timeout_s")
    async with serving(routes(slow=handler)) as base:
        # Each byte comes well within the wait-per-read timeout; only the total bound can end it.
        timeout = aiohttp.ClientTimeout(sock_read=5)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(f"{base}/slow") as resp:
            started = time.monotonic()
            expected = r"after 0\.5 s \(test\.body_timeout_s\)"
            with anyio.fail_after(5), pytest.raises(BodyTimeoutError, match=expected):
                await read_body(resp, limits, what="GET /slow")
    assert 0.5 <= time.monotonic() - started < 2.0
