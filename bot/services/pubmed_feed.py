"""The PubMed feed: followed authors' new PubMed records, by ORCID or by name.

Once a day (a feed of the poll cycle, `bot.services.feed_protocol.Feed`, its state under
`JOB_KEY`), for every followed author:

- with an ORCID, `<orcid>[auid]`; without, their name terms (`pubmed_query.author_terms`);
- all terms OR-ed into as few `esearch` requests as fit (40 ORCIDs a request: 25 for 1,000
  authors), windowed on the Entrez date (the day a record entered PubMed, which only moves
  forward) since the job's last success minus `overlap`, or today minus `first_lookback`;
- every hit fetched (`efetch`, 200 records a request, up to `MAX_RECORDS`), each record made a
  record of the work (`pubmed_records.pubmed_paper`: PMID, DOI, PMC id, journal, and the
  preprint it updates, so a journal version joins its preprint);
- linked to a followed author when an author line carries their ORCID, or names them and is
  vouched for (`pubmed_records.judge_line`: co-author or affiliation; a hit is a candidate
  only: PubMed ignores a term it cannot find, and a name finds homonyms);
- stored through the cycle (`PollCycle.store`): one alert per destination and work, priming,
  digests, as for a paper the poll found.

A run that could not ask PubMed stores nothing and does not succeed, so its watermark stays and
the next cycle asks again; PubMed's health shows in `/status` and the outage notices.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.names import MatchStrength
from bot.services.feed_protocol import FeedOutcome
from bot.services.poll_cycle import PollCycle
from bot.services.pubmed_records import REASON_ORCID, judge_line, pubmed_paper
from bot.sources.errors import SourceError
from bot.sources.models import Paper, PubMedArticle
from bot.sources.openalex_parsing import bare_orcid
from bot.sources.pubmed import FETCH_BATCH, PubMedSource
from bot.sources.pubmed_query import author_terms, orcid_term
from db.models import Author, FeedState
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

JOB_KEY = "pubmed_feed"  # its feed_state key; its last success starts the window
SOURCE = "pubmed"
DEFAULT_INTERVAL = timedelta(days=1)
DEFAULT_OVERLAP = timedelta(days=3)  # a record's Entrez date can be a day or two behind
DEFAULT_FIRST_LOOKBACK = timedelta(days=30)
MAX_RECORDS = 2000  # fetched per run (10 requests); more hits than that are logged and left


@dataclass(frozen=True, slots=True)
class PubMedMatch:
    """`paper` is by followed author `author_id`; `matched_by`: `orcid`, `pubmed-name` (full
    name) or `pubmed-initial`."""

    paper: Paper
    author_id: int
    matched_by: str


@dataclass(slots=True)
class PubMedFeedReport:
    """What one run did (logged; the requests and errors also go into the cycle's summary).
    Requests are logical calls (retries excluded)."""

    since: date
    by_orcid: int = 0  # followed authors searched by ORCID
    by_name: int = 0  # followed authors searched by name
    searches: int = 0
    fetches: int = 0
    hits: int = 0
    records: int = 0  # records fetched
    rejected: int = 0  # name matches the guard did not vouch for
    papers_stored: int = 0
    links: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.searches + self.fetches


class PubMedFeed:
    """Followed authors' new PubMed records, by ORCID or by name (a poll `Feed`)."""

    source = SOURCE

    def __init__(
        self,
        *,
        pubmed: PubMedSource | None,
        interval: timedelta = DEFAULT_INTERVAL,
        overlap: timedelta = DEFAULT_OVERLAP,
        first_lookback: timedelta = DEFAULT_FIRST_LOOKBACK,
        max_records: int = MAX_RECORDS,
    ) -> None:
        """`pubmed` None: not configured, so never due."""
        self._pubmed = pubmed
        self.interval = interval
        self.overlap = overlap
        self.first_lookback = first_lookback
        self.max_records = max_records

    def key(self, cycle: PollCycle) -> str | None:
        return JOB_KEY if self._pubmed is not None else None

    def steps(self, cycle: PollCycle) -> int:
        return 1

    async def poll(self, cycle: PollCycle, state: FeedState | None) -> FeedOutcome:
        """One pass over every followed author; stores nothing when PubMed fails."""
        assert self._pubmed is not None  # not configured: never due (`key`)
        since = cycle.window_start(state, overlap=self.overlap, first_lookback=self.first_lookback)
        report = PubMedFeedReport(since=since.date())
        terms = self._terms(cycle.authors, report)
        try:
            if terms:
                await self._collect(cycle, report, terms)
        except SourceError as error:
            cycle.failed.add(SOURCE)
            report.searches = report.searches or 1  # the search that failed
            report.errors.append(str(error))  # "pubmed: ..." names the source
        cycle.summary.count_request(SOURCE, report.requests)
        cycle.summary.papers_seen += report.records
        cycle.summary.homonyms_rejected += report.rejected
        cycle.summary.errors += [f"{JOB_KEY}: {error}" for error in report.errors]
        cycle.step("PubMed")
        log.info(
            "pubmed feed since %s: %d by ORCID, %d by name, %d requests, %d hits, %d records, "
            "%d rejected, %d papers stored, %d links, %d alerts, %d errors",
            report.since.isoformat(),
            report.by_orcid,
            report.by_name,
            report.requests,
            report.hits,
            report.records,
            report.rejected,
            report.papers_stored,
            report.links,
            report.alerts,
            len(report.errors),
        )
        return FeedOutcome(succeeded=not report.errors)

    async def _collect(self, cycle: PollCycle, report: PubMedFeedReport, terms: list[str]) -> None:
        """Search, fetch, judge and store; a `SourceError` leaves everything unstored."""
        assert self._pubmed is not None
        found = await self._pubmed.search_batched(terms, since=report.since, until=cycle.now.date())
        report.searches = found.queries
        report.hits = len(found.pmids)
        wanted = list(found.pmids[: self.max_records])
        if len(found.pmids) > len(wanted) or found.truncated:
            log.warning(
                "pubmed feed: %d hits since %s, %d fetched", report.hits, report.since, len(wanted)
            )
        report.fetches = -(-len(wanted) // FETCH_BATCH)
        articles = await self._pubmed.fetch(wanted) if wanted else []
        report.records = len(articles)
        matches = await self._matches(cycle, articles, report)
        stored = await cycle.store(matches)
        report.papers_stored, report.links = stored.papers_new, stored.links_made
        report.alerts = stored.alerts_enqueued

    @staticmethod
    def _terms(followed: Sequence[Author], report: PubMedFeedReport) -> list[str]:
        terms: dict[str, None] = {}
        for author in followed:
            if author.orcid and bare_orcid(author.orcid):
                terms[orcid_term(author.orcid)] = None
                report.by_orcid += 1
            else:
                named = author_terms(author.display_name, author.name_variants or ())
                terms.update(dict.fromkeys(named))
                report.by_name += 1 if named else 0
        return list(terms)

    @staticmethod
    async def _matches(
        cycle: PollCycle, articles: Sequence[PubMedArticle], report: PubMedFeedReport
    ) -> list[PubMedMatch]:
        """Which records are whose (module docstring), each (work, author) once."""
        followed = cycle.authors
        records = [(a, p) for a in articles if (p := pubmed_paper(a)) is not None]
        by_orcid = {bare_orcid(a.orcid): a.id for a in followed if a.orcid and bare_orcid(a.orcid)}
        authors = {a.id: a for a in followed}
        found: dict[tuple[str, int], PubMedMatch] = {}
        for article, paper in records:  # an ORCID on the line: theirs, whatever the name
            for line in article.authors:
                owner = by_orcid.get(line.orcid) if line.orcid else None
                if owner is not None:
                    found[(paper.key, owner)] = PubMedMatch(paper, owner, REASON_ORCID)
        matcher = cycle.matcher
        lines = {paper.key: article for article, paper in records}
        candidates = [
            c
            for c in matcher.candidates(paper for _, paper in records)
            if (c.paper.key, c.owner) not in found
        ]
        if not candidates:
            return list(found.values())
        async with cycle.database.reader() as session:
            known = await PaperRepository(session).coauthor_names({c.owner for c in candidates})
        coauthors = matcher.coauthor_index(known)
        for candidate in candidates:
            author = authors[candidate.owner]
            line = lines[candidate.paper.key].authors[candidate.author_index]
            accepted, reason = judge_line(
                line.orcid,
                line.affiliations,
                orcid=bare_orcid(author.orcid) if author.orcid else None,
                institutions=author.affiliations or (),
                shared_coauthor=matcher.shares_coauthor(candidate, coauthors),
            )
            if not accepted:
                report.rejected += 1
                log.info(
                    "pubmed feed: %s on PMID %s is not author %d (%s)",
                    candidate.author_name,
                    candidate.paper.pmid,
                    author.id,
                    reason,
                )
                continue
            how = "pubmed-name" if candidate.strength >= MatchStrength.STRONG else "pubmed-initial"
            found.setdefault(
                (candidate.paper.key, author.id), PubMedMatch(candidate.paper, author.id, how)
            )
        return list(found.values())


__all__ = ["JOB_KEY", "PubMedFeed", "PubMedFeedReport", "PubMedMatch"]
