"""`paperscout doctor`: check the whole setup before asking for help, a line per check (ok, or
the problem and how to fix it); exit 0 when all is well, 1 otherwise. Nothing is written:
Discord is asked over REST only (no gateway, no command sync), each source once.

The checks: the settings; the database reachable and at this release's latest migration; the
token (who the bot is); the privileged intents off; the slash commands synced (the dev server's
with DEV_GUILD_ID, else the global ones); the bot's permissions in every channel PaperScout
posts to (channel digests and channel follows); each configured source reachable, its key
accepted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable
from typing import Any

import discord

from bot.checks import Check, report
from bot.config import DEFAULT_CONTACT_EMAIL, Settings
from bot.doctor_discord import PORTAL, channel_check, commands_check, intents_check
from bot.doctor_sources import source_checks
from db.urls import redacted, sqlite_file

log = logging.getLogger(__name__)
Destinations = dict[tuple[int | None, int], list[str]]


def settings_checks(settings: Settings) -> list[Check]:
    checks = [Check.passed("settings", "read from the environment and .env")]
    if settings.discord_token is None:
        checks.append(
            Check.failed(
                "DISCORD_TOKEN",
                "not set",
                f"copy the bot's token from {PORTAL} -> your app -> Bot into .env",
            )
        )
    if settings.contact_email == DEFAULT_CONTACT_EMAIL:
        checks.append(
            Check.failed(
                "CONTACT_EMAIL",
                "still the placeholder",
                "set a real, read address: arXiv and the other sources ask who to contact",
            )
        )
    return checks


async def database_checks(settings: Settings) -> tuple[list[Check], Destinations | None]:
    """The database's checks, and the channels PaperScout posts to (None: unreadable)."""
    from db.database import Database
    from db.migrate import current_revision_async, head_revision
    from db.repositories.destinations import channel_destinations

    where = redacted(settings.database_url)
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        return [
            Check.failed(
                "database",
                f"no database at {path} yet",
                "`paperscout run` creates and migrates it (or `paperscout db upgrade`)",
            )
        ], None
    database = Database(settings.database_url, pool_size=1, max_overflow=0)
    try:
        if not await database.ping():
            return [
                Check.failed(
                    "database",
                    f"{where} does not answer",
                    "check that it is running and DATABASE_URL (host, port, name, password)",
                )
            ], None
        current, head = await current_revision_async(settings.database_url), head_revision()
        if current != head:
            fix = "run `paperscout db upgrade` (`paperscout run` migrates at start)"
            if current is not None and current > head:
                fix = "this database belongs to a newer PaperScout release: run that release"
            found = f"at migration {current or 'none'}, this release's latest is {head}"
            return [Check.failed("database", f"{where} answers, {found}", fix)], None
        async with database.reader() as session:
            destinations = await channel_destinations(session)
    finally:
        await database.dispose()
    return [Check.passed("database", f"{where} answers, at the latest migration ({head})")], (
        destinations
    )


async def discord_checks(settings: Settings, destinations: Destinations | None) -> list[Check]:
    from bot.app import create_bot

    bot = create_bot(settings, run_jobs=False)  # the services and cogs, no scheduler or sync
    checks: list[Check] = []
    async with bot:
        try:
            await bot.login(settings.token())
        except discord.LoginFailure:
            return [
                Check.failed(
                    "token",
                    "Discord refused DISCORD_TOKEN",
                    f"reset the token in {PORTAL} -> your app -> Bot and put it in .env",
                )
            ]
        except (discord.HTTPException, OSError) as error:
            return [Check.failed("Discord", f"not reachable: {error}", "check the network")]
        assert bot.user is not None
        checks.append(Check.passed("token", f"valid: the bot is {bot.user} ({bot.user.id})"))
        application = await bot.application_info()
        checks.append(intents_check(application.flags))
        local = [command.to_dict(bot.tree) for command in bot.tree.get_commands()]
        if settings.dev_guild_id:
            remote = await bot.http.get_guild_commands(application.id, settings.dev_guild_id)
            where = f"server {settings.dev_guild_id}"
        else:
            remote = await bot.http.get_global_commands(application.id)
            where = "global"
        checks.append(commands_check(local, remote, where))  # type: ignore[arg-type]
        if destinations is None:
            checks.append(Check.failed("channels", "not checked", "fix the database first"))
            return checks
        if not destinations:
            checks.append(Check.passed("channels", "no channel digest or channel follow yet"))
        for (guild_id, channel_id), uses in sorted(destinations.items(), key=lambda d: d[0][1]):
            checks.append(await channel_check(bot.http, bot.user.id, guild_id, channel_id, uses))
    return checks


async def _doctor(settings: Settings) -> list[Check]:
    checks = settings_checks(settings)
    try:
        found, destinations = await database_checks(settings)
    except Exception as error:  # a problem line, never a traceback
        found, destinations = [_unexpected("database", error)], None
    checks += found
    if settings.discord_token is not None:
        checks += await _guarded("Discord", discord_checks(settings, destinations))
    checks += await _guarded("sources", source_checks(settings))
    return checks


async def _guarded(part: str, checks: Awaitable[list[Check]]) -> list[Check]:
    try:
        return await checks
    except Exception as error:
        return [_unexpected(part, error)]


def _unexpected(part: str, error: Exception) -> Check:
    log.debug("doctor: checking %s failed", part, exc_info=True)
    return Check.failed(part, f"could not be checked: {error!r}", "run with LOG_LEVEL=DEBUG")


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    return report(asyncio.run(_doctor(settings)), sys.stdout)


def add_doctor_parser(sub: Any) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check the settings, database, Discord token, intents, commands, channel "
        "permissions and sources (exit 1 on any problem)",
    )
    doctor.set_defaults(handler=cmd_doctor)
