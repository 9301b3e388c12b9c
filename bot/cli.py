"""The `paperscout` terminal front end: run the bot, migrate, poll once, sync commands (and
`author`, `digest`, `citations`, `topic`: `bot/cli_*.py`).

Every subcommand reads the settings first; a missing or malformed one prints one line naming it
and exits with status 2, before anything is started or written. A database that cannot be used
at start-up (`DatabaseUnavailable`, raised by the migration or the readiness check) is a
configuration error too: one line naming DATABASE_URL, status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.discord_endpoints import point_discord_at
from bot.logging_setup import configure_logging
from db.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from bot.services.poll_report import PollSummary

log = logging.getLogger("paperscout")

EXIT_CONFIG = 2
EXIT_BUSY = 1
# `poll --once` beside a running poll waits for it (one poll at a time per database).
POLL_WAIT_SECONDS = 15 * 60


def _prepare(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.secret_values())
    point_discord_at(settings.discord_api_url, settings.discord_gateway_url)


def _migrate(settings: Settings) -> None:
    from db.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)
    log.info("database schema is up to date (%s)", settings.database_backend)


async def _run_bot(settings: Settings) -> None:
    """Run until Discord disconnects for good or SIGTERM/SIGINT arrives, then close everything."""
    from bot.app import create_bot

    bot = create_bot(settings)
    if settings.metrics_port is not None:
        from bot.telemetry import serve

        serve(settings.metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, stop, signum)
    async with bot:
        running = asyncio.create_task(bot.start(settings.token()), name="discord-client")
        stopping = asyncio.create_task(stop.wait(), name="stop-signal")
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            await bot.close()  # awaited here, so asyncio.run never cancels it half-way
        else:
            stopping.cancel()
        await running  # re-raises a login failure or a crash of the client
    log.info("shut down cleanly")


def _request_stop(stop: asyncio.Event, signum: int) -> None:
    log.info("received %s, shutting down", signal.Signals(signum).name)
    stop.set()


async def _sync(settings: Settings, guild_id: int | None) -> int:
    from bot.app import create_bot

    bot = create_bot(settings, run_jobs=False)  # no scheduler or leader for a one-shot sync
    async with bot:
        await bot.login(settings.token())
        if guild_id is None:
            synced = await bot.tree.sync()
            print(f"synced {len(synced)} global commands (Discord may take an hour to show them)")
        else:
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
            print(f"synced {len(synced)} commands to guild {guild_id}")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    settings.token()  # fail before migrating or connecting anything
    if args.no_migrate:
        from db.migrate import confirm_ready

        confirm_ready(settings.database_url)
    else:
        _migrate(settings)
    try:
        asyncio.run(_run_bot(settings))
    except discord.LoginFailure:
        print("DISCORD_TOKEN was rejected by Discord: check the bot token in .env", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    _migrate(settings)
    return 0


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    settings.token()
    return asyncio.run(_sync(settings, args.guild))


async def _poll_once(settings: Settings) -> int:
    """One poll cycle with a progress bar on stderr and the summary on stdout."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from bot.runtime import open_runtime
    from bot.services.poll_report import PollProgress

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    async with open_runtime(settings) as runtime:
        with Progress(
            *columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True
        ) as progress:
            task = progress.add_task("polling arXiv", total=None)

            def on_step(step: PollProgress) -> None:
                progress.update(task, description=step.stage, completed=step.done, total=step.total)

            def on_wait() -> None:
                progress.console.print(
                    "another poll is running on this database (the bot, or another "
                    "`paperscout poll`): waiting for it to end"
                )
                progress.update(task, description="waiting for the running poll")

            summary = await runtime.services.polling.run_cycle(
                on_step, wait_seconds=POLL_WAIT_SECONDS, on_wait=on_wait
            )
    if summary.busy:
        print(
            "paperscout poll: another poll kept running on this database (the bot, or another "
            f"`paperscout poll`) for {POLL_WAIT_SECONDS // 60} minutes; nothing polled",
            file=sys.stderr,
        )
        return EXIT_BUSY
    print_poll_summary(summary)
    return 0


def print_poll_summary(summary: PollSummary) -> None:
    """What one poll did, a line per part (stdout)."""
    per_source = ", ".join(f"{name} {count}" for name, count in sorted(summary.requests.items()))
    print(
        f"poll: {summary.total_requests} requests ({per_source or 'none'}) "
        f"for {summary.followed_authors} followed authors"
    )
    print(
        f"papers: {summary.papers_seen} seen, {summary.papers_new} new, "
        f"{summary.papers_updated} updated"
    )
    print(
        f"matches: {summary.matches} kept, {summary.homonyms_rejected} rejected as homonyms, "
        f"{summary.links_made} new links"
    )
    print(f"alerts: {summary.alerts_enqueued} enqueued")
    if summary.histories_completed or summary.histories_pending:
        print(
            f"earlier papers: fetched for {summary.histories_completed} followed authors, "
            f"{summary.histories_pending} still to fetch"
        )
    for skipped in summary.feeds_skipped:
        print(f"skipped: {skipped}")
    if summary.errors:
        print(f"errors ({len(summary.errors)}):")
        for error in summary.errors:
            print(f"  {error}")
    else:
        print("errors: none")


def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    if not args.once:
        print(
            "paperscout poll: only --once is supported (`paperscout run` polls on a schedule)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    _migrate(settings)
    return asyncio.run(_poll_once(settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperscout", description="PaperScout research digest bot"
    )
    parser.add_argument("--version", action="version", version=f"paperscout {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="apply migrations and run the bot")
    run.add_argument(
        "--no-migrate",
        action="store_true",
        help="skip `db upgrade` (run it as its own deploy step)",
    )
    run.set_defaults(handler=cmd_run)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every migration").set_defaults(handler=cmd_db_upgrade)
    from bot.cli_db import add_db_backup_parsers

    add_db_backup_parsers(db_sub)

    poll = sub.add_parser("poll", help="poll arXiv for new papers of the followed authors")
    poll.add_argument(
        "--once", action="store_true", help="run one poll cycle now, print a summary and exit"
    )
    poll.set_defaults(handler=cmd_poll)

    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument(
        "--guild", type=int, help="sync to this server only (instant) instead of globally"
    )
    sync.set_defaults(handler=cmd_sync)
    from bot.cli_author import add_author_parser
    from bot.cli_citations import add_citations_parser
    from bot.cli_digest import add_digest_parser
    from bot.cli_doctor import add_doctor_parser
    from bot.cli_health import add_health_parser
    from bot.cli_topic import add_topic_parser

    add_author_parser(sub)
    add_digest_parser(sub)
    add_citations_parser(sub)
    add_topic_parser(sub)
    add_health_parser(sub)
    add_doctor_parser(sub)
    return parser


def _configuration_error(message: str) -> int:
    print(f"paperscout: configuration error: {message}", file=sys.stderr)
    return EXIT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        return _configuration_error(str(error))
    _prepare(settings)
    try:
        return int(args.handler(settings, args))
    except ConfigError as error:
        return _configuration_error(str(error))
    except DatabaseUnavailable as error:
        return _configuration_error(f"DATABASE_URL: {error}")


if __name__ == "__main__":
    sys.exit(main())
