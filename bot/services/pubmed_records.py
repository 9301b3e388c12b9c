"""PubMed records as records of works, and which author lines are a followed author's.

PubMed knows authors by the printed name, like arXiv, but a record often says more about the
person: an ORCID on the author line (about one in ten lines), and the affiliation printed with
it. A name search finds homonyms, so a record is linked to a followed author only when it is
vouched for (`judge_line`):

1. **ORCID**: the author line carries the followed author's ORCID: theirs. A line with another
   ORCID is someone else, whatever the name (when their ORCID is known).
2. **Shared co-author**: another author of the record is a known co-author of theirs (the
   homonym guard's rule 1, `FollowedAuthorMatcher.shares_coauthor`).
3. **Affiliation**: the line's affiliation names one of their institutions (`University of
   California, Berkeley` inside `Department of ..., University of California, Berkeley, CA,
   USA.`), compared accent-folded, case-folded and on word boundaries.
4. Anything else is rejected: PubMed has no arXiv categories, so the guard's field rules
   cannot vouch; a true paper at a new institution with new co-authors and no ORCID is missed.

Where it can still be wrong: two people with one name at one large institution (a university
hospital), and an institution name inside another's (`University of California`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from bot.names import fold_accents
from bot.sources.models import Paper, PaperAuthor, PubMedArticle

PUBMED_PAGE = "https://pubmed.ncbi.nlm.nih.gov/"
MIN_INSTITUTION_CHARS = 4  # "MIT" alone would match too much prose; "CNRS", "ETH Zurich" do not
REASON_ORCID = "orcid"
REASON_COAUTHOR = "coauthor"
REASON_AFFILIATION = "affiliation"
REJECT_OTHER_ORCID = "other-orcid"
REJECT_UNVOUCHED = "unvouched"

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Links PubMed states between a preprint and its journal version (CommentsCorrections).
SAME_WORK = ("UpdateOf", "UpdateIn")


def pubmed_paper(article: PubMedArticle) -> Paper | None:
    """A PubMed record as a record of the work (None without a title or any date)."""
    day = appeared(article)
    if not article.title or day is None:
        return None
    published = datetime(day.year, day.month, day.day, tzinfo=UTC)
    same_as: list[tuple[str, str]] = []
    for relation in article.relations:
        if relation.ref_type in SAME_WORK:
            same_as += [("pmid", relation.pmid)] if relation.pmid else []
            same_as += [("doi", relation.doi)] if relation.doi else []
    return Paper(
        arxiv_id=None,
        version=None,
        title=article.title,
        abstract=article.abstract or "",
        authors=tuple(
            PaperAuthor(display_name(a.name, a.fore_name, a.last_name), a.affiliations)
            for a in article.authors
        ),
        primary_category=None,
        categories=(),
        published=published,
        updated=published,
        doi=article.doi,
        pmid=article.pmid,
        pmcid=article.pmcid,
        venue=None if article.is_preprint else article.journal,
        url=f"{PUBMED_PAGE}{article.pmid}/",
        same_as=tuple(same_as),
        source="pubmed",
    )


def display_name(name: str, fore_name: str | None, last_name: str | None) -> str:
    """`Fang-Hong Shi` for PubMed's `Shi, Fang-Hong` (a collective name as it is)."""
    return f"{fore_name} {last_name}" if fore_name and last_name else name


def appeared(article: PubMedArticle) -> date | None:
    """When the record says the work appeared: its publication date to the day, else the day
    it entered PubMed when that falls in (or after) the month or year the journal printed
    (an issue dated `2016 Sep` did not appear on 1 September), else the start of that period."""
    published, entered = article.published, article.entrez_date
    if published is None:
        return entered
    if published.precision == "day" or entered is None or entered < published.earliest:
        return published.earliest
    return entered


def folded(text: str) -> str:
    """Lower case, accents folded, punctuation as spaces, padded: for word-boundary `in`."""
    return f" {' '.join(_NON_WORD.sub(' ', fold_accents(text).lower()).split())} "


def shares_institution(line_affiliations: Iterable[str], institutions: Iterable[str]) -> bool:
    """Whether a printed affiliation names one of `institutions` (module docstring, rule 3)."""
    printed = [folded(a) for a in line_affiliations if a]
    if not printed:
        return False
    for institution in institutions:
        name = folded(institution)
        if len(name.strip()) >= MIN_INSTITUTION_CHARS and any(name in a for a in printed):
            return True
    return False


def judge_line(
    line_orcid: str | None,
    line_affiliations: Iterable[str],
    *,
    orcid: str | None,
    institutions: Iterable[str],
    shared_coauthor: bool,
) -> tuple[bool, str]:
    """(accepted, reason) for a name match on one author line (module docstring)."""
    if line_orcid and orcid:
        return (True, REASON_ORCID) if line_orcid == orcid else (False, REJECT_OTHER_ORCID)
    if shared_coauthor:
        return True, REASON_COAUTHOR
    if shares_institution(line_affiliations, institutions):
        return True, REASON_AFFILIATION
    return False, REJECT_UNVOUCHED
