"""`paperscout author NAME [--json]`: the same profile as `/author profile`, in a terminal.

It runs the same `ProfileService` (same database, same sources, same rules): an author the bot
has never seen is fetched and stored exactly as the slash command would. `--json` prints one
object (its fields: docs/product.md#json-contract-of-paperscout-author): a value not known is
`null`. Exit status: 0 printed, 1 the author could not be shown, or was shown with an
incomplete paper list (`papers_complete` false: arXiv did not answer; the reason on stderr),
2 configuration error (handled by `bot.cli`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import Any

from bot.arxiv_categories import category_label
from bot.config import Settings
from bot.errors import UserFacingError
from bot.services.profile_types import Profile

log = logging.getLogger(__name__)

EXIT_NOT_SHOWN = 1
INCOMPLETE = "the author's arXiv papers could not be fetched yet; the list may be incomplete."


def add_author_parser(sub: Any) -> None:
    """Register `author` on the `paperscout` subparsers."""
    author = sub.add_parser("author", help="show an author's profile (metrics and papers)")
    author.add_argument("name", help="the author's name, OpenAlex id (A...) or ORCID")
    author.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    author.set_defaults(handler=cmd_author)


def profile_json(profile: Profile) -> dict[str, Any]:
    """The fields of docs/product.md#json-contract-of-paperscout-author; unknowns are None."""
    metrics = profile.metrics
    return {
        "name": profile.name,
        "ids": {
            "openalex": profile.openalex_id,
            "orcid": profile.orcid,
            "semantic_scholar": profile.s2_id,
        },
        "primary_field": profile.primary_field,
        "primary_field_source": profile.field_source,
        "affiliations": list(profile.affiliations),
        "h_index": metrics.h_index,
        "citations": metrics.citations,
        "works_count": metrics.works_count,
        "papers_tracked": profile.papers_tracked,
        "novelty_pct": profile.novelty.value,
        "ai_score": profile.ai_score.value,
        "metrics_source": metrics.source,
        "metrics_as_of": metrics.as_of.isoformat() if metrics.as_of else None,
        "papers_complete": profile.papers_complete,
        "notices": list(profile.notices),
        "papers": [
            {
                "arxiv_id": card.arxiv_id,
                "title": card.title,
                "published": card.published.isoformat(),
                "primary_category": card.primary_category,
                "authors": [a.name for a in card.authors],
                "affiliations": list(
                    dict.fromkeys(x for a in card.authors for x in a.affiliations)
                ),
                "abstract": card.abstract,
                "doi": card.doi,
                "pmid": card.pmid,
                "openalex_id": card.openalex_id,
                "venue": card.venue,
                "url": card.url,
            }
            for card in profile.papers
        ],
    }


def print_profile(profile: Profile) -> None:
    """A rich table of the profile and one of its papers (newest first)."""
    from rich.console import Console
    from rich.table import Table

    from bot.render.profile import day, footer_text, metrics_line

    console = Console()
    summary = Table(title=profile.name, show_header=False, title_justify="left")
    summary.add_column("what", style="bold")
    summary.add_column("value")
    ids = ", ".join(f"{k} {v}" for k, v in profile.ids.items()) or "none known"
    summary.add_row("ids", ids)
    summary.add_row("primary field", profile.field_label or "n/a (no tracked papers)")
    summary.add_row("affiliations", "; ".join(profile.affiliations[:3]) or "unknown")
    summary.add_row("metrics", metrics_line(profile))
    for notice in profile.notices:
        summary.add_row("notice", notice)
    summary.add_row("sources", footer_text(profile))
    console.print(summary)
    papers = Table(title=f"{profile.papers_tracked} papers tracked", title_justify="left")
    for column in ("published", "field", "id", "title", "authors"):
        papers.add_column(column)
    for card in profile.papers:
        names = [a.name for a in card.authors]
        shown = ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
        papers.add_row(
            day(card.published),
            category_label(card.primary_category) if card.primary_category else card.venue or "",
            card.label,
            card.title,
            shown,
        )
    console.print(papers)


async def _load_profile(settings: Settings, name: str) -> Profile:
    from bot.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        return await runtime.services.profile.profile(name, paper_limit=None)


def cmd_author(settings: Settings, args: argparse.Namespace) -> int:
    """`paperscout author NAME [--json]`."""
    from db.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)  # creates a SQLite file's folder
    try:
        profile = asyncio.run(_load_profile(settings, args.name))
    except UserFacingError as error:
        print(f"paperscout author: {error.user_message}", file=sys.stderr)
        return EXIT_NOT_SHOWN
    if args.json:
        print(json.dumps(profile_json(profile), ensure_ascii=False, indent=2))
    else:
        print_profile(profile)
    if not profile.papers_complete:
        # Shown, but not whole: a script must not take the paper list for the full one.
        print(f"paperscout author: {' '.join(profile.notices) or INCOMPLETE}", file=sys.stderr)
        return EXIT_NOT_SHOWN
    return 0
