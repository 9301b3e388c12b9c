"""OpenAlex works as records of works, and whether a record names a followed author.

Shared by the daily works feed (`openalex_works`) and the first lookup (`paper_history`): both
link an author's works found by OpenAlex identity, and both must refuse what OpenAlex gets
wrong (two people merged into one id, a work mapped to the wrong arXiv id).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime

from bot.names import name_keys
from bot.sources.arxiv_ids import arxiv_id_from_doi
from bot.sources.models import Paper, PaperAuthor, Work

log = logging.getLogger(__name__)

# Source types whose works are published versions (a preprint server or an archive is a
# `repository`: a preprint there has no venue yet).
PUBLISHED_AT = frozenset({"journal", "conference", "book series", "ebook platform"})


def surnames_of(names: Iterable[str]) -> frozenset[str]:
    """The folded surnames (`del maestro`) of author strings; empty ones left out."""
    return frozenset(key for key in (name_keys(n).surname for n in names) if key)


def names_them(paper: Paper | None, surnames: frozenset[str], *, who: object) -> bool:
    """Whether the record lists someone with one of the followed author's `surnames`
    (`who` names them in the warning when it does not)."""
    if paper is None:
        return False
    if surnames & surnames_of(paper.author_names):
        return True
    log.warning("%s lists no author with the surname of %s; not linked", paper.key, who)
    return False


def work_paper(work: Work) -> Paper | None:
    """An OpenAlex work as a record of the work (None without a title or any date).

    Its arXiv id, other versions' DOIs and PMC id are identifiers of the same work
    (`same_as`), never its own arXiv record: categories and exact dates come from arXiv.
    """
    day = publication_day(work)
    if not work.title or day is None:
        return None
    published = datetime(day.year, day.month, day.day, tzinfo=UTC)
    doi = work.doi if work.doi and arxiv_id_from_doi(work.doi) is None else None
    same_as = [("doi", d) for d in work.other_dois]
    if work.arxiv_id:
        same_as.append(("arxiv", work.arxiv_id))
    return Paper(
        arxiv_id=None,
        version=None,
        title=work.title,
        abstract=work.abstract or "",
        authors=tuple(PaperAuthor(a.raw_name or a.name, a.affiliations) for a in work.authors),
        primary_category=None,
        categories=(),
        published=published,
        updated=published,
        doi=doi,
        openalex_id=work.openalex_id,
        pmid=work.pmid,
        pmcid=work.pmcid,
        venue=work.venue if work.venue_type in PUBLISHED_AT else None,
        url=work.landing_page_url,
        same_as=tuple(same_as),
        source="openalex",
    )


def publication_day(work: Work) -> date | None:
    """Its publication date, unless that only says the year (OpenAlex gives preprints
    `YYYY-01-01`): then the day OpenAlex indexed it, a closer bound on when it appeared."""
    day, indexed = work.publication_date, work.created_date
    if day is None:
        return indexed
    coarse = (day.month, day.day) == (1, 1) and indexed is not None and indexed.year == day.year
    return indexed if coarse and indexed is not None and indexed > day else day


def own_work_records(
    works: Iterable[Work], surnames: frozenset[str], arxiv_ids: frozenset[str], *, who: object
) -> list[Paper]:
    """The records of `works` (found under the author's OpenAlex id) to link to them.

    A work on arXiv joins only when its arXiv id is among `arxiv_ids`, the papers already
    judged theirs (it adds the venue and DOI): OpenAlex can map a work to the wrong arXiv id.
    Any other work joins when it names someone with their surname.
    """
    records: list[Paper] = []
    for work in works:
        record = work_paper(work)
        if record is None:
            continue
        if work.arxiv_id is not None:
            if work.arxiv_id in arxiv_ids:
                records.append(record)
        elif names_them(record, surnames, who=who):
            records.append(record)
    return records
