"""Sending a CSV body in chunks, gzip-compressed when the client asked for it.

Rules:

- The body is produced line by line and sent in chunks of about ``CHUNK_CHARS`` characters, so a
  50,000-row page never exists as one string; the loop yields to the event loop between chunks so
  other requests keep being served.
- ``Content-Encoding: gzip`` is used only when the request's Accept-Encoding lists gzip (Salesforce
  ignores other encodings); otherwise the body is plain. Compression level 1: the sandbox shares the
  machine with the client under test, and level 1 already shrinks CSV several times.
- A ``reset`` download sends its headers and half of its first chunk, then closes the connection:
  the client sees a truncated chunked body, as after a network failure mid-download.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterable, Mapping

from aiohttp import web

from bulk_o2c.sandbox.salesforce.stats import SandboxStats

CHUNK_CHARS = 64 * 1024
_GZIP_LEVEL = 1
_GZIP_WBITS = 31  # 16 + 15: a gzip header and trailer around the deflate stream


def wants_gzip(request: web.Request) -> bool:
    codings = request.headers.get("Accept-Encoding", "")
    return any(part.split(";")[0].strip().lower() == "gzip" for part in codings.split(","))


async def send_csv(
    request: web.Request,
    lines: Iterable[str],
    *,
    headers: Mapping[str, str],
    stats: SandboxStats,
    reset: bool = False,
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=UTF-8", **headers})
    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS) if wants_gzip(request) else None
    if compressor is not None:
        response.headers["Content-Encoding"] = "gzip"
    await response.prepare(request)

    async def send(data: bytes) -> None:
        if data:
            stats.bytes_sent += len(data)
            await response.write(data)

    def encode(text: str) -> bytes:
        data = text.encode("utf-8")
        return compressor.compress(data) if compressor is not None else data

    pending: list[str] = []
    size = 0
    for line in lines:
        pending.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            if reset:
                break
            await send(encode("".join(pending)))
            pending.clear()
            size = 0
            await asyncio.sleep(0)
    if reset:
        data = encode("".join(pending)) + (compressor.flush(zlib.Z_SYNC_FLUSH) if compressor else b"")
        await send(data[: max(1, len(data) // 2)])
        if request.transport is not None:
            request.transport.close()
        return response
    await send(encode("".join(pending)))
    if compressor is not None:
        await send(compressor.flush())
    await response.write_eof()
    return response
