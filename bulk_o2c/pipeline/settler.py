"""Group commit of answered chunks: workers hand a chunk's outcomes over and send their next chunk;
one task commits what was handed over, several chunks to a transaction.

Rules this module owns:
- A chunk counts as done (``on_settled``: counters, records released for their dependants) only
  once the transaction that holds its outcomes has committed: the drain-then-checkpoint order.
- The first chunk handed over opens a batch; what arrives within ``LINGER_S`` after it, up to
  ``MAX_CHUNKS``, is committed with it (``chunks.complete_many``). When the client sets the pace a
  commit's fixed cost (a dozen round trips to the database thread and the WAL write) is shared by
  several chunks; when NetSuite sets it a chunk waits ``LINGER_S`` at most, and its worker is
  already sending the next one meanwhile.
- At most ``MAX_CHUNKS`` handed-over chunks wait for a commit; one more waits for room, so a slow
  disk slows the workers down instead of growing memory.
- A chunk handed over but not committed when the process dies is in flight in the checkpoint, and
  resume sends it again, as any chunk whose answer was lost. Once the hand-over side is closed (a
  stop, the end of the flow, or an error elsewhere in the loader) the settler commits every chunk
  handed over before it returns; only a cancellation leaves them to resume.
- The linger cancels a ``receive`` that is waiting: anyio 4.4 made that safe (a sender no longer
  hands an item to a receiver being cancelled, where 4.3 lost it), hence ``anyio>=4.4``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

import anyio

from bulk_o2c.store import CheckpointStore, Completion, Settled

LINGER_S = 0.1
MAX_CHUNKS = 50

OnSettled = Callable[[Sequence[Completion], Settled], None]


class Settler:
    def __init__(self, store: CheckpointStore, on_settled: OnSettled) -> None:
        self._store = store
        self._on_settled = on_settled
        self._send, self._receive = anyio.create_memory_object_stream[Completion](MAX_CHUNKS)

    async def hand_over(self, completion: Completion) -> None:
        await self._send.send(completion)

    async def __aenter__(self) -> Settler:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """No more chunks: ``run`` commits what it holds and returns."""
        self._send.close()

    async def run(self) -> None:
        async with self._receive:
            while batch := await self._next_batch():
                settled = await self._store.chunks.complete_many(batch)
                self._on_settled(batch, settled)

    async def _next_batch(self) -> list[Completion]:
        try:
            batch = [await self._receive.receive()]
        except anyio.EndOfStream:
            return []
        with anyio.move_on_after(LINGER_S):
            while len(batch) < MAX_CHUNKS:
                try:
                    batch.append(await self._receive.receive())
                except anyio.EndOfStream:
                    break
        return batch
