"""One poll cycle: ask every due feed for new papers of the followed authors, store them, plan
instant alerts.

The database decides what is due (`feed_state`, `source_health`), so a bot that was down
catches up on its next cycle. Every feed implements one protocol
(`bot.services.feed_protocol.Feed`); the runtime gives the poller four
(docs/sources.md#what-one-poll-asks):

- the arXiv API feed and the arXiv listing feed (`bot.services.arxiv_feeds`), hourly;
- the OpenAlex works feed (`bot.services.openalex_works`) and the PubMed feed
  (`bot.services.pubmed_feed`), daily.

A feed is due when its `next_poll_at` has passed and its source is not cooling down after
failures (then the cycle reports it as an error, with the reason). Each feed fetches since its
last success (its watermark), judges names with the homonym guard
(`bot.services.homonym_guard`) and stores through the cycle (`PollCycle`) in one transaction per
batch: papers merged by any identifier (`db.repositories.paper_writes`), links to every
matching followed author, and one outbox row per destination and paper for the `instant`
follows whose `created_at` is not after the paper's v1 date (priming). That transaction is
stamped (`first_seen_at`) when it runs, not at the cycle's start, and fenced against digest
cut-offs (`CutoffFence`): a plan during the cycle must not cut after the stamps of papers not
yet committed, or they miss every digest. A feed's `last_success_at` moves only when the whole
feed succeeded; upstream errors are recorded (health) and summarised, never raised.

After the feeds, while arXiv answers, up to `histories_per_cycle` followed authors whose first
fetch failed get their earlier papers (`PaperHistory`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.clock import Clock
from bot.services.arxiv_feeds import API_FEED_KEY, API_SOURCE
from bot.services.cutoff_fence import CutoffFence
from bot.services.feed_protocol import Feed, FeedOutcome
from bot.services.homonym_guard import FollowedAuthor, FollowedAuthorMatcher
from bot.services.paper_history import PaperHistory
from bot.services.poll_cycle import PollCycle
from bot.services.poll_report import PollProgress, PollSummary, ProgressCallback
from bot.sources.limiter import RateLimiter
from bot.telemetry import PAPERS_STORED, POLLS
from db.database import Database
from db.models import Author, FeedState
from db.repositories.feeds import FeedStateRepository
from db.repositories.follows import FollowRepository
from db.repositories.health import SourceHealthRepository
from db.repositories.leader import exclusively
from db.repositories.topics import TopicRepository

log = logging.getLogger(__name__)

POLL_ROLE = "poll"  # the lock that makes polls one at a time per database
RELEASED_KEY = "poll:released"  # feed_state row: when the last poll ended (arXiv's spacing)
# One arXiv search each: 50 API requests plus these stay within 60 for 1,000 authors.
DEFAULT_HISTORIES_PER_CYCLE = 10


class PollingService:
    """Runs poll cycles over the feeds. One instance per process (the leader)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        feeds: Sequence[Feed],
        arxiv_limiter: RateLimiter,
        fence: CutoffFence,
        history: PaperHistory,
        histories_per_cycle: int = DEFAULT_HISTORIES_PER_CYCLE,
    ) -> None:
        """`feeds`: polled in this order. `arxiv_limiter`: the process's arXiv limiter (the
        spacing between polls of several processes). `fence`: the process's shared one
        (`bot.runtime`); a separate one is still ordered against the others by the database's
        lock. `history` fetches the earlier papers of followed authors whose first fetch
        failed, `histories_per_cycle` at most per cycle."""
        self._db = database
        self._clock = clock
        self.feeds = tuple(feeds)
        self._arxiv_limiter = arxiv_limiter
        self._fence = fence
        self._history = history
        self.histories_per_cycle = histories_per_cycle

    async def run_cycle(
        self,
        progress: ProgressCallback | None = None,
        *,
        wait_seconds: float = 0.0,
        on_wait: Callable[[], None] | None = None,
    ) -> PollSummary:
        """Poll every due feed once; never raises for an upstream failure.

        One poll at a time per database, whichever process starts it (the bot's tick,
        `paperscout poll --once`): while another holds the poll lock this waits up to
        `wait_seconds` (`on_wait` is called when it starts waiting), then gives up with a
        `busy` summary. arXiv's spacing holds across the handover: the first request comes
        `min_interval` after the previous poll released the lock.
        """
        async with exclusively(
            self._db, POLL_ROLE, wait_seconds=wait_seconds, on_wait=on_wait
        ) as held:
            if not held:
                now = self._clock.now()
                log.info("poll: another poll is running on this database; not starting one")
                POLLS.labels("busy").inc()
                return PollSummary(started_at=now, finished_at=now, busy=True)
            try:
                summary = await self._cycle(progress)
            finally:
                await self._mark_released()
        POLLS.labels("errors" if summary.errors else "ok").inc()
        PAPERS_STORED.inc(summary.papers_new)
        return summary

    async def _cycle(self, progress: ProgressCallback | None) -> PollSummary:
        now = self._clock.now()
        summary = PollSummary(started_at=now)
        async with self._db.reader() as session:
            authors = await FollowRepository(session).followed_authors()
            earliest = await FollowRepository(session).earliest_follow_at()
            feeds = {s.key: s for s in await FeedStateRepository(session).list_all()}
            health = {h.source: h for h in await SourceHealthRepository(session).list_all()}
            topics = await TopicRepository(session).all_follows()
        self._space_after_previous_poll(feeds.get(RELEASED_KEY), now)
        summary.followed_authors = len(authors)
        if not authors and not topics:
            summary.finished_at = self._clock.now()
            log.info("poll: nobody follows anyone; nothing to poll")
            return summary
        followed = [FollowedAuthor.from_row(a) for a in authors]
        cycle = PollCycle(
            database=self._db,
            fence=self._fence,
            now=now,
            summary=summary,
            authors=authors,
            followed=followed,
            matcher=FollowedAuthorMatcher(followed),
            feeds=feeds,
            health=health,
            earliest_follow=earliest,
            progress=progress,
            topic_follows=topics,
        )
        due = [(feed, key) for feed in self.feeds if (key := self._due(cycle, feed)) is not None]
        unfetched = [a for a in authors if a.papers_fetched_at is None]
        api_due = any(key == API_FEED_KEY for _, key in due)
        histories = unfetched[: self.histories_per_cycle] if api_due else []
        summary.histories_pending = len(unfetched)
        cycle.total = sum(feed.steps(cycle) for feed, _ in due) + len(histories)
        for feed, key in due:
            summary.feeds_polled.append(key)
            await self._guard(cycle, key, self._poll(cycle, feed, key))
        if histories:
            await self._guard(cycle, "paper histories", self._complete_histories(cycle, histories))
        summary.finished_at = self._clock.now()
        log.info(
            "poll: %d requests, %d papers seen, %d new, %d updated, %d links, %d alerts, %d errors",
            summary.total_requests,
            summary.papers_seen,
            summary.papers_new,
            summary.papers_updated,
            summary.links_made,
            summary.alerts_enqueued,
            len(summary.errors),
        )
        return summary

    def _space_after_previous_poll(self, released: FeedState | None, now: datetime) -> None:
        """Hold arXiv's limiter until `min_interval` after the last poll released the lock (it
        may have been another process, whose last request this process's limiter never saw)."""
        limiter = self._arxiv_limiter
        if released is None or released.last_success_at is None:
            return
        since = (now - released.last_success_at).total_seconds()
        if 0 <= since < limiter.min_interval:
            limiter.hold_off(limiter.min_interval - since)

    async def _mark_released(self) -> None:
        """Note when this poll ended, for the next one's spacing (`_space_after_previous_poll`)."""
        now = self._clock.now()
        try:
            async with self._db.transaction() as session:
                await FeedStateRepository(session).upsert(
                    RELEASED_KEY, now=now, last_success_at=now
                )
        except Exception:  # the next poll then starts without the extra spacing: logged
            log.warning("could not note the end of the poll", exc_info=True)

    # --- one feed ----------------------------------------------------------------------------

    @staticmethod
    def _due(cycle: PollCycle, feed: Feed) -> str | None:
        """The feed's key when it is due this cycle, else None (why goes into the summary)."""
        key = feed.key(cycle)
        if key is None:
            return None
        state = cycle.feeds.get(key)
        if state is not None and state.next_poll_at is not None and state.next_poll_at > cycle.now:
            cycle.summary.feeds_skipped.append(
                f"{key}: not due until {state.next_poll_at:%Y-%m-%d %H:%M} UTC"
            )
            return None
        until = cycle.backing_off(feed.source)
        if until is not None:  # not healthy: an error of this cycle, with the reason
            why = cycle.health[feed.source].last_error or "no error recorded"
            cycle.summary.errors.append(
                f"{key}: {feed.source} backing off until {until:%Y-%m-%d %H:%M} UTC after {why}"
            )
            return None
        return key

    async def _poll(self, cycle: PollCycle, feed: Feed, key: str) -> None:
        outcome: FeedOutcome = await feed.poll(cycle, cycle.feeds.get(key))
        if not outcome.succeeded:
            return  # its watermark stays: the next cycle asks for the same window again
        validators = outcome.validators
        async with self._db.transaction() as session:
            await FeedStateRepository(session).upsert(
                key,
                now=cycle.now,
                last_success_at=cycle.now,
                next_poll_at=cycle.now + feed.interval,
                **(
                    {"etag": validators.etag, "last_modified": validators.last_modified}
                    if validators is not None
                    else {}
                ),
            )

    @staticmethod
    async def _guard(cycle: PollCycle, key: str, poll: Awaitable[None]) -> None:
        """Run one feed; a bug or a database hiccup in it is reported, not raised."""
        try:
            await poll
        except Exception as exc:
            log.exception("poll of %s failed", key)
            cycle.summary.errors.append(f"{key}: internal error ({type(exc).__name__})")

    # --- earlier papers of authors whose first fetch failed ------------------------------

    async def _complete_histories(self, cycle: PollCycle, authors: Sequence[Author]) -> None:
        """Fetch the earlier papers of followed authors whose last fetch did not complete (an
        arXiv or OpenAlex outage during their follow or first profile), oldest first; stop
        when a source fails again (only arXiv's failure is the cycle's)."""
        for author in authors:
            if cycle.unavailable(API_SOURCE):
                return
            history = await self._history.complete(author)
            for source, count in history.requests.items():
                cycle.summary.count_request(source, count)
            if not history.complete:
                if "arXiv" in history.down:
                    cycle.failed.add(API_SOURCE)
                cycle.summary.errors.append(
                    f"{' and '.join(history.down)} (earlier papers of author {author.id}): "
                    "not answering"
                )
                return
            cycle.summary.histories_completed += 1
            cycle.summary.histories_pending -= 1
            cycle.step(f"earlier papers {cycle.summary.histories_completed}/{len(authors)}")


__all__ = [
    "PollProgress",
    "PollSummary",
    "PollingService",
    "ProgressCallback",
]
