"""The Semantic Scholar Graph API source: author search, author batch, an author's papers.

Useful for metrics (`/author/batch` takes up to 1,000 ids in one POST). The optional key goes
in the `x-api-key` header; keyed accounts get 1 request/second, so give this source its own
`RateLimiter(1.0)`. S2's terms require backoff on 429/5xx (docs/sources.md#semantic-scholar).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from bot.sources.counts import count
from bot.sources.errors import MalformedResponse
from bot.sources.health import HealthRecorder
from bot.sources.http import HttpClient, secret_text
from bot.sources.http_policy import HttpOptions, HttpResponse, check_status
from bot.sources.limiter import RateLimiter
from bot.sources.models import AuthorRecord, S2Paper
from bot.sources.semantic_scholar_parsing import (
    error_detail,
    parse_author,
    parse_author_batch,
    parse_list_page,
    parse_paper,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BATCH_IDS = 1000
MAX_LIMIT = 1000
MAX_PAPER_BATCH_IDS = 500  # the most `POST /paper/batch` takes (docs/sources.md#semantic-scholar)
AUTHOR_FIELDS = "name,aliases,affiliations,externalIds,url,homepage,paperCount,citationCount,hIndex"
PAPER_FIELDS = "title,externalIds,publicationDate,year,authors,citationCount,venue"


class SemanticScholarSource:
    """Calls to api.semanticscholar.org/graph/v1. Health is reported as `semantic_scholar`."""

    name = "semantic_scholar"

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
        self._headers = {"Accept": "application/json"}
        if key:
            self._headers["x-api-key"] = key
        self.http = HttpClient(
            session,
            source=self.name,
            limiter=limiter,
            options=options,
            health=health,
            secrets=(key,) if key else (),
        )

    def __repr__(self) -> str:
        keyed = "set" if "x-api-key" in self._headers else "unset"
        return f"SemanticScholarSource({self.base_url!r}, api_key={keyed})"

    # --- public calls ----------------------------------------------------------------------

    async def search_authors(
        self, query: str, *, limit: int = 20, fields: str = AUTHOR_FIELDS
    ) -> list[AuthorRecord]:
        """`/author/search` (plain text; hyphens become spaces, since S2 matches none)."""
        params = {
            "query": " ".join(query.replace("-", " ").split()),
            "fields": fields,
            "offset": "0",
            "limit": str(min(max(limit, 1), MAX_LIMIT)),
        }
        now = self.http.options.clock.now()

        def parse(data: Any) -> list[AuthorRecord]:
            items, _next, _total = parse_list_page(data)
            return [parse_author(item, fetched_at=now) for item in items]

        return await self.http.track(self._call("GET", "/author/search", parse, params=params))

    async def get_author(self, author_id: str, *, fields: str = AUTHOR_FIELDS) -> AuthorRecord:
        """One author by S2 id; `NotFound` when unknown."""
        now = self.http.options.clock.now()
        path = f"/author/{quote(author_id.strip(), safe='')}"
        return await self.http.track(
            self._call(
                "GET", path, lambda d: parse_author(d, fetched_at=now), params={"fields": fields}
            )
        )

    async def get_authors(
        self, author_ids: Sequence[str], *, fields: str = AUTHOR_FIELDS
    ) -> list[AuthorRecord | None]:
        """Many authors in request order (None for unknown ids), one POST per 1,000 ids."""
        ids = [str(a).strip() for a in author_ids]
        if not ids:
            return []
        return await self.http.track(self._batch(ids, fields))

    async def author_papers(
        self,
        author_id: str,
        *,
        since: date | None = None,
        page_size: int = 100,
        max_papers: int = 1000,
        fields: str = PAPER_FIELDS,
    ) -> list[S2Paper]:
        """An author's papers, paged with `next` (optionally only those since `since`)."""
        return await self.http.track(
            self._papers(author_id.strip(), since, page_size, max_papers, fields)
        )

    async def paper_citation_counts(self, arxiv_ids: Sequence[str]) -> dict[str, int]:
        """Citation counts of arXiv papers (ids without version), one POST per 500 ids.

        `POST /paper/batch?fields=citationCount` with `ARXIV:<id>` ids answers in request
        order with `null` for papers S2 does not know; those are absent from the result.
        """
        ids = list(dict.fromkeys(a.strip() for a in arxiv_ids if a and a.strip()))
        if not ids:
            return {}
        return await self.http.track(self._paper_counts(ids))

    # --- internals -------------------------------------------------------------------------

    async def _paper_counts(self, ids: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for start in range(0, len(ids), MAX_PAPER_BATCH_IDS):
            chunk = ids[start : start + MAX_PAPER_BATCH_IDS]

            def parse(data: Any, expected: int = len(chunk)) -> list[Any]:
                if not isinstance(data, list) or len(data) != expected:
                    raise MalformedResponse(f"paper batch did not return {expected} slots")
                return data

            found = await self._call(
                "POST",
                "/paper/batch",
                parse,
                params={"fields": "citationCount"},
                json_body={"ids": [f"ARXIV:{i}" for i in chunk]},
            )
            for arxiv_id, item in zip(chunk, found, strict=True):
                if not isinstance(item, dict):
                    continue  # S2 does not know this paper
                cited = count(item.get("citationCount"), f"Semantic Scholar ARXIV:{arxiv_id}")
                if cited is not None:
                    counts[arxiv_id] = cited
        return counts

    async def _batch(self, ids: list[str], fields: str) -> list[AuthorRecord | None]:
        now = self.http.options.clock.now()
        records: list[AuthorRecord | None] = []
        for start in range(0, len(ids), MAX_BATCH_IDS):
            chunk = ids[start : start + MAX_BATCH_IDS]

            def parse(data: Any, expected: int = len(chunk)) -> list[AuthorRecord | None]:
                found = parse_author_batch(data, fetched_at=now)
                if len(found) != expected:
                    raise MalformedResponse(
                        f"author batch returned {len(found)} of {expected} slots"
                    )
                return found

            records.extend(
                await self._call(
                    "POST",
                    "/author/batch",
                    parse,
                    params={"fields": fields},
                    json_body={"ids": chunk},
                )
            )
        return records

    async def _papers(
        self, author_id: str, since: date | None, page_size: int, max_papers: int, fields: str
    ) -> list[S2Paper]:
        papers: list[S2Paper] = []
        offset: int | None = 0
        path = f"/author/{quote(author_id, safe='')}/papers"
        while offset is not None and len(papers) < max_papers:
            params = {
                "fields": fields,
                "offset": str(offset),
                "limit": str(min(max(page_size, 1), MAX_LIMIT, max_papers - len(papers))),
            }
            if since is not None:
                params["publicationDateOrYear"] = f"{since.isoformat()}:"
            items, offset, _total = await self._call("GET", path, parse_list_page, params=params)
            now = self.http.options.clock.now()
            papers.extend(parse_paper(item, now=now) for item in items)
            if not items:
                break
        return papers[:max_papers]

    async def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> T:
        def handle(response: HttpResponse) -> T:
            if response.status != 200:
                check_status(response, detail=self.http.redact(_safe_detail(response)))
            return parse(response.json())

        return await self.http.request(
            method,
            self.base_url + path,
            params=params,
            parse=handle,
            headers=self._headers,
            json_body=json_body,
        )


def _safe_detail(response: HttpResponse) -> str:
    try:
        return error_detail(json.loads(response.body)) if response.body else ""
    except (ValueError, UnicodeDecodeError):
        return ""
