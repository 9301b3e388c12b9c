"""The PubMed source (NCBI E-utilities): `esearch` finds PMIDs, `efetch` reads the records.

Batching, so a poll of 1,000 followed authors with ORCIDs costs about 26 requests:
- `search_batched` ORs the authors' terms 40 to a query (`bot.sources.pubmed_query`) and sends
  one `esearch` per query: 25 for 1,000 ORCIDs. Each returns all its PMIDs in one page, up to
  10,000 (PubMed never returns more for a query, so there is nothing to page to).
- `fetch` reads the PMIDs the caller has not seen yet, 200 to an `efetch`: at ~0.1 new papers
  per author, 100 PMIDs, one request.
- A request whose GET request line would pass 1,600 bytes goes as a POST, with the same
  parameters in a form body: NCBI asks for POST past about 200 ids (~1,800 characters), so a
  full `efetch` batch always goes as POST, while a 40-ORCID search (~1,550 bytes) stays a GET.

Politeness (NCBI's usage policy): every request names the tool (`tool=paperscout`) and the
operator (`email`, the CONTACT_EMAIL setting), and carries `api_key` when NCBI_API_KEY is set;
give this source one `RateLimiter` for all of NCBI: 3 requests/s without a key, 10 with.
The key is a secret: messages carry the path only, logged URLs are redacted, and the client
scrubs it from any upstream text it repeats.

Date windows use `datetype=edat`, the Entrez date (the day the record entered PubMed): it only
moves forward, so consecutive windows (days, both ends included) miss nothing. The publication
date (`pdat`) can lie months before the day a record appears (a 2024 issue indexed today) or
after it (an issue dated ahead), so windows on it miss records.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import TypeVar

import aiohttp
from pydantic import SecretStr
from yarl import URL

from bot.sources.errors import ResponseTooLarge
from bot.sources.health import HealthRecorder
from bot.sources.http import HttpClient, secret_text
from bot.sources.http_policy import HttpOptions, HttpResponse, check_status
from bot.sources.limiter import RateLimiter
from bot.sources.models import PubMedArticle, PubMedSearchResult
from bot.sources.pubmed_parsing import EsearchPage, parse_efetch, parse_esearch
from bot.sources.pubmed_query import plan_queries

log = logging.getLogger(__name__)

T = TypeVar("T")

TOOL = "paperscout"
MAX_RESULTS = 10_000  # PubMed returns at most the first 10,000 PMIDs of a search
FETCH_BATCH = 200  # PMIDs per efetch
MAX_GET_REQUEST_LINE = 1600  # bytes; longer requests are POSTed (see the module docstring)
DATE_TYPE = "edat"
_ACCEPT = {"Accept": "application/xml, text/xml;q=0.9, */*;q=0.1"}


class PubMedSource:
    """Calls to eutils.ncbi.nlm.nih.gov. Health is reported under the name `pubmed`."""

    name = "pubmed"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        limiter: RateLimiter | None = None,
        *,
        api_key: SecretStr | str | None = None,
        tool: str = TOOL,
        email: str,
        options: HttpOptions | None = None,
        health: HealthRecorder | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        key = secret_text(api_key)
        self._identity = {"tool": tool, "email": email}
        if key:
            self._identity["api_key"] = key
        self.http = HttpClient(
            session,
            source=self.name,
            limiter=limiter,
            options=options,
            health=health,
            secrets=(key,) if key else (),
        )

    def __repr__(self) -> str:
        keyed = "set" if "api_key" in self._identity else "unset"
        return f"PubMedSource({self.base_url!r}, api_key={keyed})"

    # --- public calls ----------------------------------------------------------------------

    async def search(
        self,
        term: str,
        *,
        since: date | None = None,
        until: date | None = None,
        max_results: int = MAX_RESULTS,
    ) -> list[str]:
        """PMIDs matching a PubMed query, entered in PubMed from `since` to `until` (days,
        inclusive; `until` defaults to today). At most `max_results` (<= 10,000)."""
        if not term.strip():
            raise ValueError("empty PubMed query")
        window = self._window(since, until)
        page = await self.http.track(self._esearch(term.strip(), window, max_results))
        return list(page.pmids)

    async def search_batched(
        self,
        terms: Iterable[str],
        *,
        since: date,
        until: date | None = None,
        max_results_per_query: int = MAX_RESULTS,
    ) -> PubMedSearchResult:
        """PMIDs found by any of `terms` (`orcid_term`, `author_terms`) in a date window, the
        terms OR-ed into as few queries as `plan_queries` allows. Not filtered: a hit is a
        candidate until its record confirms the author (see `bot.sources.pubmed_query`)."""
        window = self._window(since, until)
        queries = plan_queries(terms)
        if not queries:
            return PubMedSearchResult(pmids=(), queries=0)
        return await self.http.track(self._search_all(queries, window, max_results_per_query))

    async def fetch(self, pmids: Sequence[str]) -> list[PubMedArticle]:
        """Full records for PMIDs, 200 to a request, in the order asked; unknown PMIDs (and
        books) are absent. A PMID is digits only: anything else is refused before sending."""
        wanted = list(dict.fromkeys(p.strip() for p in pmids if p and p.strip()))
        bad = [p for p in wanted if not p.isdigit()]
        if bad:
            raise ValueError(f"not a PMID: {bad[0][:40]!r}")
        if not wanted:
            return []
        return await self.http.track(self._fetch_all(wanted))

    # --- internals -------------------------------------------------------------------------

    def _window(self, since: date | None, until: date | None) -> tuple[date, date] | None:
        if since is None:
            if until is not None:
                raise ValueError("`until` needs `since` (E-utilities takes both dates or none)")
            return None
        until = until or self.http.options.clock.now().date()
        if since > until:
            raise ValueError(f"empty date window: {since} > {until}")
        return since, until

    async def _search_all(
        self, queries: list[str], window: tuple[date, date] | None, max_results: int
    ) -> PubMedSearchResult:
        found: dict[str, None] = {}
        truncated = False
        for query in queries:
            page = await self._esearch(query, window, max_results)
            truncated = truncated or (page.count or 0) > len(page.pmids)
            found.update(dict.fromkeys(page.pmids))
        return PubMedSearchResult(pmids=tuple(found), queries=len(queries), truncated=truncated)

    async def _esearch(
        self, term: str, window: tuple[date, date] | None, max_results: int
    ) -> EsearchPage:
        params = {
            "db": "pubmed",
            "term": term,
            "retmode": "xml",
            "retmax": str(min(max(max_results, 1), MAX_RESULTS)),
        }
        if window is not None:
            params |= {
                "datetype": DATE_TYPE,
                "mindate": window[0].strftime("%Y/%m/%d"),
                "maxdate": window[1].strftime("%Y/%m/%d"),
            }
        page = await self._call("esearch.fcgi", params, parse_esearch)
        if page.not_found:
            log.debug("PubMed did not find %d term(s): %s", len(page.not_found), page.not_found)
        if (page.count or 0) > len(page.pmids):
            log.warning("PubMed query found %s records; %d returned", page.count, len(page.pmids))
        return page

    async def _fetch_all(self, pmids: list[str]) -> list[PubMedArticle]:
        found: dict[str, PubMedArticle] = {}
        for start in range(0, len(pmids), FETCH_BATCH):
            for article in await self._fetch_batch(pmids[start : start + FETCH_BATCH]):
                found.setdefault(article.pmid, article)
        return [found[p] for p in pmids if p in found]

    async def _fetch_batch(self, pmids: list[str]) -> list[PubMedArticle]:
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml"}
        parse = partial(parse_efetch, now=self.http.options.clock.now())
        try:
            return await self._call("efetch.fcgi", params, parse)
        except ResponseTooLarge:
            # Records with long reference lists can push 200 of them past the body cap.
            if len(pmids) == 1:
                raise
            half = len(pmids) // 2
            log.info("PubMed efetch of %d records too large; fetching halves", len(pmids))
            return await self._fetch_batch(pmids[:half]) + await self._fetch_batch(pmids[half:])

    async def _call(
        self, utility: str, params: Mapping[str, str], parse: Callable[[bytes], T]
    ) -> T:
        """One E-utility request: GET, or POST when the URL would be too long."""
        fields = {**params, **self._identity}

        def handle(response: HttpResponse) -> T:
            if response.status != 200:
                check_status(response, detail=self.http.redact(_error_detail(response)))
            return parse(response.body)

        url = URL(f"{self.base_url}/{utility}").update_query(fields)
        if len(f"GET {url.raw_path_qs} HTTP/1.1".encode()) <= MAX_GET_REQUEST_LINE:
            return await self.http.request("GET", url, parse=handle, headers=_ACCEPT, encoded=True)
        return await self.http.request(
            "POST", f"{self.base_url}/{utility}", parse=handle, headers=_ACCEPT, form=fields
        )


def _error_detail(response: HttpResponse) -> str:
    """NCBI's own reason, from its JSON error body (`{"error": "API rate limit exceeded"}`)."""
    try:
        data = json.loads(response.body) if response.body else None
    except (ValueError, UnicodeDecodeError):
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return error[:200] if isinstance(error, str) else ""
