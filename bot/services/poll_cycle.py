"""What the feeds of one poll cycle share: its time, summary, matcher and store.

`PollingService` builds one `PollCycle` per cycle and hands it to every due feed
(`bot.services.feed_protocol.Feed`). A feed asks it whether a source may be asked
(`unavailable`: cooling down after earlier failures, or failed earlier in this cycle, so one
outage costs one request per cycle, not one per feed), judges name matches with the homonym
guard (`judge`) and stores what it accepted (`match_and_store`, `store`), which counts into the
cycle's `PollSummary`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.cutoff_fence import CutoffFence
from bot.services.homonym_guard import FollowedAuthor, FollowedAuthorMatcher, MatchOutcome
from bot.services.paper_store import PaperLink, StoreResult, store_fenced
from bot.services.poll_report import PollProgress, PollSummary, ProgressCallback
from bot.services.topic_store import store_topic_matches
from bot.sources.models import ANNOUNCE_CROSS, ANNOUNCE_NEW, Paper
from bot.topics import PaperText, QueryError, TopicIndex, TopicQuery, parse_query
from db.database import Database
from db.models import Author, FeedState, TopicFollow
from db.models import SourceHealth as SourceHealthRow
from db.repositories.papers import PaperRepository
from db.repositories.suggestions import ListedItem, SuggestionRepository

log = logging.getLogger(__name__)

LISTING_KEPT = timedelta(days=14)  # listing announcements kept for suggestions


@dataclass(slots=True)
class PollCycle:
    """One cycle's shared state. `failed`: sources that failed during this cycle."""

    database: Database
    fence: CutoffFence
    now: datetime
    summary: PollSummary
    authors: Sequence[Author]  # every followed author, as stored
    followed: Sequence[FollowedAuthor]  # the same, as the name matcher sees them
    matcher: FollowedAuthorMatcher
    feeds: dict[str, FeedState]  # feed_state rows by key
    health: dict[str, SourceHealthRow]  # source health rows by source
    earliest_follow: datetime | None
    progress: ProgressCallback | None = None
    # Every topic follow: their categories join the listing feeds, whose papers are matched
    # to their queries (parsed and indexed only when a listing is read: `topics`).
    topic_follows: Sequence[TopicFollow] = ()
    _topics: TopicIndex[int] | None = None
    done: int = 0
    total: int = 0
    failed: set[str] = field(default_factory=set)

    @property
    def topic_categories(self) -> set[str]:
        """The arXiv categories and archives the topic follows name (stored with each)."""
        return {c for follow in self.topic_follows for c in follow.categories or ()}

    @property
    def topics(self) -> TopicIndex[int]:
        """Every topic follow's query, by follow id, built on first use this cycle (a query
        the parser no longer accepts, after a change of the language, is left out, logged)."""
        if self._topics is None:
            queries: dict[int, TopicQuery] = {}
            for follow in self.topic_follows:
                try:
                    queries[follow.id] = parse_query(follow.query)
                except QueryError as error:
                    log.warning(
                        "topic follow %s: its query no longer parses (%s)", follow.id, error
                    )
            self._topics = TopicIndex(queries)
        return self._topics

    def step(self, stage: str) -> None:
        """One step of the cycle done (for a progress bar)."""
        self.done += 1
        if self.progress is not None:
            try:
                self.progress(PollProgress(stage, self.done, self.total))
            except Exception:  # a broken progress bar must not stop a poll
                log.exception("progress callback failed")

    def backing_off(self, source: str) -> datetime | None:
        """When `source` may be asked again, if it failed before and is still cooling down."""
        health = self.health.get(source)
        if (
            health is not None
            and health.consecutive_failures > 0
            and health.next_try_at is not None
            and health.next_try_at > self.now
        ):
            return health.next_try_at
        return None

    def window_start(
        self,
        state: FeedState | None,
        *,
        overlap: timedelta,
        first_lookback: timedelta,
        first_from: datetime | None = None,
    ) -> datetime:
        """Where a feed's fetch starts: its last success minus `overlap` (sources index late),
        or on its first run `first_lookback` before `first_from` (default: now)."""
        if state is not None and state.last_success_at is not None:
            return state.last_success_at - overlap
        return (first_from or self.now) - first_lookback

    def unavailable(self, source: str) -> bool:
        """True when `source` must not be asked now (cooling down, or failed this cycle)."""
        return source in self.failed or self.backing_off(source) is not None

    async def judge(self, papers: Sequence[Paper]) -> MatchOutcome:
        """Which followed authors wrote `papers`, by name and the homonym guard."""
        candidates = self.matcher.candidates(papers)
        coauthors: dict[int, list[str]] = {}
        needing = self.matcher.authors_needing_coauthors(candidates)
        if needing:
            async with self.database.reader() as session:
                coauthors = await PaperRepository(session).coauthor_names(needing)
        return self.matcher.decide(candidates, coauthors)

    async def match_and_store(self, papers: Sequence[Paper]) -> None:
        """Judge `papers` by name and store the accepted matches."""
        if not papers:
            return
        outcome = await self.judge(papers)
        self.summary.matches += len(outcome.accepted)
        self.summary.homonyms_rejected += len(outcome.rejected)
        await self.store(outcome.accepted)

    async def keep_listing(self, papers: Sequence[Paper]) -> None:
        """Keep the listing's new announcements for two weeks: digest suggestions are drawn
        from them (`bot.services.suggestions`)."""
        items = [
            ListedItem(
                paper.arxiv_id,
                paper.title,
                paper.abstract or "",
                tuple(paper.categories),
                tuple(a.name for a in paper.authors),
                paper.announced,
            )
            for paper in papers
            if paper.announce_type in (ANNOUNCE_NEW, ANNOUNCE_CROSS)
            and paper.arxiv_id
            and paper.announced is not None
        ]
        async with self.database.transaction() as session:
            await SuggestionRepository(session).keep_listing(
                items, now=self.now, keep_since=self.now - LISTING_KEPT
            )

    async def match_topics(self, papers: Sequence[Paper]) -> None:
        """Store the listing's new announcements (new papers, cross-lists) that topic follows
        match, with their alerts: every topic against every paper in one pass."""
        if not self.topic_follows:
            return
        # A new version of an old paper is not news to a topic.
        news = [p for p in papers if p.announce_type in (ANNOUNCE_NEW, ANNOUNCE_CROSS)]
        matched = self.topics.match_all(
            [PaperText.of(p.title, p.abstract or "", p.categories) for p in news]
        )
        found = [(paper, topics) for paper, topics in zip(news, matched, strict=True) if topics]
        if not found:
            return
        async with self.fence.storing(self.database) as (session, stamp):
            stored = await store_topic_matches(session, found, now=stamp)
        self.summary.topic_matches += stored.links_made
        self.summary.papers_new += stored.papers_new
        self.summary.alerts_enqueued += stored.alerts_enqueued

    async def store(self, matches: Sequence[PaperLink]) -> StoreResult:
        """Store papers already attributed to followed authors, with their alerts."""
        if not matches:
            return StoreResult()
        # Stamped now, not at the cycle's start (`now`): a plan may have cut since.
        stored = await store_fenced(self.database, self.fence, matches)
        self.summary.add(stored)
        return stored
