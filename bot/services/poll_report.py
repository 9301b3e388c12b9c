"""What a poll cycle did (`PollSummary`) and its progress as it goes (`PollProgress`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.paper_store import StoreResult


@dataclass(frozen=True, slots=True)
class PollProgress:
    """One step of a cycle done: `done` of `total` steps (API batches, then the RSS feed)."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[PollProgress], None]


@dataclass(slots=True)
class PollSummary:
    """What one cycle did. `requests` counts logical requests per source (retries excluded)."""

    started_at: datetime
    finished_at: datetime | None = None
    followed_authors: int = 0
    feeds_polled: list[str] = field(default_factory=list)
    feeds_skipped: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    papers_seen: int = 0
    papers_new: int = 0
    papers_updated: int = 0
    matches: int = 0
    homonyms_rejected: int = 0
    links_made: int = 0
    topic_matches: int = 0  # (topic follow, paper) links made from the listings
    alerts_enqueued: int = 0
    # Followed authors whose earlier papers were fetched this cycle, and still to fetch.
    histories_completed: int = 0
    histories_pending: int = 0
    errors: list[str] = field(default_factory=list)
    busy: bool = False  # another poll held the lock: this one did nothing

    @property
    def total_requests(self) -> int:
        """Requests to every source together."""
        return sum(self.requests.values())

    def count_request(self, source: str, n: int = 1) -> None:
        """Add `n` requests made to `source`."""
        self.requests[source] = self.requests.get(source, 0) + n

    def add(self, stored: StoreResult) -> None:
        """Fold one stored batch into the totals."""
        self.papers_new += stored.papers_new
        self.papers_updated += stored.papers_updated
        self.links_made += stored.links_made
        self.alerts_enqueued += stored.alerts_enqueued
