"""The one interface every feed the poll reads implements (docs/architecture.md#adding-a-source).

A feed names the `feed_state` row that remembers it (`key`: its watermark `last_success_at`,
conditional-GET validators and `next_poll_at`), the source whose health decides whether it may
run (`source`), and how often it is due (`interval`). `PollingService` decides what is due,
then calls `poll` with the cycle (`bot.services.poll_cycle.PollCycle`) and the feed's stored
state; the feed fetches since its watermark, counts its requests into `cycle.summary`, stores
what it found through `cycle` and says whether it succeeded. Only a success moves the watermark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.services.poll_cycle import PollCycle
from bot.sources.models import Validators
from db.models import FeedState


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """How one feed's poll ended. `validators`: the listing's ETag / Last-Modified to keep."""

    succeeded: bool
    validators: Validators | None = None


class Feed(Protocol):
    """One upstream feed read by the poll cycle."""

    @property
    def source(self) -> str:
        """The source (health row) this feed waits for while it cools down."""
        ...

    @property
    def interval(self) -> timedelta:
        """How long after a success the feed is due again."""
        ...

    def key(self, cycle: PollCycle) -> str | None:
        """Its `feed_state` key this cycle; None when there is nothing to read."""
        ...

    def steps(self, cycle: PollCycle) -> int:
        """How many progress steps its poll will report (`cycle.step`)."""
        ...

    async def poll(self, cycle: PollCycle, state: FeedState | None) -> FeedOutcome:
        """Fetch since `state.last_success_at` (None: never succeeded) and store; count the
        requests and errors into `cycle.summary`. Raises nothing for an upstream failure."""
        ...
