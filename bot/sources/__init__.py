"""Upstream sources: arXiv API, arXiv listing feeds, OpenAlex, Semantic Scholar.

HTTP + parsing only: no database, no Discord. Every source takes an injected
`aiohttp.ClientSession`, a base URL and a `RateLimiter`, returns the plain dataclasses of
`bot.sources.models`, raises the typed errors of `bot.sources.errors`, and reports each call's
outcome to a `HealthRecorder` (`bot.sources.health`). `build_sources` wires them from settings.
"""

from __future__ import annotations

from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.arxiv_listing import parse_arxiv_listing, split_creators
from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.errors import (
    AccessDenied,
    ArxivQueryError,
    BadRequest,
    FeedError,
    InternalSourceError,
    MalformedResponse,
    NotFound,
    QueuedPastBudget,
    RateLimited,
    RedirectLoop,
    ResponseTooLarge,
    SourceError,
    UnexpectedEmptyPage,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from bot.sources.factory import Sources, build_sources, http_options_from_settings
from bot.sources.health import HealthRecorder, InMemoryHealthRecorder, SourceHealth
from bot.sources.http import HttpOptions, RetryPolicy, default_user_agent
from bot.sources.limiter import RateLimiter
from bot.sources.matching import PaperMatch, build_index, match_papers
from bot.sources.models import (
    ArxivFeedPage,
    ArxivListing,
    ArxivSearchResult,
    AuthorCandidate,
    AuthorRecord,
    Paper,
    PaperAuthor,
    S2Paper,
    Validators,
    Work,
    WorkAuthor,
    YearCount,
)
from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource

__all__ = [
    "AccessDenied",
    "ArxivApiSource",
    "ArxivFeedPage",
    "ArxivListing",
    "ArxivQueryError",
    "ArxivRssSource",
    "ArxivSearchResult",
    "AuthorCandidate",
    "AuthorRecord",
    "BadRequest",
    "FeedError",
    "HealthRecorder",
    "HttpOptions",
    "InMemoryHealthRecorder",
    "InternalSourceError",
    "MalformedResponse",
    "NotFound",
    "OpenAlexSource",
    "Paper",
    "PaperAuthor",
    "PaperMatch",
    "QueuedPastBudget",
    "RateLimited",
    "RateLimiter",
    "RedirectLoop",
    "ResponseTooLarge",
    "RetryPolicy",
    "S2Paper",
    "SemanticScholarSource",
    "SourceError",
    "SourceHealth",
    "Sources",
    "UnexpectedEmptyPage",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "Validators",
    "Work",
    "WorkAuthor",
    "YearCount",
    "build_index",
    "build_sources",
    "default_user_agent",
    "http_options_from_settings",
    "match_papers",
    "parse_arxiv_atom",
    "parse_arxiv_listing",
    "split_creators",
]
