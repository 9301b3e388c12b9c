"""Build arXiv API query URLs and batch many authors into as few requests as fit.

The arXiv API has no documented URL limit, but one of its server set-ups (gunicorn) rejects
request lines over 4,094 bytes (docs/sources.md#request-line-limit). So a batch of terms is packed
greedily until the whole *encoded* GET request line (`GET /api/query?... HTTP/1.1`) would pass
`max_request_line` (default 4,000), assuming the longest `start` value paging could reach.
Hits are then filtered locally by name key (`bot.names.papers`), because `au:` is token-
and phrase-based and also matches other people.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import quote_plus, urlsplit

from bot.names import decode_tex, fold_accents

log = logging.getLogger(__name__)

DEFAULT_MAX_REQUEST_LINE = 4000
MAX_PAGE_SIZE = 2000  # arXiv caps max_results per call
MAX_OFFSET = 10_000  # and the offset (deeper pages raise OutsideAllowedRange)
DATE_FIELDS = ("submittedDate", "lastUpdatedDate")

_UNSAFE_IN_PHRASE_RE = re.compile(r'["()\[\]{}\\:*?]+')
_SPACES_RE = re.compile(r"\s+")


def encode_value(value: str) -> str:
    """Percent-encode a query value the way we send it: spaces as `+`; `:` `/` `,` kept."""
    return quote_plus(value, safe=":/,")


def encode_query(params: Iterable[tuple[str, str]]) -> str:
    """`k=v&k2=v2`, each value encoded with `encode_value`."""
    return "&".join(f"{key}={encode_value(value)}" for key, value in params)


def request_line_length(url: str, method: str = "GET") -> int:
    """Bytes of the HTTP/1.1 request line this URL produces: `GET /path?query HTTP/1.1`."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return len(f"{method} {target} HTTP/1.1".encode())


def author_term(name: str) -> str:
    """`au:"Andre Muller"` for `André Müller`: TeX decoded, accents folded, no query syntax.

    arXiv's index is ASCII-folded, and quotes, brackets or colons inside a phrase would break
    the query, so they become spaces.
    """
    text = fold_accents(decode_tex(name))
    text = _UNSAFE_IN_PHRASE_RE.sub(" ", text)
    text = _SPACES_RE.sub(" ", text).strip()
    return f'au:"{text}"' if text else ""


def format_arxiv_time(moment: datetime) -> str:
    """`YYYYMMDDHHMM` in GMT, the minute precision of arXiv date ranges."""
    if moment.tzinfo is None:
        raise ValueError("arXiv date windows need timezone-aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def date_clause(since: datetime, until: datetime, field: str = "submittedDate") -> str:
    """`submittedDate:[202611200000 TO 202611280000]` (or `lastUpdatedDate:`)."""
    if field not in DATE_FIELDS:
        raise ValueError(f"date field must be one of {DATE_FIELDS}")
    return f"{field}:[{format_arxiv_time(since)} TO {format_arxiv_time(until)}]"


def combine_terms(terms: Sequence[str], clause: str | None) -> str:
    """`(au:"A" OR au:"B") AND <clause>`; without a clause just the OR group."""
    group = terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"
    return f"{group} AND {clause}" if clause else group


def search_url(
    base_url: str,
    search_query: str,
    *,
    start: int,
    max_results: int,
    sort_by: str = "submittedDate",
    sort_order: str = "descending",
) -> str:
    """The full, already-encoded URL of one search page."""
    return (
        base_url
        + "?"
        + encode_query(
            [
                ("search_query", search_query),
                ("sortBy", sort_by),
                ("sortOrder", sort_order),
                ("start", str(start)),
                ("max_results", str(max_results)),
            ]
        )
    )


def id_list_url(
    base_url: str, ids: Sequence[str], *, start: int = 0, max_results: int | None = None
) -> str:
    """The full, already-encoded URL of an `id_list` fetch."""
    return (
        base_url
        + "?"
        + encode_query(
            [
                ("id_list", ",".join(ids)),
                ("start", str(start)),
                ("max_results", str(max_results if max_results is not None else len(ids))),
            ]
        )
    )


def plan_author_queries(
    names: Iterable[str],
    *,
    base_url: str,
    since: datetime | None = None,
    until: datetime | None = None,
    date_field: str = "submittedDate",
    page_size: int = 200,
    max_request_line: int = DEFAULT_MAX_REQUEST_LINE,
    max_terms: int | None = None,
) -> list[str]:
    """Pack author names into as few `search_query` strings as the request line allows.

    Names are de-duplicated by their query term (case-insensitive), in order. Every returned
    query, sent with any `start` up to `MAX_OFFSET` and `page_size`, stays within
    `max_request_line` bytes. A single name too long to fit is skipped with a warning.
    """
    clause = None
    if since is not None:
        clause = date_clause(since, until or datetime.now(UTC), date_field)
    seen: set[str] = set()
    terms: list[str] = []
    for name in names:
        term = author_term(name)
        if term and term.lower() not in seen:
            seen.add(term.lower())
            terms.append(term)

    def fits(batch: Sequence[str]) -> bool:
        url = search_url(
            base_url,
            combine_terms(batch, clause),
            start=MAX_OFFSET,
            max_results=min(page_size, MAX_PAGE_SIZE),
            sort_by=date_field if clause else "relevance",
        )
        return request_line_length(url) <= max_request_line

    queries: list[str] = []
    batch: list[str] = []
    for term in terms:
        candidate = [*batch, term]
        if fits(candidate) and (max_terms is None or len(candidate) <= max_terms):
            batch = candidate
            continue
        if batch:
            queries.append(combine_terms(batch, clause))
        if fits([term]):
            batch = [term]
        else:
            log.warning("author name too long for one arXiv query, skipped: %r", term[:80])
            batch = []
    if batch:
        queries.append(combine_terms(batch, clause))
    return queries


def chunk_ids_for_url(
    ids: Sequence[str], *, base_url: str, max_request_line: int = DEFAULT_MAX_REQUEST_LINE
) -> list[list[str]]:
    """Split arXiv ids into `id_list` chunks whose request lines fit (and <= 2,000 ids each)."""
    chunks: list[list[str]] = []
    current: list[str] = []
    for arxiv_id in ids:
        candidate = [*current, arxiv_id]
        url = id_list_url(base_url, candidate, start=0, max_results=MAX_PAGE_SIZE)
        if current and (
            request_line_length(url) > max_request_line or len(candidate) > MAX_PAGE_SIZE
        ):
            chunks.append(current)
            current = [arxiv_id]
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks
