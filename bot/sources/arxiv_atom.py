"""Parse arXiv API Atom responses (both dialects) into `Paper`s. Pure: bytes in, dataclasses out.

A namespace-aware lxml parser, one pass over each entry's children, no dependence on element
order. It keeps every `<arxiv:affiliation>` of every author, which feedparser cannot
(docs/sources.md#the-two-atom-dialects). Legacy (<= 2024) and 2025+ differ only in where namespaces
are declared, link schemes and whitespace, which this handles. The error feed (HTTP 400, or the
legacy 200 with one `Error` entry) raises `ArxivQueryError`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from lxml import etree

from bot.sources.arxiv_ids import split_version
from bot.sources.counts import count
from bot.sources.dates import plausible
from bot.sources.errors import ArxivQueryError, MalformedResponse
from bot.sources.models import ArxivFeedPage, Paper, PaperAuthor

log = logging.getLogger(__name__)

SOURCE = "arxiv_api"

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

_FEED = _ATOM + "feed"
_ENTRY = _ATOM + "entry"
_ID = _ATOM + "id"
_TITLE = _ATOM + "title"
_SUMMARY = _ATOM + "summary"
_PUBLISHED = _ATOM + "published"
_UPDATED = _ATOM + "updated"
_AUTHOR = _ATOM + "author"
_NAME = _ATOM + "name"
_LINK = _ATOM + "link"
_CATEGORY = _ATOM + "category"
_AFFILIATION = _ARXIV + "affiliation"
_PRIMARY = _ARXIV + "primary_category"
_COMMENT = _ARXIV + "comment"
_JOURNAL_REF = _ARXIV + "journal_ref"
_DOI = _ARXIV + "doi"
_TOTAL = _OPENSEARCH + "totalResults"
_START = _OPENSEARCH + "startIndex"
_PER_PAGE = _OPENSEARCH + "itemsPerPage"

_ERROR_ID_MARKER = "/api/errors"


def _parser() -> etree.XMLParser:
    # Strict (no recover): a truncated body must fail loudly, not yield half a page.
    # No entities, no network: arXiv never needs them and they are an attack surface.
    return etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)


def _collapse(text: str | None) -> str:
    # Legacy output hard-wraps titles and abstracts; the new one has leading spaces.
    return " ".join(text.split()) if text else ""


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _entry_date(
    text: str | None, entry_id: str, field: str, now: datetime
) -> tuple[datetime | None, bool]:
    """The entry's date and whether it was usable (absent counts as usable; unreadable or
    implausible does not)."""
    try:
        moment = _datetime(text)
    except ValueError:
        log.warning("arXiv entry %s has an unreadable <%s> %.40r", entry_id[:100], field, text)
        return None, False
    usable = plausible(moment, f"arXiv entry {entry_id[:100]} <{field}>", now=now)
    return usable, usable is not None or moment is None


def _count(text: str | None, field: str) -> int | None:
    try:
        number = int(text.strip()) if text else None
    except ValueError:
        number = None
    return count(number, f"arXiv feed <{field}>")


def parse_arxiv_atom(data: bytes, *, now: datetime | None = None) -> ArxivFeedPage:
    """Parse one arXiv API response body.

    Raises `ArxivQueryError` for arXiv's error feed and `MalformedResponse` for anything that is
    not a well-formed Atom feed (empty body, truncated XML, HTML, another root element).
    Entries without a usable id, or whose only dates are unreadable or implausible
    (`bot.sources.dates`, judged against `now`: the caller's clock, else the system's), are
    skipped with a warning; everything else is kept (one bad entry must not block every later
    poll).
    """
    now = now or datetime.now(UTC)
    if not data or not data.strip():
        raise MalformedResponse("empty body where an Atom feed was expected", source=SOURCE)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"not well-formed XML ({exc.msg})", source=SOURCE) from exc
    if root is None or root.tag != _FEED:
        tag = root.tag if root is not None else None
        raise MalformedResponse(f"not an Atom feed (root element {tag!r})", source=SOURCE)
    if root.getroottree().docinfo.doctype:
        # arXiv sends none. Entities are left unexpanded anyway, but they would silently empty
        # the text around them: a feed that declares some is not arXiv's (a proxy, an attack).
        raise MalformedResponse("a DOCTYPE in an Atom feed (arXiv sends none)", source=SOURCE)

    total: str | None = None
    start: str | None = None
    per_page: str | None = None
    papers: list[Paper] = []
    entries = 0
    for child in root:
        tag = child.tag
        if tag == _ENTRY:
            entries += 1
            paper = _entry(child, now)
            if paper is not None:
                papers.append(paper)
        elif tag == _TOTAL:
            total = child.text
        elif tag == _START:
            start = child.text
        elif tag == _PER_PAGE:
            per_page = child.text
    return ArxivFeedPage(
        total_results=_count(total, "totalResults"),
        start_index=_count(start, "startIndex") or 0,
        items_per_page=_count(per_page, "itemsPerPage") or entries,
        papers=tuple(papers),
        entries=entries,
    )


def _entry(entry: etree._Element, now: datetime) -> Paper | None:
    entry_id = title = summary = published = updated = None
    comment = journal_ref = doi = primary = abs_url = pdf_url = None
    authors: list[PaperAuthor] = []
    categories: list[str] = []
    for child in entry:
        tag = child.tag
        if tag == _AUTHOR:
            name = ""
            affiliations: list[str] = []
            for part in child:
                if part.tag == _NAME:
                    name = _collapse(part.text)
                elif part.tag == _AFFILIATION and part.text:
                    affiliations.append(_collapse(part.text))
            authors.append(PaperAuthor(name, tuple(affiliations)))
        elif tag == _CATEGORY:
            term = child.get("term")
            if term:
                categories.append(term)
        elif tag == _LINK:
            rel = child.get("rel")
            if rel == "alternate":
                abs_url = child.get("href")
            elif child.get("title") == "pdf":
                pdf_url = child.get("href")
        elif tag == _ID:
            entry_id = child.text
        elif tag == _TITLE:
            title = child.text
        elif tag == _SUMMARY:
            summary = child.text
        elif tag == _PUBLISHED:
            published = child.text
        elif tag == _UPDATED:
            updated = child.text
        elif tag == _PRIMARY:
            primary = child.get("term")
        elif tag == _COMMENT:
            comment = child.text
        elif tag == _JOURNAL_REF:
            journal_ref = child.text
        elif tag == _DOI:
            doi = child.text

    if entry_id and _ERROR_ID_MARKER in entry_id:
        # The error feed: one entry titled "Error" whose summary is the message.
        raise ArxivQueryError(
            f"arXiv rejected the query: {_collapse(summary) or 'unknown error'}", source=SOURCE
        )
    if not entry_id:
        log.warning("arXiv entry without <id> skipped")
        return None
    try:
        arxiv_id, version = split_version(entry_id)
    except ValueError:
        log.warning("arXiv entry with unrecognised id %r skipped", entry_id[:100])
        return None
    published_at, published_ok = _entry_date(published, entry_id, "published", now)
    updated_at, updated_ok = _entry_date(updated, entry_id, "updated", now)
    if not (published_ok and updated_ok) and published_at is None and updated_at is None:
        # Unusable and no other date to place it by: drop this entry, keep the page.
        log.warning("arXiv entry %s skipped: no usable date", entry_id[:100])
        return None
    # One date unusable, the other fine: keep the entry with the bad one None, as if absent.
    # Never copy the other date over it: updated-as-published would make a revision look new.
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_collapse(title),
        abstract=_collapse(summary),
        authors=tuple(authors),
        primary_category=primary or (categories[0] if categories else None),
        categories=tuple(categories),
        published=published_at,
        updated=updated_at,
        doi=_collapse(doi) or None,
        journal_ref=_collapse(journal_ref) or None,
        comment=_collapse(comment) or None,
        abs_url=abs_url or f"https://arxiv.org/abs/{entry_id.rsplit('/abs/', 1)[-1]}",
        pdf_url=pdf_url,
        source=SOURCE,
    )
