"""Paper cards and message parts: what a user is shown, as plain data (rendered in bot/render).

Nothing here loads the database: `bot/render` imports these types, and rendering must not
depend on storage (`tests/unit/test_layers.py`). `paper_card` reads a stored paper's
attributes; the model is named for type checkers only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.names import NameIndex

if TYPE_CHECKING:
    from bot.services.suggestions import Suggestion
    from db.models import Paper

ARXIV_ABS = "https://arxiv.org/abs/"
DOI_ORG = "https://doi.org/"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"
OPENALEX = "https://openalex.org/"


@dataclass(frozen=True)
class CardAuthor:
    name: str
    followed: bool
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaperCard:
    """One paper as a card: title link, authors (followed ones marked), category, date, abstract."""

    arxiv_id: str | None
    version: int
    title: str
    url: str
    authors: tuple[CardAuthor, ...]
    primary_category: str | None
    published: datetime
    abstract: str
    # Why it is here: the followed authors, then any followed topic (`topic “…” (matched: …)`).
    why: tuple[str, ...] = ()
    doi: str | None = None
    pmid: str | None = None
    venue: str | None = None
    openalex_id: str | None = None
    paper_id: int | None = None  # the stored paper (a digest's "show a card" menu names it)
    # The heading a compact digest lists it under when not `why[0]` (a topic's, `topic “…”`).
    group: str | None = None
    matched: tuple[str, ...] = ()  # the terms a followed topic matched in it

    @property
    def label(self) -> str:
        """The identifier shown: `arXiv:2411.17700v2`, else `doi:10.1038/...`, else `PMID 123`."""
        if self.arxiv_id:
            return f"arXiv:{self.arxiv_id}v{self.version}"
        if self.doi:
            return f"doi:{self.doi}"
        return f"PMID {self.pmid}" if self.pmid else self.url

    @property
    def field(self) -> str:
        """Where it belongs: the arXiv category, else the venue (journal or server)."""
        return self.primary_category or self.venue or "n/a"


def paper_card(
    paper: Paper,
    followed_names: Iterable[str] = (),
    *,
    reasons: Iterable[str] = (),
    matched: tuple[str, ...] = (),
) -> PaperCard:
    """The card of a stored paper; `followed_names` are the followed authors it is shown for,
    `reasons` the other reasons (a followed topic and the words it matched), after them.

    An author line is marked followed when it matches one of them through the name normaliser
    (so "A. Steiner" is bold for a followed "Andreas Steiner").
    """
    names = tuple(dict.fromkeys(followed_names))
    why = tuple(dict.fromkeys((*names, *reasons)))
    index: NameIndex[str] = NameIndex()
    for name in names:
        index.add(name, name)
    authors = tuple(
        CardAuthor(
            name=line.name,
            followed=bool(index.match(line.name)),
            affiliations=tuple(line.affiliations or ()),
        )
        for line in paper.authors
    )
    return PaperCard(
        arxiv_id=paper.arxiv_id,
        version=paper.version,
        title=paper.title,
        url=paper_url(paper),
        authors=authors,
        primary_category=paper.primary_category,
        published=paper.published,
        abstract=paper.abstract,
        why=why,
        doi=paper.doi,
        pmid=paper.pmid,
        venue=paper.venue,
        openalex_id=paper.openalex_id,
        paper_id=paper.id,
        matched=matched,
    )


def paper_url(paper: Paper) -> str:
    """Its arXiv page, else its page at the venue, its DOI, its PubMed or OpenAlex page."""
    if paper.arxiv_id:
        return ARXIV_ABS + paper.arxiv_id
    if paper.url:
        return paper.url
    if paper.doi:
        return DOI_ORG + paper.doi
    if paper.pmid:
        return PUBMED + paper.pmid + "/"
    return OPENALEX + (paper.openalex_id or "")


@dataclass(frozen=True)
class CitedCards:
    """A cited paper of a digest's "New citations", the citing works listed under it, and how
    many new works cite it in all (`total` may exceed those listed)."""

    cited: PaperCard
    citing: tuple[PaperCard, ...]
    total: int


@dataclass(frozen=True)
class AlertFor:
    """Whom an alert is about and where it went: its buttons act on these follows.
    `authors`: (author id, name) of the followed authors it is for; `personal`: sent to a
    member's DMs (their own follow), else to a channel (the channel's follow)."""

    authors: tuple[tuple[int, str], ...]
    personal: bool


@dataclass(frozen=True)
class MessagePart:
    """One Discord message of a delivery (an alert, a digest part, a notice): text and cards,
    and (a digest's last part) papers of earlier digests now published, listed as lines.
    `style`: `full` shows a card per paper, `compact` a line per paper (a digest's style)."""

    content: str = ""
    cards: tuple[PaperCard, ...] = field(default_factory=tuple)
    published: tuple[PaperCard, ...] = field(default_factory=tuple)
    style: str = "full"
    alert: AlertFor | None = None  # an alert: its card comes with Mute and Unfollow buttons
    citations: tuple[CitedCards, ...] = ()  # a digest's "New citations"
    suggestions: tuple[Suggestion, ...] = ()  # a digest's suggestions, voted on per schedule
    schedule_id: int | None = None
