"""`paperscout citations --once`: the daily citations job now, with a progress bar and a
summary, as `paperscout poll --once` runs a poll."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.services.citation_watch import CitationReport

EXIT_USAGE = 2
EXIT_FAILED = 1
WAIT_SECONDS = 15 * 60  # beside the bot's own run: wait for it, as `poll --once` does


async def _run_once(settings: Settings) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.runtime import open_runtime

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    async with open_runtime(settings) as runtime:
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("asking OpenAlex for citing works", total=None)

            def on_step(stage: str, done: int, total: int) -> None:
                progress.update(task, description=stage, completed=done, total=total)

            def on_wait() -> None:
                progress.console.print(
                    "the citations job is running on this database (the bot, or another "
                    "`paperscout citations`): waiting for it to end"
                )

            report = await runtime.services.citations.run(
                on_step, wait_seconds=WAIT_SECONDS, on_wait=on_wait
            )
    if report.busy:
        print(
            "paperscout citations: another run kept going on this database for "
            f"{WAIT_SECONDS // 60} minutes; nothing asked",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print_citation_report(report, settings.citation_papers_per_author)
    return 0 if report.succeeded else EXIT_FAILED


def print_citation_report(report: CitationReport, per_author: int) -> None:
    """What one run did, a line per part (stdout)."""
    print(
        f"citations: {report.requests} OpenAlex requests for {report.authors} watched authors "
        f"({report.papers_watched} papers, since {report.since})"
    )
    if report.capped_authors:
        print(
            f"capped: {report.capped_authors} authors have more than {per_author} tracked "
            f"papers; their {per_author} most cited are watched"
        )
    if report.resolved:
        print(f"resolved: {report.resolved} arXiv papers given their OpenAlex id")
    print(
        f"citing works: {report.works} found, {report.new_works} new, "
        f"{report.self_citations} self-citations"
    )
    print(f"alerts: {report.alerts} enqueued")
    if report.errors:
        print(f"errors ({len(report.errors)}):")
        for error in report.errors:
            print(f"  {error}")
    else:
        print("errors: none")


def cmd_citations(settings: Settings, args: argparse.Namespace) -> int:
    from db.migrate import upgrade_to_head

    if not args.once:
        print(
            "paperscout citations: only --once is supported (`paperscout run` runs it daily)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    upgrade_to_head(settings.database_url)
    return asyncio.run(_run_once(settings))


def add_citations_parser(sub: Any) -> None:
    citations = sub.add_parser(
        "citations", help="find new works citing the papers of authors whose citations are followed"
    )
    citations.add_argument(
        "--once", action="store_true", help="run the daily citations job now and print a summary"
    )
    citations.set_defaults(handler=cmd_citations)
