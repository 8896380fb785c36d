"""A task group whose block fails with its own error.

An anyio task group raises an ``ExceptionGroup`` for any error, its block's own included. The
stages here keep their children from raising (a child's error is taken in order by the block,
so that it cannot cancel the block in the middle of a page), and the block's error is raised as
itself: the callers and the CLI match on it (``except UntrustedResultsError``, one ``error:`` line).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.abc import TaskGroup


@asynccontextmanager
async def task_group() -> AsyncIterator[TaskGroup]:
    """A task group for children that do not raise; an error of the block cancels them and is
    raised as itself once they have ended."""
    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        try:
            yield group
        except Exception as exc:  # raised below, outside the group
            failure = exc
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
