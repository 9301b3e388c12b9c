"""Single flight: concurrent askers of one key share the one piece of work in progress."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

K = TypeVar("K")
T = TypeVar("T")


def single_flight(
    pending: dict[K, asyncio.Future[T]], key: K, work: Awaitable[T]
) -> asyncio.Future[T]:
    """Start `work` as the one task for `key` in `pending`; it leaves `pending` when done.

    Await the result through `asyncio.shield`, so an asker who gives up (cancelled) does not
    cancel the work the others wait for.
    """
    task = asyncio.ensure_future(work)
    pending[key] = task

    def done(finished: asyncio.Future[T]) -> None:
        if pending.get(key) is finished:
            del pending[key]
        if not finished.cancelled():
            finished.exception()  # retrieved: every asker may have gone (cancelled) meanwhile

    task.add_done_callback(done)
    return task


async def shared(pending: dict[K, asyncio.Future[T]], key: K, work: Awaitable[T]) -> T:
    """The result of the work in progress for `key`, else of `work` started now."""
    task = pending.get(key)
    if task is None:
        task = single_flight(pending, key, work)
    elif asyncio.iscoroutine(work):
        work.close()  # not needed: someone else's is running
    return await asyncio.shield(task)
