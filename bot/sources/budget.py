"""A time budget for source calls, so that running out of time is a typed, counted failure.

A caller that must answer in time (a slash command) wraps its source calls in
`with call_budget(seconds):`. Each public source call made inside (`HttpClient.track`) then
ends by that deadline, retries and backoffs included, with an `UpstreamTimeout` that says how
long it waited, reported to source health like any failure. (An `asyncio.timeout` around the
call cancelled it from outside instead: the caller got a bare `TimeoutError`, whose message is
empty, and health never heard of it.) Budgets nest: an inner one never extends an outer one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallBudget:
    """`seconds` as the caller gave them, ending at `deadline` (event loop time)."""

    seconds: float
    deadline: float


_current: ContextVar[CallBudget | None] = ContextVar("source_call_budget", default=None)


@contextmanager
def call_budget(seconds: float) -> Iterator[CallBudget]:
    """Bound the source calls made inside to `seconds` from now (or the enclosing budget)."""
    deadline = asyncio.get_running_loop().time() + seconds
    outer = _current.get()
    budget = outer if outer is not None and outer.deadline <= deadline else None
    budget = budget or CallBudget(seconds, deadline)
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def current_budget() -> CallBudget | None:
    """The budget the running code is under, if any."""
    return _current.get()
