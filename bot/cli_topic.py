"""`paperscout topic preview QUERY [--days N] [--json]`: what a topic query would have matched
among the stored papers, with the parser and matcher `/follow topic` uses."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.services.topic_types import TopicPreview
    from bot.topics import TopicQuery

EXIT_BAD_QUERY = 1
MAX_DAYS = 3650


async def _preview(settings: Settings, query: TopicQuery, days: int) -> TopicPreview:
    from bot.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        return await runtime.services.topics.preview(query, days=days)


def preview_json(preview: TopicPreview) -> dict[str, Any]:
    return {
        "query": preview.query,
        "canonical": preview.canonical,
        "categories": list(preview.categories),
        "days": preview.days,
        "count": preview.count,
        "papers": [{"title": title, "matched": list(terms)} for title, terms in preview.matched],
    }


def preview_text(preview: TopicPreview) -> str:
    papers = "paper" if preview.count == 1 else "papers"
    lines = [
        f"topic: {preview.query}",
        f"read as: {preview.canonical}",
        f"listings read for it: {', '.join(preview.categories) or 'none of its own'}",
        f"matched {preview.count} stored {papers} published in the last {preview.days} days",
    ]
    lines += [f"- {title}  [{', '.join(terms)}]" for title, terms in preview.matched]
    return "\n".join(lines)


def cmd_topic_preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import BadInput
    from bot.services.topic_follows import check_query
    from db.migrate import upgrade_to_head

    try:
        query = check_query(args.query)  # a bad query is answered before the database is touched
    except BadInput as error:
        print(f"paperscout topic: {error.user_message}", file=sys.stderr)
        return EXIT_BAD_QUERY
    if not 1 <= args.days <= MAX_DAYS:
        print(f"paperscout topic: --days must be 1 to {MAX_DAYS}", file=sys.stderr)
        return EXIT_BAD_QUERY
    upgrade_to_head(settings.database_url)
    preview = asyncio.run(_preview(settings, query, args.days))
    print(json.dumps(preview_json(preview), indent=2) if args.json else preview_text(preview))
    return 0


def add_topic_parser(sub: Any) -> None:
    topic = sub.add_parser("topic", help="topic queries")
    topic_sub = topic.add_subparsers(dest="topic_command", required=True)
    preview = topic_sub.add_parser(
        "preview", help="what a topic query would have matched among the stored papers"
    )
    preview.add_argument("query", help="e.g. '\"vision transformer\" OR cat:cs.CV AND NOT survey'")
    preview.add_argument("--days", type=int, default=7, help="how far back (default 7)")
    preview.add_argument("--json", action="store_true", help="print one JSON object")
    preview.set_defaults(handler=cmd_topic_preview)
