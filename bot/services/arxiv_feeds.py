"""The two arXiv feeds of the poll (docs/sources.md#what-one-poll-asks).

- `ArxivApiFeed` (`arxiv_api:authors`): the batched `au:` OR query over every followed author,
  windowed on `lastUpdatedDate` (so new versions come too) from the feed's last success minus
  an overlap (`api_overlap`, default 4 days: arXiv announces a paper up to ~3.3 days after its
  submission time, which is the date the API filters on, longer over holidays), or on the very
  first poll from the earliest follow minus `first_lookback`. Batches of `authors_per_request`
  names; the first failing batch stops the feed (the source is down: the rest would fail too).
- `ArxivListingFeed` (`arxiv_rss:<cats>`): the listing feed of the union of the followed
  authors' usual categories, with a conditional GET (ETag / Last-Modified kept in
  `feed_state`). Its items carry no exact dates or affiliations, so the matched ones are
  fetched by id from the API before storing; when that fails a `new`/`cross` item is stored
  with its announcement date as `published`, and a `replace` item is left for the API feed (its
  real v1 date decides priming).

Both judge names with the homonym guard and store through the cycle (`PollCycle`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.services.feed_protocol import FeedOutcome
from bot.services.homonym_guard import FollowedAuthor
from bot.services.poll_cycle import PollCycle
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_query import author_term
from bot.sources.arxiv_rss import ArxivRssSource, validate_categories
from bot.sources.errors import SourceError
from bot.sources.models import ANNOUNCE_CROSS, ANNOUNCE_NEW, Paper, Validators
from db.models import FeedState

log = logging.getLogger(__name__)

API_FEED_KEY = "arxiv_api:authors"
RSS_FEED_PREFIX = "arxiv_rss:"
API_SOURCE = "arxiv_api"
RSS_SOURCE = "arxiv_rss"

DEFAULT_INTERVAL = timedelta(hours=1)
DEFAULT_API_OVERLAP = timedelta(days=4)
DEFAULT_FIRST_LOOKBACK = timedelta(days=3)
DEFAULT_NAMES_PER_AUTHOR = 2  # 1,000 authors x 2 names / 40 per request = 50 requests (<= 60)
DEFAULT_AUTHORS_PER_REQUEST = 40


def rss_feed_key(categories: Sequence[str]) -> str:
    """`arxiv_rss:cs.CV+cs.LG`: the feed's state is per category set (its ETag is per URL)."""
    joined = "+".join(categories)
    key = RSS_FEED_PREFIX + joined
    if len(key) <= 200:  # the feed_state key column
        return key
    digest = hashlib.sha1(joined.encode()).hexdigest()[:20]
    return f"{RSS_FEED_PREFIX}{len(categories)}-categories-{digest}"


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


class ArxivApiFeed:
    """Every followed author's new and updated arXiv papers, by name."""

    source = API_SOURCE

    def __init__(
        self,
        api: ArxivApiSource,
        *,
        interval: timedelta = DEFAULT_INTERVAL,
        api_overlap: timedelta = DEFAULT_API_OVERLAP,
        first_lookback: timedelta = DEFAULT_FIRST_LOOKBACK,
        names_per_author: int = DEFAULT_NAMES_PER_AUTHOR,
        authors_per_request: int = DEFAULT_AUTHORS_PER_REQUEST,
    ) -> None:
        self._api = api
        self.interval = interval
        self.api_overlap = api_overlap
        self.first_lookback = first_lookback
        self.names_per_author = max(1, names_per_author)
        self.authors_per_request = max(1, authors_per_request)

    def key(self, cycle: PollCycle) -> str | None:
        return API_FEED_KEY if cycle.followed else None  # topics alone read only listings

    def _batches(self, cycle: PollCycle) -> list[list[str]]:
        return plan_name_batches(cycle.followed, self.names_per_author, self.authors_per_request)

    def steps(self, cycle: PollCycle) -> int:
        return len(self._batches(cycle))

    async def poll(self, cycle: PollCycle, state: FeedState | None) -> FeedOutcome:
        summary = cycle.summary
        since = cycle.window_start(
            state,
            overlap=self.api_overlap,
            first_lookback=self.first_lookback,
            first_from=cycle.earliest_follow,
        )
        batches = self._batches(cycle)
        log.info("poll %s: %d batches since %s", API_FEED_KEY, len(batches), since.isoformat())
        for number, names in enumerate(batches, start=1):
            try:
                found = await self._api.search_authors(
                    names, since=since, until=cycle.now, date_field="lastUpdatedDate"
                )
            except SourceError as error:
                summary.count_request(API_SOURCE)
                summary.errors.append(f"{API_FEED_KEY} batch {number}/{len(batches)}: {error}")
                cycle.failed.add(API_SOURCE)
                return FeedOutcome(succeeded=False)  # its window start stays where it was
            summary.count_request(API_SOURCE, found.requests)
            summary.papers_seen += len(found.papers)
            await cycle.match_and_store(found.papers)
            cycle.step(f"arXiv API batch {number}/{len(batches)}")
        return FeedOutcome(succeeded=True)


class ArxivListingFeed:
    """The day's announcements in the followed authors' usual categories; the matched items
    are completed from the API (`api`) before they are stored."""

    source = RSS_SOURCE

    def __init__(
        self,
        rss: ArxivRssSource,
        api: ArxivApiSource,
        *,
        interval: timedelta = DEFAULT_INTERVAL,
    ) -> None:
        self._rss = rss
        self._api = api
        self.interval = interval

    @staticmethod
    def _categories(cycle: PollCycle) -> list[str]:
        """The followed authors' usual categories and the topic follows' categories."""
        wanted = sorted(
            {c for a in cycle.followed for c in a.usual_categories} | cycle.topic_categories
        )
        try:
            return list(validate_categories(wanted)) if wanted else []
        except ValueError:  # normalize_categories already dropped malformed names
            return []

    def key(self, cycle: PollCycle) -> str | None:
        categories = self._categories(cycle)
        return rss_feed_key(categories) if categories else None

    def steps(self, cycle: PollCycle) -> int:
        return 1

    async def poll(self, cycle: PollCycle, state: FeedState | None) -> FeedOutcome:
        summary = cycle.summary
        categories = self._categories(cycle)
        key = rss_feed_key(categories)
        sent = Validators(state.etag, state.last_modified) if state is not None else None
        try:
            listing = await self._rss.fetch_listing(categories, validators=sent)
        except SourceError as error:
            summary.count_request(RSS_SOURCE)
            summary.errors.append(f"{key}: {error}")
            cycle.failed.add(RSS_SOURCE)
            return FeedOutcome(succeeded=False)
        summary.count_request(RSS_SOURCE)
        if listing.possibly_truncated:
            summary.errors.append(f"{key}: listing hit the 2,000-item cap (the API feed covers it)")
        if not listing.not_modified:
            summary.papers_seen += len(listing.papers)
            outcome = await cycle.judge(listing.papers)
            summary.homonyms_rejected += len(outcome.rejected)
            papers = await self._enrich(cycle, [m.paper for m in outcome.accepted])
            await cycle.match_and_store(papers)
            await cycle.match_topics(listing.papers)
            await cycle.keep_listing(listing.papers)
        cycle.step("arXiv listing feed")
        return FeedOutcome(succeeded=True, validators=listing.validators)

    async def _enrich(self, cycle: PollCycle, listed: list[Paper]) -> list[Paper]:
        """Full API records of the matched listing items (exact dates, affiliations)."""
        wanted = list(dict.fromkeys(p.arxiv_id for p in listed if p.arxiv_id))
        if not wanted:
            return []
        fetched: dict[str, Paper] = {}
        if cycle.unavailable(API_SOURCE):
            log.info("arXiv API backing off: %d listing items stored as listed", len(wanted))
        else:
            try:
                for paper in await self._api.fetch_by_ids(wanted):
                    if paper.arxiv_id:
                        fetched[paper.arxiv_id] = paper
            except SourceError as error:
                cycle.failed.add(API_SOURCE)
                cycle.summary.errors.append(f"{API_SOURCE} (listing details): {error}")
            finally:
                cycle.summary.count_request(API_SOURCE, self._api.id_list_requests(wanted))
        papers: list[Paper] = []
        for paper in {p.arxiv_id: p for p in listed}.values():
            if paper.arxiv_id in fetched:
                papers.append(fetched[paper.arxiv_id])
            elif paper.announce_type in (ANNOUNCE_NEW, ANNOUNCE_CROSS):
                papers.append(paper)
            else:  # a new version of an old paper: only the API knows its real v1 date
                log.info("listing item %s left for the API feed", paper.versioned_id)
        return papers
