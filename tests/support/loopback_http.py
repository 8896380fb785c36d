"""Hostile answers for transport tests, served with ``tests.support.loopback.serving``."""

from __future__ import annotations

import asyncio
import itertools
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field

from aiohttp import web

MIB = 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def routes(**handlers: Handler) -> web.Application:
    """An app answering GET /<name> with each handler."""
    app = web.Application()
    for name, handler in handlers.items():
        app.router.add_get(f"/{name}", handler)
    return app


def fixed(body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Handler:
    """A handler that always gives the same answer."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers=headers)

    return handle


def gzip_of_zeros(size: int) -> bytes:
    """A gzip bomb: ``size`` zero bytes once inflated, about a thousandth of that on the wire."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    parts = [deflate.compress(block) for _ in range(size // MIB)]
    return b"".join([*parts, deflate.compress(bytes(size % MIB)), deflate.flush()])


@dataclass
class Streamed:
    """What a streaming answer managed to send before it ended or the client hung up."""

    sent: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)


def streaming(
    chunks: Iterable[bytes], *, delay_s: float = 0.0, headers: Mapping[str, str] | None = None
) -> tuple[Handler, Streamed]:
    """A handler that sends ``chunks`` one by one (``delay_s`` apart), and what it sent."""
    streamed = Streamed()

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        try:
            await response.prepare(request)
            for chunk in chunks:
                await response.write(chunk)
                streamed.sent += len(chunk)
                if delay_s:
                    await asyncio.sleep(delay_s)
            await response.write_eof()
        except ConnectionError:
            pass  # the client hung up: what it refused to read is the point of the test
        finally:
            streamed.finished.set()
        return response

    return handle, streamed


def trickle(delay_s: float) -> tuple[Handler, Streamed]:
    """An endless body, one byte every ``delay_s``."""
    return streaming(itertools.repeat(b"x"), delay_s=delay_s)


async def finished(streamed: Streamed, timeout_s: float = 5.0) -> int:
    """Bytes sent once the handler is done (the client's hang-up reaches it a moment later)."""
    with suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await streamed.finished.wait()
    return streamed.sent
