import asyncio

import pytest

from bulk_o2c.sandbox.serving import serve_until_cancelled


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.calls.append(f"start {host}:{port}")

    async def stop(self) -> None:
        self.calls.append("stop")


async def test_ready_after_start_and_stopped_when_cancelled() -> None:
    sandbox = Recorder()
    ready: asyncio.Queue[Recorder] = asyncio.Queue()
    task = asyncio.create_task(serve_until_cancelled(sandbox, "127.0.0.1", 8123, ready.put_nowait))
    assert await ready.get() is sandbox
    assert sandbox.calls == ["start 127.0.0.1:8123"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sandbox.calls == ["start 127.0.0.1:8123", "stop"]


async def test_a_failing_on_ready_still_stops_the_sandbox() -> None:
    sandbox = Recorder()

    def broken(_: Recorder) -> None:
        raise RuntimeError("printing the URL failed")

    with pytest.raises(RuntimeError, match="printing"):
        await serve_until_cancelled(sandbox, "127.0.0.1", 0, broken)
    assert sandbox.calls == ["start 127.0.0.1:0", "stop"]
