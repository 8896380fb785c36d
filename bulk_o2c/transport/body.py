"""Reading an answer's body within bounds: its size after decompression, and the time it takes.

Rules this module owns:

- Every body the transports read goes through ``body_chunks`` (or ``read_body``, which joins
  them). The bounds are what the API can legitimately send, from the settings.
- Size is counted in decompressed bytes as they arrive. aiohttp undoes ``Content-Encoding`` one
  read buffer at a time, so what ``resp.content`` yields is counted as it is made. A body kept as
  it travelled (``encoded``) with ``Content-Encoding: gzip`` is inflated here alongside, a step at a
  time with the output thrown away, only to count it; bytes after the end of the gzip stream, or
  past the point where it stops being gzip, count as they are (the parser reports the damage).
- The first chunk that passes the bound ends the read: the connection is closed, so its rest is
  never read, and ``BodyTooLargeError`` names the setting that raises the bound. A gzip bomb thus
  costs at most the bound plus one step of reading or inflating, whatever it would inflate to.
- Reading a body takes at most ``max_seconds`` from its first read (``BodyTimeoutError``): the
  session's timeout is per wait for bytes, which a server trickling a byte at a time never trips.
  The wait for the status line and headers before it is bounded the same way (``answer_within``).
- Messages name the request by method or operation and path, never its query or headers.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from bulk_o2c.errors import BodyTooLargeError, TransientError

MIB = 1024 * 1024
READ_BYTES = 256 * 1024
INFLATE_STEP = 256 * 1024  # inflated bytes made at once while counting, whatever the ratio


class BodyTimeoutError(TransientError):
    """An answer's body kept arriving past its time bound; it was dropped."""


@dataclass(frozen=True, slots=True)
class BodyLimits:
    max_bytes: int
    max_seconds: float | None = None
    # The settings that raise each bound, named in the errors so the operator knows what to change.
    size_setting: str = ""
    time_setting: str = ""


async def body_chunks(
    resp: aiohttp.ClientResponse,
    limits: BodyLimits,
    *,
    what: str,
    chunk_bytes: int = READ_BYTES,
    encoded: bool = False,
) -> AsyncIterator[bytes]:
    """The body in chunks of at most ``chunk_bytes``; ``encoded``: aiohttp was told not to inflate."""
    gzip = encoded and resp.headers.get("Content-Encoding", "").strip().lower() == "gzip"
    inflated = _InflatedSize() if gzip else None
    deadline = None if limits.max_seconds is None else asyncio.get_running_loop().time() + limits.max_seconds
    received = 0
    while chunk := await _read(resp, chunk_bytes, deadline, limits, what):
        received += len(chunk) if inflated is None else inflated.count(chunk, limits.max_bytes - received)
        if received > limits.max_bytes:
            resp.close()
            hint = f"; raise {limits.size_setting} if such answers are genuine" if limits.size_setting else ""
            raise BodyTooLargeError(
                f"{what}: the answer passed {limits.max_bytes:,} bytes (decompressed) and was not "
                f"read further{hint}",
                limit=limits.max_bytes,
                received=received,
            )
        yield chunk


@asynccontextmanager
async def answer_within(limits: BodyLimits, *, what: str) -> AsyncIterator[None]:
    """The block (sending a request, up to its answer's headers) takes at most ``max_seconds``."""
    try:
        async with asyncio.timeout(limits.max_seconds) as scope:
            yield
    except TimeoutError:
        if not scope.expired():
            raise  # the session's own timeouts: the caller's connection failure
        raise BodyTimeoutError(
            f"{what}: no answer within {limits.max_seconds:g} s{_time_hint(limits)}; it was dropped"
        ) from None


async def read_body(
    resp: aiohttp.ClientResponse, limits: BodyLimits, *, what: str, encoded: bool = False
) -> bytes:
    return b"".join([chunk async for chunk in body_chunks(resp, limits, what=what, encoded=encoded)])


async def _read(
    resp: aiohttp.ClientResponse, size: int, deadline: float | None, limits: BodyLimits, what: str
) -> bytes:
    if deadline is None:
        return await resp.content.read(size)
    try:
        async with asyncio.timeout_at(deadline) as scope:
            return await resp.content.read(size)
    except TimeoutError:
        if not scope.expired():
            raise  # the session's wait-per-read timeout: the caller's connection failure
        resp.close()
        raise BodyTimeoutError(
            f"{what}: the answer was still arriving after {limits.max_seconds:g} s{_time_hint(limits)} "
            "and was dropped"
        ) from None


def _time_hint(limits: BodyLimits) -> str:
    return f" ({limits.time_setting})" if limits.time_setting else ""


class _InflatedSize:
    """How many bytes a gzip stream inflates to, counted a step at a time; nothing is kept."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj(wbits=31)  # a gzip header and trailer around deflate
        self._ended = False

    def count(self, chunk: bytes, budget: int) -> int:
        """What ``chunk`` inflates to; once past ``budget``, the rest is not inflated."""
        if self._ended:
            return len(chunk)
        size = 0
        data = chunk
        try:
            while data and size <= budget:
                size += len(self._inflater.decompress(data, INFLATE_STEP))
                data = self._inflater.unconsumed_tail
        except zlib.error:
            self._ended = True
            return size + len(data)
        if self._inflater.eof:
            self._ended = True
            size += len(self._inflater.unused_data)
        return size
