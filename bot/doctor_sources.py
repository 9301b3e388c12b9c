"""The sources half of `paperscout doctor`: one cheap request to each configured source, with
its key, no retries and a short timeout, through the sources' own code (so the URL, the key,
the User-Agent and the parsing are the bot's). What a failure says: unreachable, the key or
access refused, or the request rejected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp

from bot.checks import Check
from bot.config import Settings
from bot.sources.errors import AccessDenied, BadRequest, SourceError
from bot.sources.factory import Sources, build_sources, http_options_from_settings
from bot.sources.http_policy import RetryPolicy

TIMEOUT_SECONDS = 15.0


# (name, base URL setting, key setting or None, how to fix a refused key, the cheap call)
PROBES: tuple[tuple[str, str, str | None, str, Callable[[Sources], Awaitable[Any]]], ...] = (
    (
        "arXiv API",
        "arxiv_api_url",
        None,
        "",
        lambda s: s.arxiv_api.search("all:electron", max_results=1),
    ),
    ("arXiv listings", "arxiv_rss_url", None, "", lambda s: s.arxiv_rss.fetch_listing(["cs.LG"])),
    (
        "OpenAlex",
        "openalex_api_url",
        "openalex_api_key",
        "check OPENALEX_API_KEY (openalex.org/settings/api)",
        lambda s: s.openalex.search_authors("Einstein", per_page=1),
    ),
    (
        "Semantic Scholar",
        "semantic_scholar_api_url",
        "semantic_scholar_api_key",
        "check SEMANTIC_SCHOLAR_API_KEY, or leave it empty for the shared pool",
        lambda s: s.semantic_scholar.search_authors("Einstein", limit=1),
    ),
    (
        "PubMed",
        "pubmed_api_url",
        "ncbi_api_key",
        "check NCBI_API_KEY (your NCBI account settings), or leave it empty",
        lambda s: s.pubmed.search("electron", max_results=1),
    ),
    (
        "Crossref",
        "crossref_api_url",
        None,
        "",
        lambda s: s.crossref.work("10.1038/nature14539"),
    ),
)


async def source_checks(settings: Settings) -> list[Check]:
    options = replace(
        http_options_from_settings(settings),
        retry=RetryPolicy(max_attempts=1),
        timeout_seconds=min(settings.http_timeout_seconds, TIMEOUT_SECONDS),
    )
    checks = []
    async with aiohttp.ClientSession() as session:
        sources = build_sources(settings, session, options=options)
        for name, url_setting, key_setting, key_fix, probe in PROBES:
            url = getattr(settings, url_setting)
            if not url:
                checks.append(Check.passed(name, f"off ({url_setting.upper()} is empty)"))
                continue
            keyed = key_setting is not None and getattr(settings, key_setting) is not None
            key_note = " with its key" if keyed else ""
            try:
                await probe(sources)
            except AccessDenied as error:
                fix = key_fix if keyed else f"set {key_setting.upper()}" if key_setting else ""
                checks.append(Check.failed(name, f"refused access{key_note}: {error}", fix))
            except BadRequest as error:
                fix = key_fix if keyed else f"check {url_setting.upper()}"
                checks.append(Check.failed(name, f"rejected the request: {error}", fix))
            except SourceError as error:
                checks.append(
                    Check.failed(
                        name,
                        f"not reachable at {url}: {error}",
                        f"check {url_setting.upper()} and this machine's network (a proxy?)",
                    )
                )
            else:
                checks.append(Check.passed(name, f"answered{key_note}"))
    return checks
