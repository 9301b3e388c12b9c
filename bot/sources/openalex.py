"""The OpenAlex source: author search/autocomplete, authors by id, works by author ids.

OpenAlex needs an API key since 2026 (`api_key=` parameter, docs/sources.md#openalex); it is taken
from settings, sent on every call, and never logged or shown (messages carry the path only, URLs
are redacted before logging). List calls take up to 100 OR'ed ids and 100 results per page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

import aiohttp
from pydantic import SecretStr

from bot.sources.errors import MalformedResponse
from bot.sources.health import HealthRecorder
from bot.sources.http import HttpClient, secret_text
from bot.sources.http_policy import HttpOptions, HttpResponse, check_status
from bot.sources.limiter import RateLimiter
from bot.sources.models import AuthorCandidate, AuthorRecord, Work
from bot.sources.openalex_parsing import (
    bare_orcid,
    error_detail,
    parse_author,
    parse_author_list,
    parse_autocomplete,
    parse_works_page,
    short_openalex_id,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_IDS_PER_FILTER = 100
CITATION_MAX_PAGES = 3  # per 100 DOIs: one page, or a little more after merges
MAX_PER_PAGE = 100
AUTHOR_SELECT = (
    "id,display_name,display_name_alternatives,orcid,ids,works_count,cited_by_count,"
    "summary_stats,last_known_institutions,affiliations,counts_by_year,topics,updated_date"
)
WORK_SELECT = (
    "id,doi,title,display_name,publication_date,publication_year,created_date,updated_date,"
    "type,indexed_in,ids,authorships,primary_location,best_oa_location,locations,"
    "abstract_inverted_index,cited_by_count"
)
DATE_FILTERS = ("from_publication_date", "from_created_date")
# arXiv registers a DataCite DOI for every paper; OpenAlex files the preprint under it.
ARXIV_DOI_PREFIX = "10.48550/arxiv."
# Enough to map a work back to its arXiv id and read its count (smaller, cheaper responses).
CITATION_SELECT = "id,doi,ids,cited_by_count"
# A citing work: what is stored of any work, and which works it cites.
CITING_SELECT = WORK_SELECT + ",referenced_works"


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _author_path_id(author_id: str) -> str:
    """`A123` / `https://openalex.org/A123` -> `A123`; an ORCID -> `orcid:0000-...`."""
    short = short_openalex_id(author_id)
    if short and short.startswith("A"):
        return short
    orcid = bare_orcid(author_id)
    if orcid:
        return f"orcid:{orcid}"
    raise ValueError(f"not an OpenAlex author id or ORCID: {author_id[:60]!r}")


class OpenAlexSource:
    """Calls to api.openalex.org. Health is reported under the name `openalex`."""

    name = "openalex"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        limiter: RateLimiter | None = None,
        *,
        api_key: SecretStr | str | None = None,
        options: HttpOptions | None = None,
        health: HealthRecorder | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        key = secret_text(api_key)
        self._api_key = key
        self.http = HttpClient(
            session,
            source=self.name,
            limiter=limiter,
            options=options,
            health=health,
            secrets=(key,) if key else (),
        )

    def __repr__(self) -> str:
        return f"OpenAlexSource({self.base_url!r}, api_key={'set' if self._api_key else 'unset'})"

    # --- public calls ----------------------------------------------------------------------

    async def search_authors(self, query: str, *, per_page: int = 10) -> list[AuthorRecord]:
        """`/authors?search=` (tolerant of middle initials and diacritics); homonyms included."""
        params = {"search": query.strip(), "per_page": str(min(max(per_page, 1), MAX_PER_PAGE))}
        now = self._now()
        return await self.http.track(
            self._get("/authors", params, lambda data: parse_author_list(data, now=now)[0])
        )

    async def autocomplete_authors(self, prefix: str) -> list[AuthorCandidate]:
        """`/autocomplete/authors?q=` (<= 10 candidates, fast; ids and ORCIDs resolve directly)."""
        return await self.http.track(
            self._get("/autocomplete/authors", {"q": prefix.strip()}, parse_autocomplete)
        )

    async def get_author(self, author_id: str) -> AuthorRecord:
        """One author by OpenAlex id (`A…`, or its URL) or ORCID; `NotFound` when unknown."""
        path = f"/authors/{_author_path_id(author_id)}"
        parse = partial(parse_author, now=self._now())
        return await self.http.track(self._get(path, {}, parse))

    async def get_authors(self, author_ids: Sequence[str]) -> list[AuthorRecord]:
        """Many authors by OpenAlex id: one list call per 100 ids (unknown ids are absent)."""
        ids = list(dict.fromkeys(_author_path_id(a) for a in author_ids))
        if any(not i.startswith("A") for i in ids):
            raise ValueError("get_authors takes OpenAlex ids only (use get_author for ORCIDs)")
        return await self.http.track(self._get_authors(ids))

    async def works_by_authors(
        self,
        author_ids: Sequence[str],
        *,
        since: date,
        date_filter: str = "from_publication_date",
        per_page: int = MAX_PER_PAGE,
        max_pages_per_chunk: int = 50,
        extra_filter: str | None = None,
    ) -> list[Work]:
        """Works by any of the authors since `since`, newest first, cursor-paged.

        One filter per 100 author ids (`authorships.author.id:A1|A2|...`), combined with
        `date_filter:since` (`from_publication_date`, or `from_created_date` to catch recently
        indexed works whose publication date is coarse). `extra_filter` is appended as is
        (e.g. `indexed_in:arxiv`). Each `Work` has `arxiv_id` set when it is an arXiv preprint.
        """
        if date_filter not in DATE_FILTERS:
            raise ValueError(f"date_filter must be one of {DATE_FILTERS}")
        ids = list(dict.fromkeys(_author_path_id(a) for a in author_ids))
        if not ids:
            return []
        return await self.http.track(
            self._works(ids, since, date_filter, per_page, max_pages_per_chunk, extra_filter)
        )

    async def works_citing(
        self, work_ids: Sequence[str], *, since: date, max_pages_per_chunk: int = 10
    ) -> tuple[list[Work], int]:
        """Works citing any of `work_ids` (OpenAlex ids) that OpenAlex created since `since`.

        One filter per 100 cited ids (`cites:W1|W2|...,from_created_date:<since>`), cursor
        paged up to `max_pages_per_chunk` pages of 100. Each `Work` carries its `references`,
        so the caller knows which of the ids it cites. Returns the works and the requests made.
        """
        ids = list(dict.fromkeys(i for w in work_ids if (i := short_openalex_id(w))))
        if not ids:
            return [], 0
        return await self.http.track(self._works_citing(ids, since, max_pages_per_chunk))

    async def work_ids_of_arxiv(self, arxiv_ids: Sequence[str]) -> dict[str, str]:
        """The OpenAlex work id of arXiv papers (ids without version), one call per 100 ids;
        papers OpenAlex does not know are absent."""
        ids = list(dict.fromkeys(a.strip() for a in arxiv_ids if a and a.strip()))
        if not ids:
            return {}
        return await self.http.track(self._work_ids_of_arxiv(ids))

    async def citation_counts(self, arxiv_ids: Sequence[str]) -> dict[str, int]:
        """Citation counts of arXiv papers (ids without version), one list call per 100 ids.

        Filters works by the papers' arXiv DOIs (`doi:10.48550/arxiv.<id>|...`, docs/sources.md)
        and selects only what maps a work back to its id. Papers OpenAlex does not know (or
        filed under another DOI after a merge) are absent from the result.
        """
        ids = list(dict.fromkeys(a.strip() for a in arxiv_ids if a and a.strip()))
        if not ids:
            return {}
        return await self.http.track(self._citation_counts(ids))

    # --- internals -------------------------------------------------------------------------

    async def _citation_counts(self, ids: list[str]) -> dict[str, int]:
        wanted = set(ids)
        counts: dict[str, int] = {}
        for chunk in _chunks(ids, MAX_IDS_PER_FILTER):
            # Usually one page; two works for one DOI (an imperfect merge) can spill over.
            cursor: str | None = "*"
            pages = 0
            while cursor and pages < CITATION_MAX_PAGES:
                params = {
                    "filter": "doi:" + "|".join(ARXIV_DOI_PREFIX + i.lower() for i in chunk),
                    "per_page": str(MAX_PER_PAGE),
                    "select": CITATION_SELECT,
                    "cursor": cursor,
                }
                works, cursor, _count = await self._get(
                    "/works", params, partial(parse_works_page, now=self._now())
                )
                pages += 1
                for work in works:
                    if work.arxiv_id in wanted and work.cited_by_count is not None:
                        # The larger count is the better-linked record of a merged pair.
                        counts[work.arxiv_id] = max(
                            counts.get(work.arxiv_id, 0), work.cited_by_count
                        )
                if not works:
                    break
        return counts

    async def _works_citing(
        self, ids: list[str], since: date, max_pages: int
    ) -> tuple[list[Work], int]:
        works: dict[str, Work] = {}
        requests = 0
        for chunk in _chunks(ids, MAX_IDS_PER_FILTER):
            params = {
                "filter": f"cites:{'|'.join(chunk)},from_created_date:{since.isoformat()}",
                "per_page": str(MAX_PER_PAGE),
                "select": CITING_SELECT,
            }
            requests += await self._page_through(params, max_pages, works, "citing works")
        return list(works.values()), requests

    async def _page_through(
        self, params: dict[str, str], max_pages: int, works: dict[str, Work], what: str
    ) -> int:
        """Follow the cursor of one `/works` list up to `max_pages` pages, adding each work
        not in `works` yet; returns the pages asked for."""
        cursor: str | None = "*"
        pages = 0
        while cursor and pages < max_pages:
            page, cursor, _count = await self._get(
                "/works", {**params, "cursor": cursor}, partial(parse_works_page, now=self._now())
            )
            pages += 1
            for work in page:
                works.setdefault(work.openalex_id, work)
            if not page:
                break
        if cursor and pages >= max_pages:  # a bound the caller chose (a sample, a cap)
            log.info("OpenAlex %s: stopped after %d pages for one id chunk", what, pages)
        return pages

    async def _work_ids_of_arxiv(self, ids: list[str]) -> dict[str, str]:
        wanted = set(ids)
        best: dict[str, Work] = {}
        for chunk in _chunks(ids, MAX_IDS_PER_FILTER):
            params = {
                "filter": "doi:" + "|".join(ARXIV_DOI_PREFIX + i.lower() for i in chunk),
                "per_page": str(MAX_PER_PAGE),
                "select": CITATION_SELECT,
            }
            works, _cursor, _count = await self._get(
                "/works", params, partial(parse_works_page, now=self._now())
            )
            for work in works:  # of an imperfectly merged pair, the better-cited record
                known = best.get(work.arxiv_id or "")
                if work.arxiv_id in wanted and (
                    known is None or (work.cited_by_count or 0) > (known.cited_by_count or 0)
                ):
                    best[work.arxiv_id] = work
        return {arxiv_id: work.openalex_id for arxiv_id, work in best.items()}

    async def _get_authors(self, ids: list[str]) -> list[AuthorRecord]:
        records: list[AuthorRecord] = []
        for chunk in _chunks(ids, MAX_IDS_PER_FILTER):
            params = {
                "filter": "openalex:" + "|".join(chunk),
                "per_page": str(MAX_PER_PAGE),
                "select": AUTHOR_SELECT,
            }
            found, _meta = await self._get(
                "/authors", params, partial(parse_author_list, now=self._now())
            )
            records.extend(found)
        return records

    async def _works(
        self,
        ids: list[str],
        since: date,
        date_filter: str,
        per_page: int,
        max_pages: int,
        extra_filter: str | None,
    ) -> list[Work]:
        works: dict[str, Work] = {}
        for chunk in _chunks(ids, MAX_IDS_PER_FILTER):
            filters = [
                f"authorships.author.id:{'|'.join(chunk)}",
                f"{date_filter}:{since.isoformat()}",
            ]
            if extra_filter:
                filters.append(extra_filter)
            params = {
                "filter": ",".join(filters),
                "sort": "publication_date:desc",
                "per_page": str(min(max(per_page, 1), MAX_PER_PAGE)),
                "select": WORK_SELECT,
            }
            await self._page_through(params, max_pages, works, "works")
        return sorted(
            works.values(),
            key=lambda w: (w.publication_date or date.min, w.created_date or date.min),
            reverse=True,
        )

    def _now(self) -> datetime:
        """What the parsers judge dates against (`bot.sources.dates`)."""
        return self.http.options.clock.now()

    async def _get(self, path: str, params: dict[str, str], parse: Callable[[Any], T]) -> T:
        if self._api_key:
            params = {**params, "api_key": self._api_key}

        def handle(response: HttpResponse) -> T:
            if response.status != 200:
                check_status(response, detail=self.http.redact(_safe_detail(response)))
            return parse(response.json())

        return await self.http.request(
            "GET",
            self.base_url + path,
            params=params,
            parse=handle,
            headers={"Accept": "application/json"},
        )


def _safe_detail(response: HttpResponse) -> str:
    try:
        return error_detail(json.loads(response.body)) if response.body else ""
    except (ValueError, UnicodeDecodeError, MalformedResponse):
        return ""
