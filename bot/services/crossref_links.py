"""The Crossref links feed: a stored preprint learns of its publication from Crossref.

OpenAlex and PubMed often link a preprint to its journal version, but not always (OpenAlex
keeps some as two works; PubMed lists only what it indexes). Publishers and preprint servers
register the link itself with Crossref: `relation.is-preprint-of` on the preprint. So once a day
(a feed of the poll cycle, `bot.services.feed_protocol.Feed`, its state under `JOB_KEY`):

- the followed authors' papers with a DOI and no venue, published in the last `window` (two
  years: most preprints that are published at all are by then), newest first, at most
  `max_preprints` (`PaperRepository.unpublished_with_doi`);
- their Crossref records, 50 DOIs a request (`CrossrefSource.works`);
- for each that is a preprint with `is-preprint-of`, the publication's record (one more batch);
- each publication stored as a record of the same work (`same_as` the preprint's DOI), linked to
  the followed authors of the preprint (`matched_by="crossref"`) through the cycle
  (`PollCycle.store`). The stored paper gains the venue and the DOI, and the next digest lists
  it under "now published" once; the links exist already, so no alert is sent again.

A record without a usable date or title is skipped (logged). A run that could not ask Crossref
stores nothing and does not succeed, so its watermark stays and the next cycle asks again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.services.feed_protocol import FeedOutcome
from bot.services.poll_cycle import PollCycle
from bot.sources.crossref import CrossrefSource
from bot.sources.dois import normalise_doi
from bot.sources.errors import SourceError
from bot.sources.models import CrossrefWork, Paper, PaperAuthor
from db.models import FeedState
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

JOB_KEY = "crossref_links"  # its feed_state key
SOURCE = CrossrefSource.name
DEFAULT_INTERVAL = timedelta(days=1)
DEFAULT_WINDOW = timedelta(days=730)
MAX_PREPRINTS = 500  # asked per run: 10 requests, plus one per 50 publications found


@dataclass(frozen=True, slots=True)
class CrossrefLink:
    """`paper` (a publication) is by followed author `author_id`, who is on its preprint."""

    paper: Paper
    author_id: int
    matched_by: str = "crossref"


def crossref_paper(work: CrossrefWork, *, preprint_doi: str) -> Paper | None:
    """A publication's Crossref record as a record of the work its preprint is (None without a
    title or a date)."""
    when = work.published or work.issued
    if not work.title or when is None:
        return None
    day = when.earliest
    published = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Paper(
        arxiv_id=None,
        version=None,
        title=work.title,
        abstract="",
        authors=tuple(PaperAuthor(a.name, a.affiliations) for a in work.authors),
        primary_category=None,
        categories=(),
        published=published,
        updated=published,
        doi=work.doi,
        venue=work.container_title or work.publisher,
        url=f"https://doi.org/{work.doi}",
        same_as=(("doi", preprint_doi),),
        source=SOURCE,
    )


class CrossrefLinksFeed:
    """Publications of stored preprints, by the link registered with Crossref (a poll `Feed`)."""

    source = SOURCE

    def __init__(
        self,
        *,
        crossref: CrossrefSource | None,
        interval: timedelta = DEFAULT_INTERVAL,
        window: timedelta = DEFAULT_WINDOW,
        max_preprints: int = MAX_PREPRINTS,
    ) -> None:
        """`crossref` None: not configured, so never due."""
        self._crossref = crossref
        self.interval = interval
        self.window = window
        self.max_preprints = max_preprints

    def key(self, cycle: PollCycle) -> str | None:
        return JOB_KEY if self._crossref is not None else None

    def steps(self, cycle: PollCycle) -> int:
        return 1

    async def poll(self, cycle: PollCycle, state: FeedState | None) -> FeedOutcome:
        """Ask about every recent unpublished paper; store the publications found."""
        assert self._crossref is not None  # not configured: never due (`key`)
        async with cycle.database.reader() as session:
            papers = PaperRepository(session)
            preprints = await papers.unpublished_with_doi(
                since=cycle.now - self.window, limit=self.max_preprints
            )
            authors = await papers.linked_authors(preprints)
        requests, found, error = 0, 0, None
        try:
            if preprints:
                requests += self._crossref.works_requests(list(preprints.values()))
                records = await self._crossref.works(list(preprints.values()))
                publications = {  # publication DOI -> its preprint's DOI
                    doi: preprint_doi
                    for preprint_doi, record in records.items()
                    if record.is_preprint
                    for stated in record.is_preprint_of
                    if (doi := normalise_doi(stated)) is not None and doi != preprint_doi
                }
                if publications:
                    requests += self._crossref.works_requests(list(publications))
                    published = await self._crossref.works(list(publications))
                    found = len(published)
                    await cycle.store(self._links(published, publications, preprints, authors))
        except SourceError as failure:
            cycle.failed.add(SOURCE)
            error = str(failure)
            cycle.summary.errors.append(f"{JOB_KEY}: {error}")
        cycle.summary.count_request(SOURCE, requests)
        cycle.summary.papers_seen += found
        cycle.step("Crossref links")
        log.info(
            "crossref links: %d unpublished papers asked about, %d requests, %d publications "
            "found%s",
            len(preprints),
            requests,
            found,
            f"; failed: {error}" if error else "",
        )
        return FeedOutcome(succeeded=error is None)

    @staticmethod
    def _links(
        published: Mapping[str, CrossrefWork],
        publications: Mapping[str, str],
        preprints: Mapping[int, str],
        authors: Mapping[int, Sequence[int]],
    ) -> list[CrossrefLink]:
        """Each publication linked to the followed authors of its preprint."""
        paper_of = {doi: paper_id for paper_id, doi in preprints.items()}
        links: list[CrossrefLink] = []
        for doi, work in published.items():
            preprint_doi = publications[doi]
            record = crossref_paper(work, preprint_doi=preprint_doi)
            if record is None:
                log.warning(
                    "crossref links: %s (publication of %s) has no title or date", doi, preprint_doi
                )
                continue
            links += [CrossrefLink(record, a) for a in authors.get(paper_of[preprint_doi], ())]
        return links
