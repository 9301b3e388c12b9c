"""Upstream sources: arXiv API, arXiv listing feeds, OpenAlex, Semantic Scholar, PubMed, Crossref.

HTTP + parsing only: no database, no Discord. Every source takes an injected
`aiohttp.ClientSession`, a base URL and a `RateLimiter`, returns the plain dataclasses of
`bot.sources.models`, raises the typed errors of `bot.sources.errors`, and reports each call's
outcome to a `HealthRecorder` (`bot.sources.health`). `build_sources` wires them from settings.
"""
