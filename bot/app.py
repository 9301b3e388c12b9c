"""The bot: a `commands.Bot` that owns the resources and loads the cogs.

Resources (database, HTTP session, scheduler, services) are built once in `setup_hook` and
closed in `close()`; nothing is global and nothing starts in `on_ready`.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.tree import PaperScoutTree
from bot.wiring import Services, build_services
from db.database import Database

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("cogs.general",)


class PaperScoutBot(commands.Bot):
    """The PaperScout Discord bot."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        guild_ready_timeout: float = 2.0,
        extensions: tuple[str, ...] = EXTENSIONS,
    ) -> None:
        # No privileged intents: slash commands need none, and the guild cache needs `guilds`.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=PaperScoutTree,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            help_command=None,
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.extension_names = extensions
        self.started_at = self.clock.now()
        self.database: Database | None = None
        self.http_session: aiohttp.ClientSession | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._services: Services | None = None
        self.failed_extensions: list[str] = []
        self._release_lock = asyncio.Lock()

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are built in setup_hook; the bot has not started")
        return self._services

    async def setup_hook(self) -> None:
        self.database = Database(self.settings.database_url)
        self.http_session = aiohttp.ClientSession(
            # Every source sets its own User-Agent naming the operator (bot/sources/http.py).
            timeout=aiohttp.ClientTimeout(total=self.settings.http_timeout_seconds),
        )
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._services = build_services(
            settings=self.settings,
            database=self.database,
            http_session=self.http_session,
            clock=self.clock,
            started_at=self.started_at,
        )
        await self._load_extensions()
        self.scheduler.start()
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), self.settings.dev_guild_id)

    async def _load_extensions(self) -> None:
        """Load every cog; one that fails is logged and the others still load."""
        for name in self.extension_names:
            try:
                await self.load_extension(name)
            except Exception:
                self.failed_extensions.append(name)
                log.exception("extension %s failed to load; continuing without it", name)

    async def on_ready(self) -> None:
        user_id = getattr(self.user, "id", "?")
        log.info("logged in as %s (%s) in %d guilds", self.user, user_id, len(self.guilds))

    async def close(self) -> None:
        """Stop the scheduler and Discord first (no new work), then the HTTP session and database.

        Safe to call twice at once (a SIGTERM handler and `async with bot` both do): the second
        call waits for the first to finish releasing, so nothing is left half-closed.
        """
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await super().close()
        async with self._release_lock:
            if self.http_session is not None and not self.http_session.closed:
                await self.http_session.close()
            if self.database is not None:
                await self.database.dispose()
                self.database = None
