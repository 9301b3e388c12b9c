"""The bot: a `commands.Bot` that owns the resources and loads the cogs.

Resources (the runtime: database, HTTP session, sources, services; and the scheduler) are
built once in `setup_hook` (`bot.runtime.open_runtime`) and closed in `close()`; nothing is
global and nothing starts in `on_ready`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.discord_sender import DiscordSender
from bot.runtime import Runtime, Services, open_runtime
from bot.scheduling.jobs import RunningTicks, register_ticks
from bot.services.delivery import DeliveryReport, DeliveryService
from bot.services.digest_planner import PlanReport
from bot.services.heartbeat import Heartbeat
from bot.services.metrics_refresh import JOB_KEY as METRICS_REFRESH_KEY
from bot.services.periodic import PeriodicJob
from bot.services.poll_report import PollSummary
from bot.services.privacy import PURGE_JOB_KEY
from bot.tree import PaperScoutTree
from db.database import Database
from db.repositories.leader import Leader, default_holder_id, make_leader

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "cogs.general",
    "cogs.follows",
    "cogs.authors",
    "cogs.digests",
    "cogs.privacy",
)


class PaperScoutBot(commands.Bot):
    """The PaperScout Discord bot, on one gateway connection (`create_bot` picks the class).

    `run_jobs=False` builds the services and loads the cogs but starts no scheduler, leader or
    dev-guild sync: for one-shot commands such as `paperscout sync`. `freeze_after_setup`
    moves everything built at startup out of the garbage collector's full scans.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        guild_ready_timeout: float = 2.0,
        extensions: tuple[str, ...] = EXTENSIONS,
        run_jobs: bool = True,
        freeze_after_setup: bool = True,
    ) -> None:
        # No privileged intents: slash commands need none, and the guild cache needs `guilds`.
        intents = discord.Intents.none()
        intents.guilds = True
        shards: dict[str, object] = {}
        if isinstance(self, commands.AutoShardedBot):
            shards = {"shard_count": settings.shard_count, "shard_ids": settings.shard_ids}
        super().__init__(  # type: ignore[misc]
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=PaperScoutTree,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            help_command=None,
            **shards,
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.extension_names = extensions
        self.run_jobs = run_jobs
        self.freeze_after_setup = freeze_after_setup
        self.started_at = self.clock.now()
        self.database: Database | None = None
        self.runtime: Runtime | None = None
        self._resources = AsyncExitStack()  # the runtime: closed last, in `close()`
        self.scheduler: AsyncIOScheduler | None = None
        self._services: Services | None = None
        self.failed_extensions: list[str] = []
        self._release_lock = asyncio.Lock()
        self.worker_id = default_holder_id()  # this process, in outbox claims and the lease
        self.leader: Leader | None = None
        self.delivery: DeliveryService | None = None
        self._ticks: RunningTicks | None = None
        self.heartbeat = Heartbeat(settings.heartbeat_file, self.clock)

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are built in setup_hook; the bot has not started")
        return self._services

    async def setup_hook(self) -> None:
        self.runtime = await self._resources.enter_async_context(
            open_runtime(self.settings, clock=self.clock)
        )
        self.database = self.runtime.database
        self._services = self.runtime.services
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        await self._load_extensions()
        if self.run_jobs:
            await self._start_jobs()
        if self.freeze_after_setup:
            # What is loaded by now (libraries, cogs, services) lives as long as the process:
            # out of the collector's sight, a full collection scans only what came later.
            # Unfrozen, a full collection paused the loop for 120 ms under load
            # (benchmarks/bench_interactions.py). Test processes that start many bots opt out.
            gc.collect()
            gc.freeze()

    async def _start_jobs(self) -> None:
        """The ticks (every process delivers; one leader polls, plans and runs the daily
        jobs) and the dev sync."""
        assert self.database is not None and self.scheduler is not None
        # Every process delivers; only the leader plans (and polls) (docs/operations.md#the-leader).
        self.leader = make_leader(self.database, self.worker_id)
        self.delivery = DeliveryService(
            self.database,
            DiscordSender(self),
            self.services.outbox_parts,
            self.clock,
            self.worker_id,
        )
        self._ticks = register_ticks(
            self.scheduler,
            deliver=self.deliver_tick,
            poll=self.poll_tick,
            plan=self.plan_tick,
            # Daily; a run that raises (a source down) stays due and retries on the next tick.
            refresh_metrics=self._daily(METRICS_REFRESH_KEY, self.services.metrics.daily),
            # Daily by its own `next_poll_at`; a failed run is due again an hour later.
            citations=self.services.citations.run_if_due,
            # Daily: the data of servers that removed the bot past SERVER_DATA_GRACE_DAYS.
            purge_server_data=self._daily(PURGE_JOB_KEY, self.services.privacy.purge_departed),
            leader=self.leader,
            ticked=self.heartbeat.beat,
        )
        self.scheduler.start()
        self.heartbeat.beat()  # alive from the start, before the first tick ends
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), self.settings.dev_guild_id)

    def _daily(
        self, key: str, job: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[bool]]:
        """`job` once a day, as remembered in the database under `key` (`PeriodicJob`)."""
        assert self.database is not None
        return PeriodicJob(
            self.database, self.clock, key=key, every=timedelta(days=1), job=job
        ).run_if_due

    async def deliver_tick(self) -> DeliveryReport:
        """Send what the outbox holds that is due (every process)."""
        assert self.delivery is not None
        report = await self.delivery.deliver_due()
        if self.settings.metrics_port is not None:
            await self.delivery.measure_depth()
        return report

    async def poll_tick(self) -> PollSummary:
        """Poll the due feeds, then announce outages and recoveries (the leader only).

        The check runs even when the cycle raised (health may have changed before), and its
        own failure is logged without hiding the cycle's result or error.
        """
        try:
            return await self.services.polling.run_cycle()
        finally:
            task = asyncio.current_task()
            if task is None or not task.cancelling():  # a shutdown: nothing to announce
                try:
                    await self.services.notices.check()
                except Exception:
                    log.exception("outage notice check failed; the next poll tick will retry")

    async def plan_tick(self) -> PlanReport:
        """Plan the digests that are due (the leader only, through `register_ticks`)."""
        return await self.services.digest_planner.plan_due()

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
        if self.scheduler is not None and self._ticks is not None:
            await self._ticks.stop(self.scheduler)  # running ticks end before what they use
        elif self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await super().close()
        async with self._release_lock:
            if self.leader is not None:
                try:
                    await self.leader.release()  # another process may lead at once
                except Exception:
                    log.warning("could not release leadership cleanly", exc_info=True)
                self.leader = None
            await self._resources.aclose()  # the HTTP session, then the database
            self.database = None


class ShardedPaperScoutBot(PaperScoutBot, commands.AutoShardedBot):
    """The bot over several shards in one process (`SHARD_COUNT`, optionally `SHARD_IDS`)."""


def create_bot(settings: Settings, **options: Any) -> PaperScoutBot:
    """The bot for these settings: sharded when `SHARD_COUNT` is set, else one connection."""
    cls = ShardedPaperScoutBot if settings.shard_count is not None else PaperScoutBot
    return cls(settings, **options)
