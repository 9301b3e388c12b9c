"""One poll cycle: fetch new papers of the followed authors, store them, plan instant alerts.

The database decides what is due (`feed_state`, `source_health`), so a bot that was down
catches up on its next cycle. Two feeds (docs/sources.md#what-one-poll-asks):

- `arxiv_api:authors`: the batched `au:` OR query over every followed author, windowed on
  `lastUpdatedDate` (so new versions come too) from the feed's last success minus an overlap
  (`api_overlap`, default 4 days: arXiv announces a paper up to ~3.3 days after its submission
  time, which is the date the API filters on, longer over holidays), or on the very first poll
  from the earliest follow minus `first_lookback`. Batches of `authors_per_request` names; the
  first failing batch stops the feed (the source is down: the rest would fail too).
- `arxiv_rss:<cats>`: the listing feed of the union of the followed authors' usual categories,
  with a conditional GET (ETag / Last-Modified kept in `feed_state`). Its items carry no exact
  dates or affiliations, so the matched ones are fetched by id from the API before storing;
  when that fails a `new`/`cross` item is stored with its announcement date as `published`,
  and a `replace` item is left for the API feed (its real v1 date decides priming).

Each batch is matched by name, filtered by the homonym guard (`bot.services.homonym_guard`), and
stored in one transaction: papers by arXiv id without version (`upsert_many`; a new version
updates, never re-announces), links to every matching followed author, and one outbox row per
destination and paper for the `instant` follows whose `created_at` is not after the paper's v1
date (priming). That transaction is stamped (`first_seen_at`) when it runs, not at the cycle's
start, and fenced against digest cut-offs (`CutoffFence`): a plan during the cycle must not
cut after the stamps of papers not yet committed, or they miss every digest. A feed's
`last_success_at` moves only when the whole feed succeeded; upstream errors are recorded
(health) and summarised, never raised.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.services.cutoff_fence import CutoffFence
from bot.services.homonym_guard import (
    FollowedAuthor,
    FollowedAuthorMatcher,
    MatchOutcome,
)
from bot.services.paper_history import PaperHistory
from bot.services.paper_store import store_fenced
from bot.services.poll_report import PollProgress, PollSummary, ProgressCallback
from bot.sources.arxiv_query import author_term, chunk_ids_for_url
from bot.sources.arxiv_rss import validate_categories
from bot.sources.errors import SourceError
from bot.sources.factory import Sources
from bot.sources.models import ANNOUNCE_CROSS, ANNOUNCE_NEW, Paper, Validators
from db.database import Database
from db.models import Author, FeedState
from db.models import SourceHealth as SourceHealthRow
from db.repositories.feeds import FeedStateRepository
from db.repositories.follows import FollowRepository
from db.repositories.health import SourceHealthRepository
from db.repositories.leader import exclusively
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

API_FEED_KEY = "arxiv_api:authors"
RSS_FEED_PREFIX = "arxiv_rss:"
API_SOURCE = "arxiv_api"
POLL_ROLE = "poll"  # the lock that makes polls one at a time per database
RELEASED_KEY = "poll:released"  # feed_state row: when the last poll ended (arXiv's spacing)
RSS_SOURCE = "arxiv_rss"

DEFAULT_INTERVAL = timedelta(hours=1)
DEFAULT_API_OVERLAP = timedelta(days=4)
DEFAULT_FIRST_LOOKBACK = timedelta(days=3)
DEFAULT_NAMES_PER_AUTHOR = 2  # 1,000 authors x 2 names / 40 per request = 50 requests (<= 60)
DEFAULT_AUTHORS_PER_REQUEST = 40
# One arXiv search each: 50 API requests plus these stay within 60 for 1,000 authors.
DEFAULT_HISTORIES_PER_CYCLE = 10


def rss_feed_key(categories: Sequence[str]) -> str:
    """`arxiv_rss:cs.CV+cs.LG`: the feed's state is per category set (its ETag is per URL)."""
    joined = "+".join(categories)
    key = RSS_FEED_PREFIX + joined
    if len(key) <= 200:  # the feed_state key column
        return key
    digest = hashlib.sha1(joined.encode()).hexdigest()[:20]
    return f"{RSS_FEED_PREFIX}{len(categories)}-categories-{digest}"


# --- the service ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _CycleState:
    now: datetime
    summary: PollSummary
    matcher: FollowedAuthorMatcher
    feeds: dict[str, FeedState]
    health: dict[str, SourceHealthRow]
    progress: ProgressCallback | None
    done: int = 0
    total: int = 0
    api_failed: bool = False  # this cycle: do not hammer a source that just failed

    def step(self, stage: str) -> None:
        self.done += 1
        if self.progress is not None:
            try:
                self.progress(PollProgress(stage, self.done, self.total))
            except Exception:  # a broken progress bar must not stop a poll
                log.exception("progress callback failed")


def plan_name_batches(
    authors: Sequence[FollowedAuthor], names_per_author: int, authors_per_request: int
) -> list[list[str]]:
    """The arXiv query names of one poll: display name, then variants (`names_per_author` per
    author, repeats across authors dropped), in batches of `authors_per_request`."""
    names: list[str] = []
    seen: set[str] = set()
    for author in authors:
        taken = 0
        for name in author.names:
            term = author_term(name).lower()
            if not term or term in seen:
                continue
            seen.add(term)
            names.append(name)
            taken += 1
            if taken >= names_per_author:
                break
    return [names[i : i + authors_per_request] for i in range(0, len(names), authors_per_request)]


class PollingService:
    """Runs poll cycles over the followed authors. One instance per process (the leader)."""

    def __init__(
        self,
        database: Database,
        sources: Sources,
        clock: Clock,
        *,
        interval: timedelta = DEFAULT_INTERVAL,
        api_overlap: timedelta = DEFAULT_API_OVERLAP,
        first_lookback: timedelta = DEFAULT_FIRST_LOOKBACK,
        names_per_author: int = DEFAULT_NAMES_PER_AUTHOR,
        authors_per_request: int = DEFAULT_AUTHORS_PER_REQUEST,
        fence: CutoffFence,
        history: PaperHistory,
        histories_per_cycle: int = DEFAULT_HISTORIES_PER_CYCLE,
    ) -> None:
        """`fence`: the process's shared one (`bot.runtime`); a separate one is still ordered
        against the others by the database's lock. `history` fetches the earlier papers of
        followed authors whose first fetch failed, `histories_per_cycle` at most per cycle."""
        self._db = database
        self._sources = sources
        self._clock = clock
        self._fence = fence
        self._history = history
        self.histories_per_cycle = histories_per_cycle
        self.interval = interval
        self.api_overlap = api_overlap
        self.first_lookback = first_lookback
        self.names_per_author = max(1, names_per_author)
        self.authors_per_request = max(1, authors_per_request)

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
                return PollSummary(started_at=now, finished_at=now, busy=True)
            try:
                return await self._cycle(progress)
            finally:
                await self._mark_released()

    async def _cycle(self, progress: ProgressCallback | None) -> PollSummary:
        now = self._clock.now()
        summary = PollSummary(started_at=now)
        async with self._db.reader() as session:
            authors = await FollowRepository(session).followed_authors()
            earliest = await FollowRepository(session).earliest_follow_at()
            feeds = {s.key: s for s in await FeedStateRepository(session).list_all()}
            health = {h.source: h for h in await SourceHealthRepository(session).list_all()}
        self._space_after_previous_poll(feeds.get(RELEASED_KEY), now)
        summary.followed_authors = len(authors)
        if not authors:
            summary.finished_at = self._clock.now()
            log.info("poll: nobody follows anyone; nothing to poll")
            return summary
        followed = [FollowedAuthor.from_row(a) for a in authors]
        state = _CycleState(now, summary, FollowedAuthorMatcher(followed), feeds, health, progress)
        name_batches = plan_name_batches(followed, self.names_per_author, self.authors_per_request)
        categories = self._categories(followed)
        rss_key = rss_feed_key(categories) if categories else None
        api_due = self._due(state, API_FEED_KEY, API_SOURCE)
        rss_due = rss_key is not None and self._due(state, rss_key, RSS_SOURCE)
        unfetched = [a for a in authors if a.papers_fetched_at is None]
        histories = unfetched[: self.histories_per_cycle] if api_due else []
        summary.histories_pending = len(unfetched)
        state.total = (len(name_batches) if api_due else 0) + (1 if rss_due else 0)
        state.total += len(histories)
        if api_due:
            await self._guard(state, API_FEED_KEY, self._poll_api(state, name_batches, earliest))
        if rss_due and rss_key is not None:
            await self._guard(state, rss_key, self._poll_rss(state, rss_key, categories))
        if histories:
            await self._guard(state, "paper histories", self._complete_histories(state, histories))
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
        limiter = self._sources.arxiv_limiter
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

    # --- planning ------------------------------------------------------------------------

    @staticmethod
    def _categories(authors: Sequence[FollowedAuthor]) -> list[str]:
        wanted = sorted({c for a in authors for c in a.usual_categories})
        try:
            return list(validate_categories(wanted)) if wanted else []
        except ValueError:  # normalize_categories already dropped malformed names
            return []

    def _due(self, state: _CycleState, key: str, source: str) -> bool:
        feed = state.feeds.get(key)
        if feed is not None and feed.next_poll_at is not None and feed.next_poll_at > state.now:
            state.summary.feeds_skipped.append(
                f"{key}: not due until {feed.next_poll_at:%Y-%m-%d %H:%M} UTC"
            )
            return False
        until = self._backing_off(state, source)
        if until is not None:  # not healthy: an error of this cycle, with the reason
            why = state.health[source].last_error or "no error recorded"
            state.summary.errors.append(
                f"{key}: {source} backing off until {until:%Y-%m-%d %H:%M} UTC after {why}"
            )
            return False
        return True

    @staticmethod
    def _backing_off(state: _CycleState, source: str) -> datetime | None:
        """When `source` may be asked again, if it failed and is still cooling down."""
        health = state.health.get(source)
        if (
            health is not None
            and health.consecutive_failures > 0
            and health.next_try_at is not None
            and health.next_try_at > state.now
        ):
            return health.next_try_at
        return None

    async def _guard(self, state: _CycleState, key: str, poll: Awaitable[None]) -> None:
        """Run one feed; a bug or a database hiccup in it is reported, not raised."""
        try:
            await poll
        except Exception as exc:
            log.exception("poll of %s failed", key)
            state.summary.errors.append(f"{key}: internal error ({type(exc).__name__})")

    # --- the arXiv API feed ----------------------------------------------------------------

    async def _poll_api(
        self, state: _CycleState, batches: list[list[str]], earliest: datetime | None
    ) -> None:
        summary = state.summary
        feed = state.feeds.get(API_FEED_KEY)
        if feed is not None and feed.last_success_at is not None:
            since = feed.last_success_at - self.api_overlap
        else:
            since = (earliest or state.now) - self.first_lookback
        summary.feeds_polled.append(API_FEED_KEY)
        log.info("poll %s: %d batches since %s", API_FEED_KEY, len(batches), since.isoformat())
        for number, names in enumerate(batches, start=1):
            try:
                found = await self._sources.arxiv_api.search_authors(
                    names, since=since, until=state.now, date_field="lastUpdatedDate"
                )
            except SourceError as error:
                summary.count_request(API_SOURCE)
                summary.errors.append(f"{API_FEED_KEY} batch {number}/{len(batches)}: {error}")
                state.api_failed = True
                return  # the feed failed: its window start stays where it was
            summary.count_request(API_SOURCE, found.requests)
            summary.papers_seen += len(found.papers)
            await self._match_and_store(state, found.papers)
            state.step(f"arXiv API batch {number}/{len(batches)}")
        await self._mark_success(state, API_FEED_KEY)

    # --- earlier papers of authors whose first fetch failed ------------------------------

    async def _complete_histories(self, state: _CycleState, authors: Sequence[Author]) -> None:
        """Fetch the earlier papers of followed authors whose last fetch did not complete (an
        arXiv or OpenAlex outage during their follow or first profile), oldest first; stop
        when a source fails again (only arXiv's failure is the cycle's)."""
        for author in authors:
            if state.api_failed or self._backing_off(state, API_SOURCE) is not None:
                return
            history = await self._history.complete(author)
            for source, count in history.requests.items():
                state.summary.count_request(source, count)
            if not history.complete:
                state.api_failed = state.api_failed or "arXiv" in history.down
                state.summary.errors.append(
                    f"{' and '.join(history.down)} (earlier papers of author {author.id}): "
                    "not answering"
                )
                return
            state.summary.histories_completed += 1
            state.summary.histories_pending -= 1
            state.step(f"earlier papers {state.summary.histories_completed}/{len(authors)}")

    # --- the listing feed ------------------------------------------------------------------

    async def _poll_rss(self, state: _CycleState, key: str, categories: list[str]) -> None:
        summary = state.summary
        feed = state.feeds.get(key)
        sent = Validators(feed.etag, feed.last_modified) if feed is not None else None
        summary.feeds_polled.append(key)
        try:
            listing = await self._sources.arxiv_rss.fetch_listing(categories, validators=sent)
        except SourceError as error:
            summary.count_request(RSS_SOURCE)
            summary.errors.append(f"{key}: {error}")
            return
        summary.count_request(RSS_SOURCE)
        if listing.possibly_truncated:
            summary.errors.append(f"{key}: listing hit the 2,000-item cap (the API feed covers it)")
        if not listing.not_modified:
            summary.papers_seen += len(listing.papers)
            outcome = await self._judge(state, listing.papers)
            summary.homonyms_rejected += len(outcome.rejected)
            papers = await self._enrich(state, [m.paper for m in outcome.accepted])
            await self._match_and_store(state, papers)
        state.step("arXiv listing feed")
        await self._mark_success(state, key, listing.validators)

    async def _enrich(self, state: _CycleState, listed: list[Paper]) -> list[Paper]:
        """Full API records of the matched listing items (exact dates, affiliations)."""
        wanted = list(dict.fromkeys(p.arxiv_id for p in listed))
        if not wanted:
            return []
        fetched: dict[str, Paper] = {}
        if state.api_failed or self._backing_off(state, API_SOURCE) is not None:
            log.info("arXiv API backing off: %d listing items stored as listed", len(wanted))
        else:
            api = self._sources.arxiv_api
            try:
                for paper in await api.fetch_by_ids(wanted):
                    fetched[paper.arxiv_id] = paper
            except SourceError as error:
                state.api_failed = True
                state.summary.errors.append(f"{API_SOURCE} (listing details): {error}")
            finally:
                chunks = chunk_ids_for_url(
                    wanted, base_url=api.base_url, max_request_line=api.max_request_line
                )
                state.summary.count_request(API_SOURCE, len(chunks))
        papers: list[Paper] = []
        for paper in {p.arxiv_id: p for p in listed}.values():
            if paper.arxiv_id in fetched:
                papers.append(fetched[paper.arxiv_id])
            elif paper.announce_type in (ANNOUNCE_NEW, ANNOUNCE_CROSS):
                papers.append(paper)
            else:  # a new version of an old paper: only the API knows its real v1 date
                log.info("listing item %s left for the API feed", paper.versioned_id)
        return papers

    # --- shared steps ----------------------------------------------------------------------

    async def _judge(self, state: _CycleState, papers: Sequence[Paper]) -> MatchOutcome:
        matcher = state.matcher
        candidates = matcher.candidates(papers)
        coauthors: dict[int, list[str]] = {}
        needing = matcher.authors_needing_coauthors(candidates)
        if needing:
            async with self._db.reader() as session:
                coauthors = await PaperRepository(session).coauthor_names(needing)
        return matcher.decide(candidates, coauthors)

    async def _match_and_store(self, state: _CycleState, papers: Sequence[Paper]) -> None:
        if not papers:
            return
        outcome = await self._judge(state, papers)
        state.summary.matches += len(outcome.accepted)
        state.summary.homonyms_rejected += len(outcome.rejected)
        if not outcome.accepted:
            return
        # Stamped now, not at the cycle's start (`state.now`): a plan may have cut since.
        state.summary.add(await store_fenced(self._db, self._fence, outcome.accepted))

    async def _mark_success(
        self, state: _CycleState, key: str, validators: Validators | None = None
    ) -> None:
        values: dict[str, Any] = {}
        if validators is not None:
            values = {"etag": validators.etag, "last_modified": validators.last_modified}
        async with self._db.transaction() as session:
            await FeedStateRepository(session).upsert(
                key,
                now=state.now,
                last_success_at=state.now,
                next_poll_at=state.now + self.interval,
                **values,
            )


__all__ = [
    "API_FEED_KEY",
    "RSS_FEED_PREFIX",
    "PollProgress",
    "PollSummary",
    "PollingService",
    "ProgressCallback",
    "rss_feed_key",
]
