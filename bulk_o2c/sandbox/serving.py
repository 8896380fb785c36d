"""Running a sandbox until it is cancelled: the one ``serve`` loop both sandboxes share.

Rules this module owns:

- ``on_ready`` is called once the sandbox listens, so a caller reads its address from the
  sandbox (``base_url``) rather than guessing a port.
- Cancellation (Ctrl-C, a test's ``task.cancel()``) is the only way out; the sandbox is stopped on
  the way out whatever ended it, so no socket outlives the task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol, TypeVar


class Startable(Protocol):
    async def start(self, host: str = ..., port: int = ...) -> None: ...

    async def stop(self) -> None: ...


SandboxT = TypeVar("SandboxT", bound=Startable)


async def serve_until_cancelled(
    sandbox: SandboxT, host: str, port: int, on_ready: Callable[[SandboxT], None] | None
) -> None:
    await sandbox.start(host, port)
    try:
        if on_ready is not None:
            on_ready(sandbox)
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()
