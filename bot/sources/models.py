"""Plain dataclasses that every source returns. No database, no Discord, no HTTP in here.

Datetimes are timezone-aware UTC. Strings are stripped, with whitespace collapsed in titles and
abstracts. Tuples (not lists) so instances are immutable and safe to share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# The announce types of the arXiv listing feeds (docs/sources.md#arxiv-listing-feeds).
ANNOUNCE_NEW = "new"
ANNOUNCE_CROSS = "cross"
ANNOUNCE_REPLACE = "replace"
ANNOUNCE_REPLACE_CROSS = "replace-cross"


@dataclass(frozen=True, slots=True)
class PaperAuthor:
    """One author of a paper, in paper order, with their affiliations in order (often none)."""

    name: str
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Paper:
    """A work (an arXiv paper, a preprint elsewhere, a journal article) as one source saw it.

    `arxiv_id` has no version (`2411.17700`, `astro-ph/0601001`; None for a work not on
    arXiv); `version` is the number after `v` (None when the source does not say). `published`
    is the v1 submission time (arXiv) or the publication date, and `updated` the submission time
    of this version (arXiv API); the listing feed knows neither and sets `announced` (the
    announcement date, 00:00 US Eastern, as UTC) and `announce_type` instead. `doi` is bare and
    lower-cased; `venue` the journal, proceedings or preprint server it appeared in; `same_as`
    identifiers the source states are the same work (`("doi", ...)`: another version's DOI).
    `source` names the source that produced it (`arxiv_api`, `arxiv_rss`, `openalex`, `pubmed`).
    """

    arxiv_id: str | None
    version: int | None
    title: str
    abstract: str
    authors: tuple[PaperAuthor, ...]
    primary_category: str | None
    categories: tuple[str, ...]
    published: datetime | None
    updated: datetime | None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    announce_type: str | None = None
    announced: datetime | None = None
    source: str = "arxiv_api"
    pmid: str | None = None
    pmcid: str | None = None
    openalex_id: str | None = None
    venue: str | None = None
    url: str | None = None
    same_as: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """What names this work in one batch: the arXiv id, else `doi:`/`pmid:`/`openalex:`."""
        if self.arxiv_id:
            return self.arxiv_id
        for scheme, value in (
            ("doi", self.doi),
            ("pmid", self.pmid),
            ("openalex", self.openalex_id),
        ):
            if value:
                return f"{scheme}:{value}"
        raise ValueError(f"a work needs an identifier: {self.title[:60]!r}")

    @property
    def versioned_id(self) -> str:
        """`2411.17700v2` (or the bare id when the version is unknown); the key off arXiv."""
        if self.arxiv_id is None:
            return self.key
        return f"{self.arxiv_id}v{self.version}" if self.version else self.arxiv_id

    @property
    def author_names(self) -> tuple[str, ...]:
        """Author names in paper order."""
        return tuple(author.name for author in self.authors)


@dataclass(frozen=True, slots=True)
class YearCount:
    """One year of an author's activity (OpenAlex `counts_by_year`)."""

    year: int
    works_count: int
    cited_by_count: int


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    """An author as a metrics source describes them.

    `external_ids` uses short keys and bare values: `openalex` (`A5048491430`), `orcid`
    (`0000-0003-1613-5981`), `s2` (`2262347`), `dblp`, `scopus`. `affiliations` lists the last
    known institutions first. A count is None when the source did not send it (never made up).
    `as_of` is when the source last updated the record (OpenAlex `updated_date`), or when we
    fetched it if the source has no such date (Semantic Scholar).
    """

    source: str
    external_ids: dict[str, str]
    display_name: str
    name_variants: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    h_index: int | None = None
    i10_index: int | None = None
    citations: int | None = None
    works_count: int | None = None
    two_year_mean_citedness: float | None = None
    counts_by_year: tuple[YearCount, ...] = ()
    topics: tuple[str, ...] = ()
    primary_field: str | None = None
    as_of: datetime | None = None
    relevance_score: float | None = None

    @property
    def openalex_id(self) -> str | None:
        """The bare OpenAlex id, when known."""
        return self.external_ids.get("openalex")

    @property
    def orcid(self) -> str | None:
        """The bare ORCID, when known."""
        return self.external_ids.get("orcid")


@dataclass(frozen=True, slots=True)
class AuthorCandidate:
    """One autocomplete suggestion: enough to tell homonyms apart in a Discord choice list."""

    id: str
    name: str
    hint: str | None = None
    works_count: int | None = None
    cited_by_count: int | None = None
    orcid: str | None = None
    source: str = "openalex"


@dataclass(frozen=True, slots=True)
class WorkAuthor:
    """One authorship of an OpenAlex work: identity-exact when `openalex_id` is set."""

    name: str
    raw_name: str | None = None
    openalex_id: str | None = None
    orcid: str | None = None
    affiliations: tuple[str, ...] = ()
    position: str | None = None


@dataclass(frozen=True, slots=True)
class Work:
    """An OpenAlex work. `arxiv_id` is set when it is (a version of) an arXiv preprint.

    `doi` is bare and lower-cased (`10.48550/arxiv.2108.04680`). `publication_date` can be
    coarse (`2021-01-01` for a 2021 preprint); `created_date` is when OpenAlex indexed it.
    """

    openalex_id: str
    title: str
    doi: str | None = None
    arxiv_id: str | None = None
    abstract: str | None = None
    authors: tuple[WorkAuthor, ...] = ()
    publication_date: date | None = None
    created_date: date | None = None
    updated: datetime | None = None
    type: str | None = None
    landing_page_url: str | None = None
    pdf_url: str | None = None
    cited_by_count: int | None = None
    authors_truncated: bool = False
    source: str = "openalex"
    # Where it was published: the source of its primary location, and that source's type
    # (`journal`, `conference`, `repository` for a preprint server or an archive, ...).
    venue: str | None = None
    venue_type: str | None = None
    pmid: str | None = None
    pmcid: str | None = None  # `PMC5815332`
    # DOIs of its other locations (a bioRxiv preprint's, when OpenAlex files both as one work).
    other_dois: tuple[str, ...] = ()
    # OpenAlex ids of the works it cites (`referenced_works`, when the request selects it).
    references: tuple[str, ...] = ()

    @property
    def author_ids(self) -> frozenset[str]:
        """OpenAlex ids of the authors (for identity-exact matching to followed authors)."""
        return frozenset(a.openalex_id for a in self.authors if a.openalex_id)


@dataclass(frozen=True, slots=True)
class S2Paper:
    """A paper as Semantic Scholar lists it for an author."""

    paper_id: str
    title: str
    arxiv_id: str | None = None
    doi: str | None = None
    publication_date: date | None = None
    year: int | None = None
    authors: tuple[tuple[str | None, str], ...] = ()  # (S2 author id, name), in order
    citation_count: int | None = None
    venue: str | None = None


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators for a conditional GET (`ETag`, `Last-Modified`), as the server sent."""

    etag: str | None = None
    last_modified: str | None = None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True, slots=True)
class ArxivListing:
    """One fetch of the arXiv listing feed for a set of categories.

    `not_modified` is True when the server answered 304 to our validators: `papers` is then
    empty and nothing changed since the last fetch. Keep `validators` for the next call.
    `possibly_truncated` is True when the feed held the 2,000-item cap (split the categories).
    """

    categories: tuple[str, ...]
    papers: tuple[Paper, ...] = ()
    validators: Validators = field(default_factory=Validators)
    not_modified: bool = False
    announced: datetime | None = None
    title: str | None = None
    possibly_truncated: bool = False


@dataclass(frozen=True, slots=True)
class ArxivFeedPage:
    """One parsed page of the arXiv API (pure parse result).

    `total_results` is arXiv's count of results, None when it sent none it could mean (absent,
    negative, huge). `entries` counts the page's entries, those skipped as unusable (bad id or
    date) included: paging moves on by it, not by `len(papers)`.
    """

    total_results: int | None
    start_index: int
    items_per_page: int
    papers: tuple[Paper, ...]
    entries: int


@dataclass(frozen=True, slots=True)
class ArxivSearchResult:
    """The outcome of a batched author search: every paper once, newest first.

    `requests` counts the HTTP requests made (pages, not retries); `truncated` is True when a
    query had more results than arXiv lets us page through (10,000); `unreadable` counts the
    entries skipped as unusable (no id or plausible date: see `arxiv_atom`).
    """

    papers: tuple[Paper, ...]
    queries: int
    requests: int
    truncated: bool = False
    unreadable: int = 0


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date only as precise as the source gave it: `2016-09` is `PartialDate(2016, 9)`.

    Journals date issues by month or season, and Crossref often has a year alone. `earliest`
    is the first day the date can mean (what Crossref itself sorts and filters by).
    """

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def precision(self) -> str:
        """`day`, `month` or `year`."""
        return "day" if self.day else "month" if self.month else "year"

    def __str__(self) -> str:
        return self.earliest.isoformat()[: {"year": 4, "month": 7, "day": 10}[self.precision]]


@dataclass(frozen=True, slots=True)
class PubMedAuthor:
    """One author of a PubMed record, in paper order.

    `name` is `Last, ForeName` (`Shi, Fang-Hong`; `Taddei, A R` where the journal gave initials
    only), the form `bot.names.parse_name` reads without guessing, or the group's name for a
    collective author (`last_name` then None). PubMed's own display form, `Shi FH`, is not used:
    a trailing capital group reads as a surname there (`Jun LIU`). `orcid` is bare
    (`0000-0002-1825-0097`), from the author's own `<Identifier Source="ORCID">`.
    """

    name: str
    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    affiliations: tuple[str, ...] = ()
    orcid: str | None = None


@dataclass(frozen=True, slots=True)
class PubMedRelation:
    """One `CommentsCorrections` link of a PubMed record to another work.

    `ref_type` as PubMed writes it: `UpdateOf` (an earlier version: on a journal article, its
    preprint), `UpdateIn` (a later version: on a preprint, its journal article), `ErratumIn`,
    `RetractionIn`, `CommentOn`... `pmid` is the other record's PMID when PubMed has one; `doi`
    is the DOI written in `source` (the other work's citation), if any.
    """

    ref_type: str
    pmid: str | None
    doi: str | None
    source: str


@dataclass(frozen=True, slots=True)
class PubMedArticle:
    """A PubMed record (`efetch` XML). Unknown is None (or empty), never made up.

    `doi` is bare and lower-cased; `pmcid` is `PMC5994433`. `published` is the electronic
    publication date (`ArticleDate`) when there is one, else the issue date (`PubDate`, or the
    start of its free-text `MedlineDate`): often a month or a year only. `entrez_date` is the
    day the record entered PubMed (what `search` windows by). `mesh_major_topics` are the MeSH
    descriptors marked major (the descriptor or one of its qualifiers).
    """

    pmid: str
    title: str
    abstract: str | None = None
    authors: tuple[PubMedAuthor, ...] = ()
    doi: str | None = None
    pmcid: str | None = None
    journal: str | None = None
    journal_abbreviation: str | None = None
    published: PartialDate | None = None
    entrez_date: date | None = None
    publication_types: tuple[str, ...] = ()
    mesh_major_topics: tuple[str, ...] = ()
    relations: tuple[PubMedRelation, ...] = ()
    source: str = "pubmed"

    @property
    def is_preprint(self) -> bool:
        """PubMed lists a few preprints (NIH-funded, since 2020), typed `Preprint`."""
        return "Preprint" in self.publication_types

    @property
    def orcids(self) -> frozenset[str]:
        """The authors' ORCIDs (to confirm an ORCID search hit by identity)."""
        return frozenset(a.orcid for a in self.authors if a.orcid)

    def related(self, ref_type: str) -> tuple[PubMedRelation, ...]:
        """The links of one type, e.g. `related("UpdateOf")` for a journal article's preprint."""
        return tuple(r for r in self.relations if r.ref_type == ref_type)


@dataclass(frozen=True, slots=True)
class PubMedSearchResult:
    """PMIDs found by a batch of `esearch` queries, each once, in the order found.

    `queries` is the number of `esearch` requests made (one per query); `truncated` is True
    when a query found more than it could return (PubMed returns at most 10,000 per query).
    """

    pmids: tuple[str, ...]
    queries: int
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class CrossrefAuthor:
    """One author of a Crossref work, in order. `name` is `Family, Given` (or the family name
    alone, or an organisation's name); `orcid` is bare."""

    name: str
    given: str | None = None
    family: str | None = None
    orcid: str | None = None
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CrossrefWork:
    """A work registered with Crossref (`/works/{doi}`). Unknown is None (or empty).

    `type` is Crossref's (`journal-article`, `proceedings-article`, `posted-content`...); a
    preprint is `posted-content` with `subtype` `preprint`, and `institution` names its server
    (`bioRxiv`, `medRxiv`). `issued` is the earliest known publication date, `published` the
    earliest of print and online, `posted` when a preprint went online. `has_preprint` (on a
    publication) and `is_preprint_of` (on a preprint) list the other side's bare DOIs: the link
    between a preprint and its publication, asserted by either publisher.
    """

    doi: str
    title: str
    type: str | None = None
    subtype: str | None = None
    container_title: str | None = None
    publisher: str | None = None
    institution: str | None = None
    authors: tuple[CrossrefAuthor, ...] = ()
    issued: PartialDate | None = None
    published: PartialDate | None = None
    posted: PartialDate | None = None
    has_preprint: tuple[str, ...] = ()
    is_preprint_of: tuple[str, ...] = ()
    source: str = "crossref"

    @property
    def is_preprint(self) -> bool:
        return self.type == "posted-content" and self.subtype == "preprint"
