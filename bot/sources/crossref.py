"""The Crossref source (`api.crossref.org`): works by DOI, one or many.

What it is for: a work's type (`posted-content` is a preprint, with its server in
`institution`) and the links between a preprint and its publication (`relation.has-preprint`
on the publication, `relation.is-preprint-of` on the preprint), so the same research found as
a bioRxiv preprint and as a journal article can be told to be one.

`work(doi)` is one `/works/{doi}` request (a 404 means Crossref has no such DOI: None).
`works(dois)` reads up to 50 DOIs per request with `/works?filter=doi:A,doi:B,...`: Crossref
ORs a filter repeated with different values. It is a list query, which Crossref limits more
tightly than single records (3 against 10 requests/s in the polite pool, since December 2025),
but one list request replaces 50 single ones. A DOI with a comma (the filter's separator) is
read alone. `select` (smaller answers) is not used: it cannot ask for `subtype` or
`institution`.

Politeness: the polite pool, by the operator's address in the `mailto` parameter (and in the
User-Agent every source sends); one `RateLimiter` at 3 requests/s keeps within either limit,
one request at a time within the concurrency limit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp

from bot.sources.crossref_parsing import error_detail, parse_work_list, parse_work_message
from bot.sources.dois import normalise_doi
from bot.sources.errors import NotFound
from bot.sources.health import HealthRecorder
from bot.sources.http import HttpClient
from bot.sources.http_policy import HttpOptions, HttpResponse, check_status
from bot.sources.limiter import RateLimiter
from bot.sources.models import CrossrefWork

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_DOIS_PER_REQUEST = 50  # ~1,500 characters of filter: a short URL, one page of rows
_HEADERS = {"Accept": "application/json"}


class CrossrefSource:
    """Calls to api.crossref.org. Health is reported under the name `crossref`."""

    name = "crossref"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        limiter: RateLimiter | None = None,
        *,
        email: str,
        options: HttpOptions | None = None,
        health: HealthRecorder | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._mailto = {"mailto": email}
        self.http = HttpClient(
            session, source=self.name, limiter=limiter, options=options, health=health
        )

    def __repr__(self) -> str:
        return f"CrossrefSource({self.base_url!r})"

    # --- public calls ----------------------------------------------------------------------

    async def work(self, doi: str) -> CrossrefWork | None:
        """One work by DOI (any common spelling: `doi:`, doi.org URL, upper case); None when
        Crossref has no such DOI (it may be another agency's, e.g. DataCite's for arXiv)."""
        bare = _bare(doi)
        try:
            return await self.http.track(self._work(bare))
        except NotFound:
            return None

    async def works(self, dois: Sequence[str]) -> dict[str, CrossrefWork]:
        """Many works by DOI, keyed by bare lower-case DOI; unknown DOIs are absent."""
        wanted = list(dict.fromkeys(_bare(d) for d in dois))
        if not wanted:
            return {}
        return await self.http.track(self._works(wanted))

    @staticmethod
    def works_requests(dois: Sequence[str]) -> int:
        """How many requests `works(dois)` makes: one per 50 DOIs, one per DOI with a comma
        (read alone)."""
        wanted = list(dict.fromkeys(_bare(d) for d in dois))
        listed = sum("," not in d for d in wanted)
        return -(-listed // MAX_DOIS_PER_REQUEST) + (len(wanted) - listed)

    # --- internals -------------------------------------------------------------------------

    async def _work(self, doi: str) -> CrossrefWork:
        parse = partial(parse_work_message, now=self.http.options.clock.now())
        return await self._get(f"/works/{quote(doi, safe='/')}", {}, parse)

    async def _works(self, dois: list[str]) -> dict[str, CrossrefWork]:
        found: dict[str, CrossrefWork] = {}
        alone = [d for d in dois if "," in d]
        listed = [d for d in dois if "," not in d]
        for start in range(0, len(listed), MAX_DOIS_PER_REQUEST):
            chunk = listed[start : start + MAX_DOIS_PER_REQUEST]
            params = {"filter": ",".join(f"doi:{d}" for d in chunk), "rows": str(len(chunk))}
            parse = partial(parse_work_list, now=self.http.options.clock.now())
            for work in await self._get("/works", params, parse):
                found.setdefault(work.doi, work)
        for doi in alone:
            try:
                found[doi] = await self._work(doi)
            except NotFound:
                continue
        return {d: found[d] for d in dois if d in found}

    async def _get(self, path: str, params: dict[str, str], parse: Callable[[Any], T]) -> T:
        def handle(response: HttpResponse) -> T:
            if response.status != 200:
                check_status(response, detail=_safe_detail(response))
            return parse(response.json())

        return await self.http.request(
            "GET",
            self.base_url + path,
            params={**params, **self._mailto},
            parse=handle,
            headers=_HEADERS,
        )


def _bare(doi: str) -> str:
    bare = normalise_doi(doi)
    if bare is None:
        raise ValueError(f"not a DOI: {doi[:60]!r}")
    return bare


def _safe_detail(response: HttpResponse) -> str:
    try:
        return error_detail(json.loads(response.body)) if response.body else ""
    except (ValueError, UnicodeDecodeError):
        return ""
