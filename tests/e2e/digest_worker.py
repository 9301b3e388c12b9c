"""Test-only entry point: one "bot process" running the plan and deliver ticks, REST only.

    python -m tests.e2e.digest_worker NAME DATABASE_URL DISCORD_API_URL TOKEN TICK_SECONDS

It logs in to the (fake) Discord REST API without a gateway, then ticks like the bot's
scheduler does: the plan tick only while it holds the leader lock (`make_leader`), the deliver
tick always. It prints one line per event for the test to follow:
`LEADER name`, `FOLLOWER name` (on each change), `PLANNED name n`, `SENT name n`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import discord

from bot.clock import SystemClock
from bot.discord_endpoints import point_discord_at
from bot.discord_sender import DiscordSender
from bot.services.delivery import DeliveryService
from bot.services.outbox_parts import OutboxParts
from db.database import Database
from db.repositories.leader import make_leader
from tests.harness.services import planner


def say(*words: object) -> None:
    print(*words, flush=True)


async def run(name: str, database_url: str, api_url: str, token: str, tick: float) -> None:
    point_discord_at(api_url, None)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    client = discord.Client(intents=discord.Intents.none())
    await client.login(token)
    database = Database(database_url, pool_size=2, max_overflow=2)
    leader = make_leader(database, f"worker-{name}")
    clock = SystemClock()
    planning = planner(database, clock)
    delivery = DeliveryService(
        database, DiscordSender(client), OutboxParts(database), clock, f"worker-{name}"
    )
    leading = False
    try:
        while not stop.is_set():
            now_leading = await leader.is_leader()
            if now_leading != leading:
                leading = now_leading
                say("LEADER" if leading else "FOLLOWER", name)
            if leading:
                report = await planning.plan_due()
                if report.planned:
                    say("PLANNED", name, report.planned)
            sent = (await delivery.deliver_due()).sent
            if sent:
                say("SENT", name, sent)
            try:
                await asyncio.wait_for(stop.wait(), tick)
            except TimeoutError:
                pass
    finally:
        await leader.release()
        await client.close()
        await database.dispose()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    name, database_url, api_url, token, tick = sys.argv[1:6]
    asyncio.run(run(name, database_url, api_url, token, float(tick)))


if __name__ == "__main__":
    main()
