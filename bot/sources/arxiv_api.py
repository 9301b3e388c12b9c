"""The arXiv API source (`export.arxiv.org/api/query`): batched author search, fetch by ids."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import aiohttp

from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.arxiv_query import (
    DEFAULT_MAX_REQUEST_LINE,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    chunk_ids_for_url,
    id_list_url,
    plan_author_queries,
    search_url,
)
from bot.sources.errors import ArxivQueryError, BadRequest, MalformedResponse, UnexpectedEmptyPage
from bot.sources.health import HealthRecorder
from bot.sources.http import HttpClient
from bot.sources.http_policy import HttpOptions, HttpResponse, check_status
from bot.sources.limiter import RateLimiter
from bot.sources.models import ArxivFeedPage, ArxivSearchResult, Paper

log = logging.getLogger(__name__)

_ACCEPT = {"Accept": "application/atom+xml, application/xml;q=0.9, */*;q=0.1"}


def _newest_first(papers: Iterable[Paper]) -> tuple[Paper, ...]:
    floor = datetime.min.replace(tzinfo=UTC)
    return tuple(sorted(papers, key=lambda p: p.published or floor, reverse=True))


# A ~4 KB request line (docs/sources.md#request-line-limit) holds 20-40 au: terms; its budget alone
# would pack ~140 short names into one boolean query, a size never tried against the real service;
# 40 keeps 1,000 followed authors (two names each) at about 42 requests, inside the budget of 60.
DEFAULT_MAX_TERMS_PER_QUERY = 40


class ArxivApiSource:
    """Search and fetch from the arXiv API through the shared arxiv.org `RateLimiter`.

    Every public method is one tracked call: its outcome (after retries) is reported to the
    `HealthRecorder` under the name `arxiv_api`.
    """

    name = "arxiv_api"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        limiter: RateLimiter,
        *,
        options: HttpOptions | None = None,
        health: HealthRecorder | None = None,
        page_size: int = 200,
        max_request_line: int = DEFAULT_MAX_REQUEST_LINE,
        max_terms_per_query: int | None = DEFAULT_MAX_TERMS_PER_QUERY,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be in 1..{MAX_PAGE_SIZE}")
        self.base_url = base_url.rstrip("?")
        self.page_size = page_size
        self.max_request_line = max_request_line
        self.max_terms_per_query = max_terms_per_query
        self.http = HttpClient(
            session, source=self.name, limiter=limiter, options=options, health=health
        )

    def __repr__(self) -> str:
        return f"ArxivApiSource({self.base_url!r})"

    # --- public calls ----------------------------------------------------------------------

    def plan_author_queries(
        self,
        names: Iterable[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        date_field: str = "submittedDate",
    ) -> list[str]:
        """The `search_query` strings `search_authors` would send (no I/O)."""
        return plan_author_queries(
            names,
            base_url=self.base_url,
            since=since,
            until=until,
            date_field=date_field,
            page_size=self.page_size,
            max_request_line=self.max_request_line,
            max_terms=self.max_terms_per_query,
        )

    async def search_authors(
        self,
        names: Iterable[str],
        *,
        since: datetime,
        until: datetime | None = None,
        date_field: str = "submittedDate",
        max_results_per_query: int | None = None,
    ) -> ArxivSearchResult:
        """Papers by any of `names` in a date window, in as few requests as the URL allows.

        `since`/`until` are aware datetimes (`until` defaults to now); `date_field` is
        `submittedDate` (v1 date) or `lastUpdatedDate` (also catches new versions). Each batch
        query is paged until exhausted (or `max_results_per_query`, or arXiv's 10,000 offset
        limit, which sets `truncated`). The result is NOT filtered: pass it to
        `bot.names.papers.match_papers` to keep the followed authors' papers.
        """
        until = until or self.http.options.clock.now()
        queries = self.plan_author_queries(names, since=since, until=until, date_field=date_field)
        return await self.http.track(
            self._run_queries(queries, sort_by=date_field, limit=max_results_per_query)
        )

    async def search(
        self,
        search_query: str,
        *,
        max_results: int | None = None,
        sort_by: str = "submittedDate",
        sort_order: str = "descending",
    ) -> ArxivSearchResult:
        """Any arXiv `search_query` (e.g. `cat:cs.CV`), paged until `max_results` or the end."""
        return await self.http.track(
            self._run_queries(
                [search_query], sort_by=sort_by, sort_order=sort_order, limit=max_results
            )
        )

    async def fetch_by_ids(self, arxiv_ids: Sequence[str]) -> list[Paper]:
        """Full metadata (per-author affiliations, comment, DOI) for ids, old- or new-style.

        Without a version you get the latest version. Unknown ids are silently dropped by
        arXiv; a malformed id makes arXiv answer its error feed (`ArxivQueryError`).
        """
        unique = list(dict.fromkeys(i.strip() for i in arxiv_ids if i.strip()))
        if not unique:
            return []
        return await self.http.track(self._fetch_ids(unique))

    def id_list_requests(self, arxiv_ids: Sequence[str]) -> int:
        """How many requests `fetch_by_ids(arxiv_ids)` makes (one per URL-sized chunk)."""
        return len(self._id_chunks(list(dict.fromkeys(arxiv_ids))))

    # --- internals -------------------------------------------------------------------------

    def _id_chunks(self, ids: list[str]) -> list[list[str]]:
        return chunk_ids_for_url(
            ids, base_url=self.base_url, max_request_line=self.max_request_line
        )

    async def _fetch_ids(self, ids: list[str]) -> list[Paper]:
        papers: dict[str, Paper] = {}
        for chunk in self._id_chunks(ids):
            url = id_list_url(self.base_url, chunk)
            page = await self._get_page(url, first=True, expected_total=0, start=0)
            for paper in page.papers:
                papers.setdefault(paper.arxiv_id, paper)
        return list(papers.values())

    async def _run_queries(
        self,
        queries: Sequence[str],
        *,
        sort_by: str,
        sort_order: str = "descending",
        limit: int | None,
    ) -> ArxivSearchResult:
        papers: dict[str, Paper] = {}
        requests = 0
        truncated = False
        unreadable = 0
        for query in queries:
            found, made, cut, skipped = await self._page_through(query, sort_by, sort_order, limit)
            requests += made
            truncated = truncated or cut
            unreadable += skipped
            for paper in found:
                papers.setdefault(paper.arxiv_id, paper)
        return ArxivSearchResult(
            papers=_newest_first(papers.values()),
            queries=len(queries),
            requests=requests,
            truncated=truncated,
            unreadable=unreadable,
        )

    async def _page_through(
        self, query: str, sort_by: str, sort_order: str, limit: int | None
    ) -> tuple[list[Paper], int, bool, int]:
        """(papers, requests, truncated, entries skipped as unreadable) of one query."""
        collected: list[Paper] = []
        if limit is not None and limit <= 0:
            return collected, 0, False, 0
        start = 0
        requests = 0
        unreadable = 0
        expected_total: int | None = None
        while True:
            size = self.page_size if limit is None else min(self.page_size, limit - len(collected))
            url = search_url(
                self.base_url,
                query,
                start=start,
                max_results=size,
                sort_by=sort_by,
                sort_order=sort_order,
            )
            page = await self._get_page(
                url, first=start == 0, expected_total=expected_total, start=start
            )
            requests += 1
            if start == 0:
                expected_total = page.total_results
            collected.extend(page.papers)
            start += page.entries
            unreadable += page.entries - len(page.papers)
            if _last_page(page.entries, size, start, expected_total):
                return collected, requests, False, unreadable
            if limit is not None and len(collected) >= limit:
                return collected, requests, False, unreadable
            if start >= MAX_OFFSET:
                log.warning("arXiv query has %s results; stopped at %d", expected_total, start)
                return collected, requests, True, unreadable

    async def _get_page(
        self, url: str, *, first: bool, expected_total: int | None, start: int
    ) -> ArxivFeedPage:
        now = self.http.options.clock.now()

        def parse(response: HttpResponse) -> ArxivFeedPage:
            return _parse_api_response(
                response, first=first, expected_total=expected_total, start=start, now=now
            )

        return await self.http.request("GET", url, parse=parse, headers=_ACCEPT, encoded=True)


def _last_page(entries: int, size: int, start: int, total: int | None) -> bool:
    """Nothing more to ask: an empty page, arXiv's total reached or, when arXiv's total is
    unknown, a page shorter than asked (a full one may have more behind it)."""
    if not entries:
        return True
    return start >= total if total is not None else entries < size


def _parse_api_response(
    response: HttpResponse, *, first: bool, expected_total: int | None, start: int, now: datetime
) -> ArxivFeedPage:
    """Status handling + Atom parsing for one API page (docs/sources.md#errors-and-empty-pages)."""
    if response.status == 400:
        # The 2025+ service sends its error feed with HTTP 400.
        try:
            parse_arxiv_atom(response.body, now=now)
        except ArxivQueryError:
            raise
        except MalformedResponse:
            pass
        raise BadRequest(f"arXiv rejected the request (HTTP 400, {response.where})", status=400)
    check_status(response)
    # Raises ArxivQueryError for a legacy 200 error feed.
    page = parse_arxiv_atom(response.body, now=now)
    if not first and not page.entries and expected_total is not None and start < expected_total:
        raise UnexpectedEmptyPage(
            f"empty page at start={start} of {expected_total} results ({response.where})"
        )
    return page
