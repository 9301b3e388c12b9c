"""Two processes against one PostgreSQL: one leader plans, all run delivery, each digest once.

Each process is `tests/e2e/digest_worker.py` (the bot's plan and deliver ticks, REST only)
against the fake Discord started here. Then the leader is killed with SIGKILL: the other
process takes over on its next tick (the advisory lock dies with the session).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import DigestSchedule
from db.repositories.digests import DigestScheduleRepository
from tests.e2e.digest_support import add_authors, add_papers, follow
from tests.harness.fake_discord import FakeDiscord

CHANNELS = 12
TICK_SECONDS = 0.2
START_TIMEOUT = 60.0  # cold interpreters importing discord.py and SQLAlchemy on a busy box
ROOT = Path(__file__).resolve().parents[2]


class Log:
    """Every line the workers printed, with one condition to wait on."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.changed = asyncio.Condition()

    def count(self, word: str, name: str | None = None) -> int:
        """The sum of the numbers on `word` lines (of one worker, or all)."""
        total = 0
        for line in self.lines:
            kind, who, *rest = line.split()
            if kind == word and (name is None or who == name):
                total += int(rest[0])
        return total

    async def wait(self, check: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(check), timeout)


class Worker:
    """A worker process whose stdout lines go into the shared `Log`."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log: Log) -> None:
        self.name = name
        self.process = process
        self.reader = asyncio.create_task(self._read(log))

    async def _read(self, log: Log) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            async with log.changed:
                log.lines.append(raw.decode().strip())
                log.changed.notify_all()


async def start_worker(name: str, url: str, fake: FakeDiscord, log: Log) -> Worker:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.digest_worker",
        name,
        url,
        fake.api_url,
        fake.token,
        str(TICK_SECONDS),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    return Worker(name, process, log)


def leaders(log: Log) -> list[str]:
    """Who became leader, in order."""
    return [line.split()[1] for line in log.lines if line.startswith("LEADER ")]


async def test_one_leader_plans_both_deliver_and_the_other_takes_over(postgres_url) -> None:
    await upgrade_to_head_async(postgres_url)
    database = Database(postgres_url)
    now = datetime.now(UTC)
    workers: list[Worker] = []
    log = Log()
    async with FakeDiscord() as fake:
        channels = [
            int(fake.add_text_channel(fake.guild_id, f"papers-{i}")["id"]) for i in range(CHANNELS)
        ]
        try:
            (ada,) = await add_authors(database, ["Ada Lovelace"], now=now - timedelta(days=2))
            for channel in channels:
                await follow(
                    database,
                    [ada],
                    now=now - timedelta(days=2),
                    channel_id=channel,
                    guild_id=fake.guild_id,
                    user_id=1,
                )
                async with database.transaction() as session:
                    await DigestScheduleRepository(session).upsert(
                        target_kind="channel",
                        target_id=channel,
                        guild_id=fake.guild_id,
                        weekday=0,
                        local_time="09:00",
                        timezone="UTC",
                        next_digest_at=now - timedelta(minutes=1),  # due now
                        now=now - timedelta(days=1),
                    )
            await add_papers(
                database, 2, authors=[(ada, "Ada Lovelace")], now=now - timedelta(minutes=5)
            )

            workers = [await start_worker(n, postgres_url, fake, log) for n in ("a", "b")]
            await log.wait(lambda: bool(leaders(log)), START_TIMEOUT)
            (leader,) = [w for w in workers if w.name == leaders(log)[0]]
            (other,) = [w for w in workers if w is not leader]
            posts = rf"/channels/({'|'.join(map(str, channels))})/messages"
            await fake.wait_for("POST", posts, count=CHANNELS, timeout=30)
            await log.wait(lambda: log.count("SENT") >= CHANNELS, 30)  # all marked sent
            first_round = Counter(
                m["channel_id"] for c in channels for m in fake.channel_messages(c)
            )
            planned_by = {w.name: log.count("PLANNED", w.name) for w in workers}
            leaders_before = leaders(log)

            # The leader dies without a goodbye; the next week's digests fall due.
            leader.process.send_signal(signal.SIGKILL)
            await leader.process.wait()
            killed_at = asyncio.get_running_loop().time()
            await add_papers(
                database, 1, authors=[(ada, "Ada Lovelace")], now=datetime.now(UTC), start=10
            )
            async with database.transaction() as session:
                await session.execute(
                    update(DigestSchedule).values(next_digest_at=datetime.now(UTC))
                )
            await log.wait(lambda: leaders(log)[-1] == other.name, 10)
            took_over_after = asyncio.get_running_loop().time() - killed_at
            await fake.wait_for("POST", posts, count=2 * CHANNELS, timeout=30)
            second_round = Counter(
                m["channel_id"] for c in channels for m in fake.channel_messages(c)
            )
        finally:
            for worker in workers:
                if worker.process.returncode is None:
                    worker.process.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(worker.process.wait(), 15)
                    except TimeoutError:
                        worker.process.kill()
                        await worker.process.wait()
                worker.reader.cancel()
            await database.dispose()

    assert first_round == {str(c): 1 for c in channels}  # every digest once
    assert leaders_before == [leader.name]  # one leader at a time
    assert planned_by == {leader.name: CHANNELS, other.name: 0}  # only the leader planned
    assert took_over_after < 10 * TICK_SECONDS + 2  # within about a tick (on a loaded box)
    assert second_round == {str(c): 2 for c in channels}  # the new leader planned them, once
    assert log.count("PLANNED", other.name) == CHANNELS
    assert leaders(log) == [leader.name, other.name]
