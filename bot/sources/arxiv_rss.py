"""The arXiv listing-feed source (`rss.arxiv.org/rss/<cat>+<cat>`), with conditional GET."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from datetime import datetime

import aiohttp

from bot.sources.arxiv_listing import parse_arxiv_listing
from bot.sources.errors import BadRequest, FeedError, MalformedResponse
from bot.sources.health import HealthRecorder
from bot.sources.http import HttpClient
from bot.sources.http_policy import HttpOptions, HttpResponse, check_status
from bot.sources.limiter import RateLimiter
from bot.sources.models import ArxivListing, Validators

log = logging.getLogger(__name__)

_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")
_ACCEPT = {"Accept": "application/rss+xml, application/xml;q=0.9, */*;q=0.1"}


def validate_categories(categories: Sequence[str]) -> tuple[str, ...]:
    """Deduplicated categories in order; ValueError for an empty list or a malformed name."""
    unique = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
    if not unique:
        raise ValueError("at least one arXiv category is needed")
    bad = [c for c in unique if not _CATEGORY_RE.match(c)]
    if bad:
        raise ValueError(f"not arXiv category names: {bad}")
    return unique


class ArxivRssSource:
    """Fetch one announcement day for a set of categories, through the arxiv.org limiter.

    Pass the `Validators` returned by the previous call to make a conditional GET: when the
    feed did not change the server answers 304 and the result has `not_modified=True`.
    Health is reported under the name `arxiv_rss`.
    """

    name = "arxiv_rss"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        limiter: RateLimiter,
        *,
        options: HttpOptions | None = None,
        health: HealthRecorder | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = HttpClient(
            session, source=self.name, limiter=limiter, options=options, health=health
        )

    def __repr__(self) -> str:
        return f"ArxivRssSource({self.base_url!r})"

    def feed_url(self, categories: Sequence[str]) -> str:
        """`<base>/cs.CV+cs.LG+stat.ML` (ValueError for malformed category names)."""
        return f"{self.base_url}/{'+'.join(validate_categories(categories))}"

    async def fetch_listing(
        self, categories: Sequence[str], *, validators: Validators | None = None
    ) -> ArxivListing:
        """Today's listing for `categories` (new, cross, replace, replace-cross items).

        Raises `FeedError` for an unknown category (arXiv's HTTP 400 error channel).
        """
        cats = validate_categories(categories)
        url = self.feed_url(cats)
        headers = dict(_ACCEPT)
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified

        now = self.http.options.clock.now()

        def parse(response: HttpResponse) -> ArxivListing:
            return _parse_listing_response(response, cats, validators, now)

        return await self.http.track(
            self.http.request("GET", url, parse=parse, headers=headers, encoded=True)
        )


def _parse_listing_response(
    response: HttpResponse, categories: tuple[str, ...], sent: Validators | None, now: datetime
) -> ArxivListing:
    fresh = Validators(
        etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified")
    )
    if response.status == 304:
        return ArxivListing(
            categories=categories, validators=fresh or sent or Validators(), not_modified=True
        )
    if response.status == 400:
        try:
            parse_arxiv_listing(response.body, now=now)
        except FeedError:
            raise
        except MalformedResponse:
            pass
        raise BadRequest(
            f"arXiv rejected the feed request (HTTP 400, {response.where})", status=400
        )
    check_status(response)
    listing = parse_arxiv_listing(response.body, now=now)
    if listing.possibly_truncated:
        log.warning(
            "listing for %s hit the 2,000-item cap; split the categories", "+".join(categories)
        )
    return dataclasses.replace(listing, categories=categories, validators=fresh)
