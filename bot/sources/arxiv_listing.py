"""Parse the arXiv listing feed (rss.arxiv.org, RSS 2.0) into `Paper`s. Pure: bytes in.

feedparser is the parser for listing feeds (and any other RSS/Atom feed). The one field it
cannot split for us is `dc:creator`: all authors in one string, with affiliations in
parentheses that contain commas, TeX accents, and sometimes hundreds of names
(docs/sources.md#arxiv-listing-feeds). `split_creators` handles it.
"""

from __future__ import annotations

import logging
import re
import xml.sax
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from bot.names import decode_tex
from bot.sources.arxiv_ids import split_version
from bot.sources.dates import plausible
from bot.sources.errors import FeedError, MalformedResponse
from bot.sources.models import ArxivListing, Paper, PaperAuthor

log = logging.getLogger(__name__)

SOURCE = "arxiv_rss"
ITEM_CAP = 2000  # "Limit 2000 results" per feed (arxiv-feed `result_limit`)

_ERROR_TITLE = "Feed error for query"
_ABSTRACT_RE = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.IGNORECASE
)
_SPACES_RE = re.compile(r"\s+")
_OPENERS = "(["
_CLOSERS = ")]"
_COMMA_RE = re.compile(",")
# "and" as a whole word between names ("A and B", "A, B, and C"); never the "and" in "Andrews".
_AND_RE = re.compile(r"(?:^|\s)and(?:\s|$)")


def _collapse(text: str | None) -> str:
    return _SPACES_RE.sub(" ", text).strip() if text else ""


def _mask_brackets(text: str) -> tuple[str, bool]:
    """`text` with bracketed spans (and stray closers) blanked to NUL, and whether it balanced.

    Separators are then found in the mask and cut from `text`, so a comma or "and" inside an
    affiliation never splits. An unclosed bracket masks to the end of `text`.
    """
    masked: list[str] = []
    depth = 0
    balanced = True
    for char in text:
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            if depth == 0:
                balanced = False
                masked.append("\0")
                continue
            depth -= 1
            masked.append("\0")
            continue
        masked.append("\0" if depth else char)
    return "".join(masked), balanced and depth == 0


def _split_outside_brackets(text: str, mask: str, separator: re.Pattern[str]) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in separator.finditer(mask):
        parts.append(text[start : match.start()])
        start = match.end()
    parts.append(text[start:])
    return parts


def _name_and_affiliations(piece: str) -> PaperAuthor | None:
    if "(" not in piece and ")" not in piece:
        name = _collapse(decode_tex(piece))
        return PaperAuthor(name) if name else None
    affiliations: list[str] = []
    name_chars: list[str] = []
    depth = 0
    current: list[str] = []
    for char in piece:
        if char == "(":
            if depth > 0:
                current.append(char)
            depth += 1
        elif char == ")":
            if depth == 0:
                continue  # stray closer (unbalanced list): not part of the name
            depth -= 1
            if depth == 0:
                affiliation = _collapse(decode_tex("".join(current)))
                if affiliation:
                    affiliations.append(affiliation)
                current = []
            else:
                current.append(char)
        elif depth > 0:
            current.append(char)
        else:
            name_chars.append(char)
    # Text after an unclosed "(" reads as an affiliation, as it would have had it been closed.
    leftover = _collapse(decode_tex("".join(current)))
    if leftover:
        affiliations.append(leftover)
    name = _collapse(decode_tex("".join(name_chars)))
    return PaperAuthor(name, tuple(affiliations)) if name else None


def split_creators(creators: str) -> list[PaperAuthor]:
    """Split a `dc:creator` string into authors, in order, with parenthesised affiliations.

    `Tianliang Yan (University of Birmingham, School of Physics), Yubao Liu (...)` gives two
    authors; `Benjamin R\\'emy (LEMTA)` gives `Benjamin Rémy` with affiliation `LEMTA`. A
    standalone "and" separates authors too (`A, B, and C`), as arXiv writes author lists.
    """
    if not creators or not creators.strip():
        return []
    mask, balanced = _mask_brackets(creators)
    if balanced:
        pieces = _split_outside_brackets(creators, mask, _COMMA_RE)
    else:
        # One stray bracket would otherwise swallow every later author into an "affiliation".
        log.debug("unbalanced brackets in dc:creator, splitting on every comma: %.100r", creators)
        pieces = creators.split(",")
    authors: list[PaperAuthor] = []
    for piece in pieces:
        piece_mask, _ = _mask_brackets(piece)
        for part in _split_outside_brackets(piece, piece_mask, _AND_RE):
            author = _name_and_affiliations(part)
            if author is not None:
                authors.append(author)
    return authors


def _creators(entry: Any) -> list[PaperAuthor]:
    """Authors of every `<dc:creator>` of an item, in order.

    feedparser's `author` holds only the last element; `authors` has one name per element.
    """
    names = [a.get("name") for a in entry.get("authors", ()) if a.get("name")]
    if not names:
        names = [entry.get("author", "")]
    return [author for name in names for author in split_creators(name)]


def _announced(value: str | None, field: str, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return plausible(moment.astimezone(UTC), field, now=now)


def _paper(entry: Any, announced: datetime | None, now: datetime) -> Paper | None:
    raw_id = entry.get("id") or entry.get("link") or ""
    try:
        arxiv_id, version = split_version(raw_id)
    except ValueError:
        log.warning("listing item with unrecognised id %r skipped", str(raw_id)[:100])
        return None
    categories = tuple(tag.get("term") for tag in entry.get("tags", ()) if tag.get("term"))
    abstract = _ABSTRACT_RE.sub("", entry.get("summary", ""), count=1)
    item_announced = (
        _announced(entry.get("published"), f"listing item {arxiv_id} <pubDate>", now) or announced
    )
    versioned = f"{arxiv_id}v{version}" if version else arxiv_id
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_collapse(entry.get("title")),
        abstract=_collapse(abstract),
        authors=tuple(_creators(entry)),
        # The feed lists the primary category first, unmarked (docs/sources.md#arxiv-listing-feeds).
        primary_category=categories[0] if categories else None,
        categories=categories,
        published=None,
        updated=None,
        doi=_collapse(entry.get("arxiv_doi")) or None,
        journal_ref=_collapse(entry.get("arxiv_journal_reference")) or None,
        abs_url=entry.get("link") or f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{versioned}",
        announce_type=(entry.get("arxiv_announce_type") or "").strip() or None,
        announced=item_announced,
        source=SOURCE,
    )


def parse_arxiv_listing(data: bytes, *, now: datetime | None = None) -> ArxivListing:
    """Parse one listing-feed body (RSS 2.0; the Atom flavour parses too).

    Raises `FeedError` for arXiv's error channel (unknown archive...), `MalformedResponse` for
    an empty, truncated or non-feed body. An empty channel (weekends, holidays) is a valid
    listing with no papers. `categories` and `validators` are left for the caller to fill.
    An implausible announcement date (`bot.sources.dates`, judged against `now`: the caller's
    clock, else the system's) is unknown: the item falls back to the channel's date.
    """
    now = now or datetime.now(UTC)
    if not data or not data.strip():
        raise MalformedResponse("empty body where a listing feed was expected", source=SOURCE)
    parsed = feedparser.parse(data)
    if not parsed.get("version"):
        raise MalformedResponse("not an RSS/Atom feed (HTML or garbage?)", source=SOURCE)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, xml.sax.SAXException):
        # Truncated or broken XML: a partial listing would silently lose papers.
        raise MalformedResponse(f"feed is not well-formed XML ({problem})", source=SOURCE)
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        # feedparser would read it in another encoding: every non-ASCII name turns to mojibake.
        raise MalformedResponse(
            f"feed is not valid in its declared encoding ({problem})", source=SOURCE
        )
    if problem is not None:
        log.debug("listing feed parsed with a warning: %r", problem)
    feed = parsed.get("feed", {})
    title = _collapse(feed.get("title"))
    if title.startswith(_ERROR_TITLE):
        message = _collapse(feed.get("description") or feed.get("subtitle")) or title
        raise FeedError(f"arXiv feed error: {message}", source=SOURCE)
    announced = _announced(feed.get("published") or feed.get("updated"), "listing <pubDate>", now)
    papers = [
        p for p in (_paper(entry, announced, now) for entry in parsed.entries) if p is not None
    ]
    return ArxivListing(
        categories=(),
        papers=tuple(papers),
        announced=announced,
        title=title or None,
        possibly_truncated=len(parsed.entries) >= ITEM_CAP,
    )
