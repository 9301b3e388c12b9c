"""E-utilities XML (`esearch`, `efetch` of PubMed) -> plain values. Pure: bytes in, values out.

NCBI's documents carry a DOCTYPE naming their DTD by URL (`pubmed_250101.dtd`). The parser
never loads it and never resolves an entity (no network, no file, no expansion), so an
external entity cannot be read however a body is forged; and since NCBI declares nothing
inline, a body that declares entities or refers to one is refused (`MalformedResponse`), as
are truncated XML, HTML and any other root element. An `<ERROR>` document (a query NCBI
rejects, sent with HTTP 200) is a `BadRequest`.

Dates go through `bot.sources.dates.plausible` as non-arXiv works (a 1975 article is fine, a
future one is not) and counts through `bot.sources.counts.count`; what fails is unknown (None).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import NamedTuple

from lxml import etree

from bot.sources.counts import count
from bot.sources.dates import plausible
from bot.sources.dois import find_doi, normalise_doi
from bot.sources.errors import BadRequest, MalformedResponse
from bot.sources.models import PartialDate, PubMedArticle, PubMedAuthor, PubMedRelation
from bot.sources.openalex_parsing import bare_orcid

log = logging.getLogger(__name__)

SOURCE = "pubmed"

_PMID_RE = re.compile(r"\d{1,9}")
_PMCID_RE = re.compile(r"PMC\d+", re.IGNORECASE)
_UNDASHED_ORCID_RE = re.compile(r"\d{15}[\dX]", re.IGNORECASE)
_MEDLINE_DATE_RE = re.compile(r"(\d{4})(?:\s+([A-Za-z]{3})[a-z]*\.?(?:\s+(\d{1,2})\b)?)?")
_YEAR_RE = re.compile(r"\b(\d{4})\b")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# `Cites` links are the reference list (hundreds on some records), not versions or notices.
_SKIPPED_REF_TYPES = frozenset({"Cites"})


class EsearchPage(NamedTuple):
    """One `esearch` answer: PubMed's `count` of hits, the PMIDs returned, and the terms it
    reported not found (`ErrorList`: an unknown ORCID, a misspelt name)."""

    count: int | None
    pmids: tuple[str, ...]
    not_found: tuple[str, ...]


def _parser() -> etree.XMLParser:
    # Strict (no recover): a truncated body must fail loudly, not yield half a record set.
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, recover=False, huge_tree=False
    )


def parse_document(data: bytes, root_tag: str) -> etree._Element:
    """The root of an E-utilities answer whose root must be `root_tag` (see module doc)."""
    if not data or not data.strip():
        raise MalformedResponse("empty body where E-utilities XML was expected", source=SOURCE)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"not well-formed XML ({exc.msg})", source=SOURCE) from exc
    if root is None:
        raise MalformedResponse("no root element", source=SOURCE)
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and (any(dtd.iterentities()) or any(dtd.iterelements())):
        raise MalformedResponse(
            "a DOCTYPE with inline declarations (NCBI only names its DTD)", source=SOURCE
        )
    if next(root.iter(etree.Entity), None) is not None:
        raise MalformedResponse("an entity reference (NCBI sends none)", source=SOURCE)
    error = _text(root) if root.tag == "ERROR" else root.findtext("ERROR")
    if error is not None:
        message = _collapse(error)[:200]
        raise BadRequest(f"E-utilities refused the request: {message}", source=SOURCE)
    if root.tag != root_tag:
        raise MalformedResponse(
            f"not an E-utilities {root_tag} (root element {str(root.tag)[:40]!r})", source=SOURCE
        )
    return root


def parse_esearch(data: bytes) -> EsearchPage:
    """An `esearch.fcgi` answer (`retmode=xml`)."""
    root = parse_document(data, "eSearchResult")
    id_list = root.find("IdList")
    if id_list is None:
        raise MalformedResponse("esearch answer without <IdList>", source=SOURCE)
    pmids = []
    for element in id_list.iterfind("Id"):
        pmid = (element.text or "").strip()
        if not _PMID_RE.fullmatch(pmid):
            raise MalformedResponse(f"esearch returned a non-PMID {pmid[:20]!r}", source=SOURCE)
        pmids.append(pmid)
    not_found = [
        _collapse(element.text)
        for element in root.iterfind("ErrorList/*")
        if element.tag in ("PhraseNotFound", "FieldNotFound") and element.text
    ]
    total = _count(root.findtext("Count"), "esearch Count")
    return EsearchPage(total, tuple(pmids), tuple(not_found))


def parse_efetch(data: bytes, *, now: datetime | None = None) -> list[PubMedArticle]:
    """An `efetch.fcgi?db=pubmed&retmode=xml` answer: its `PubmedArticle` records, in order.

    Book records (`PubmedBookArticle`) and deletion notices are not articles and are left out;
    a record without a usable PMID is skipped with a warning.
    """
    now = now or datetime.now(UTC)
    root = parse_document(data, "PubmedArticleSet")
    articles = []
    for element in root.iterfind("PubmedArticle"):
        article = _article(element, now)
        if article is not None:
            articles.append(article)
    return articles


def _article(element: etree._Element, now: datetime) -> PubMedArticle | None:
    citation = element.find("MedlineCitation")
    pmid = (citation.findtext("PMID") or "").strip() if citation is not None else ""
    article = citation.find("Article") if citation is not None else None
    if citation is None or article is None or not _PMID_RE.fullmatch(pmid):
        log.warning("PubMed record without a PMID or an <Article> skipped")
        return None
    where = f"PubMed {pmid}"
    data = element.find("PubmedData")
    ids = _article_ids(data)
    return PubMedArticle(
        pmid=pmid,
        title=_text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle")),
        abstract=_abstract(article.find("Abstract")),
        authors=_authors(article),
        doi=normalise_doi(ids.get("doi")) or _elocation_doi(article),
        pmcid=_pmcid(ids.get("pmc")),
        journal=_text(article.find("Journal/Title")) or None,
        journal_abbreviation=(
            _text(article.find("Journal/ISOAbbreviation"))
            or _text(citation.find("MedlineJournalInfo/MedlineTA"))
            or None
        ),
        published=_published(article, where, now),
        entrez_date=_entrez_date(data, where, now),
        publication_types=_dedupe(
            _text(t) for t in article.iterfind("PublicationTypeList/PublicationType")
        ),
        mesh_major_topics=_mesh_major(citation),
        relations=_relations(citation),
    )


def _authors(article: etree._Element) -> tuple[PubMedAuthor, ...]:
    authors = []
    for author_list in article.iterfind("AuthorList"):
        if author_list.get("Type", "authors") != "authors":
            continue  # editors of a book chapter
        for element in author_list.iterfind("Author"):
            if element.get("ValidYN") == "N":
                continue  # a spelling PubMed has since corrected (the valid one follows)
            author = _author(element)
            if author is not None:
                authors.append(author)
    return tuple(authors)


def _author(element: etree._Element) -> PubMedAuthor | None:
    last = _text(element.find("LastName")) or None
    fore = _text(element.find("ForeName")) or None
    initials = _text(element.find("Initials")) or None
    suffix = _text(element.find("Suffix"))
    if last:
        given = fore or initials
        name = f"{last}, {given}" if given else last
        name = f"{name}, {suffix}" if suffix else name
    else:
        name = _text(element.find("CollectiveName"))
    if not name:
        return None
    # Only the author's own identifiers: an <AffiliationInfo> has its own (ROR, GRID...).
    orcid = next(
        (
            found
            for ident in element.iterfind("Identifier")
            if (ident.get("Source") or "").upper() == "ORCID" and (found := _orcid(ident.text))
        ),
        None,
    )
    return PubMedAuthor(
        name=name,
        last_name=last,
        fore_name=fore,
        initials=initials,
        affiliations=_dedupe(_text(a) for a in element.iterfind("AffiliationInfo/Affiliation")),
        orcid=orcid,
    )


def _orcid(text: str | None) -> str | None:
    """PubMed writes ORCIDs bare, as URLs, or without hyphens (`0000000179841889`)."""
    value = (text or "").strip()
    if _UNDASHED_ORCID_RE.fullmatch(value):
        value = "-".join(value[i : i + 4] for i in range(0, 16, 4))
    return bare_orcid(value)


def _abstract(element: etree._Element | None) -> str | None:
    """Sections of a structured abstract each as `LABEL: text`, one per line."""
    if element is None:
        return None
    sections = []
    for part in element.iterfind("AbstractText"):
        text = _text(part)
        label = (part.get("Label") or "").strip()
        if text:
            sections.append(f"{label}: {text}" if label else text)
    return "\n".join(sections) or None


def _article_ids(data: etree._Element | None) -> dict[str, str]:
    """The record's own ids (`pubmed`, `doi`, `pmc`, `pii`...): the reference list holds
    other `ArticleIdList`s, of the cited works."""
    ids: dict[str, str] = {}
    if data is not None:
        for element in data.iterfind("ArticleIdList/ArticleId"):
            kind = (element.get("IdType") or "").lower()
            if kind and element.text and kind not in ids:
                ids[kind] = element.text.strip()
    return ids


def _elocation_doi(article: etree._Element) -> str | None:
    for element in article.iterfind("ELocationID"):
        if element.get("EIdType") == "doi" and element.get("ValidYN") != "N":
            return normalise_doi(element.text)
    return None


def _pmcid(value: str | None) -> str | None:
    value = (value or "").strip()
    return value.upper() if _PMCID_RE.fullmatch(value) else None


def _published(article: etree._Element, where: str, now: datetime) -> PartialDate | None:
    """`ArticleDate` (the electronic publication day), else the issue's `PubDate`, else the
    start of its free-text `MedlineDate` (`1998 Dec-1999 Jan`, `2000 Spring`): the first that
    is readable and plausible."""
    for path in ("ArticleDate", "Journal/JournalIssue/PubDate"):
        element = article.find(path)
        if element is None:
            continue
        found = _partial_date(
            element.findtext("Year"), element.findtext("Month"), element.findtext("Day")
        ) or _medline_date(element.findtext("MedlineDate"))
        if found and plausible(found.earliest, f"{where} {path}", now=now, arxiv_era=False):
            return found
    return None


def _partial_date(year: str | None, month: str | None, day: str | None) -> PartialDate | None:
    if not year or not year.strip().isdigit():
        return None
    number = _month(month)
    if number is None:
        return PartialDate(int(year))
    day_number = int(day) if day and day.strip().isdigit() else None
    try:
        date(int(year), number, day_number or 1)
    except ValueError:
        return PartialDate(int(year), number)
    return PartialDate(int(year), number, day_number)


def _medline_date(text: str | None) -> PartialDate | None:
    if not text:
        return None
    match = _MEDLINE_DATE_RE.match(text.strip())
    if match:
        return _partial_date(match.group(1), match.group(2), match.group(3))
    year = _YEAR_RE.search(text)  # `Winter 2001`
    return PartialDate(int(year.group(1))) if year else None


def _month(text: str | None) -> int | None:
    value = (text or "").strip().lower()
    number = int(value) if value.isdigit() else _MONTHS.get(value[:3])
    return number if number is not None and 1 <= number <= 12 else None


def _entrez_date(data: etree._Element | None, where: str, now: datetime) -> date | None:
    if data is None:
        return None
    for element in data.iterfind("History/PubMedPubDate"):
        if element.get("PubStatus") == "entrez":
            found = _partial_date(
                element.findtext("Year"), element.findtext("Month"), element.findtext("Day")
            )
            if found is not None and found.precision == "day":
                return plausible(found.earliest, f"{where} entrez date", now=now, arxiv_era=False)
    return None


def _mesh_major(citation: etree._Element) -> tuple[str, ...]:
    topics = []
    for heading in citation.iterfind("MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        if descriptor is None:
            continue
        marks = [descriptor, *heading.iterfind("QualifierName")]
        if any(mark.get("MajorTopicYN") == "Y" for mark in marks):
            topics.append(_text(descriptor))
    return _dedupe(topics)


def _relations(citation: etree._Element) -> tuple[PubMedRelation, ...]:
    relations = []
    for element in citation.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        ref_type = (element.get("RefType") or "").strip()
        if not ref_type or ref_type in _SKIPPED_REF_TYPES:
            continue
        pmid = (element.findtext("PMID") or "").strip()
        source = _text(element.find("RefSource"))
        relations.append(
            PubMedRelation(
                ref_type=ref_type,
                pmid=pmid if _PMID_RE.fullmatch(pmid) else None,
                doi=find_doi(source),
                source=source,
            )
        )
    return tuple(relations)


def _count(text: str | None, field: str) -> int | None:
    value = (text or "").strip()
    return count(int(value) if value.isdigit() else value or None, f"PubMed {field}")


def _text(element: etree._Element | None) -> str:
    """An element's whole text, inline markup (`<i>`, `<sup>`, `<b>`) flattened."""
    return _collapse("".join(element.itertext())) if element is not None else ""


def _collapse(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
