"""Leader-only ticks and the choice of bot class from SHARD_COUNT / SHARD_IDS."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.app import PaperScoutBot, ShardedPaperScoutBot, create_bot
from bot.config import Settings
from bot.scheduling.jobs import register_ticks


class FakeLeader:
    holder_id = "me"

    def __init__(self) -> None:
        self.leading = False
        self.asked = 0

    async def is_leader(self) -> bool:
        self.asked += 1
        return self.leading

    async def release(self) -> None:
        self.leading = False


async def test_plan_and_poll_run_only_in_the_leader_deliver_everywhere() -> None:
    calls: list[str] = []

    def record(name: str):  # type: ignore[no-untyped-def]
        async def tick() -> None:
            calls.append(name)

        return tick

    leader = FakeLeader()
    scheduler = AsyncIOScheduler(timezone="UTC")
    register_ticks(
        scheduler,
        deliver=record("deliver"),
        poll=record("poll"),
        plan=record("plan"),
        leader=leader,  # type: ignore[arg-type]
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"deliver", "poll", "plan"}
    for name in ("deliver", "poll", "plan"):
        await jobs[name].func()
    assert calls == ["deliver"] and leader.asked == 2
    leader.leading = True
    for name in ("deliver", "poll", "plan"):
        await jobs[name].func()
    assert calls == ["deliver", "deliver", "poll", "plan"]


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, discord_token="x", **values)  # type: ignore[call-arg]


def test_one_connection_unless_shards_are_configured() -> None:
    plain = create_bot(settings())
    assert type(plain) is PaperScoutBot and not isinstance(plain, commands.AutoShardedBot)
    assert plain.shard_count is None

    sharded = create_bot(settings(shard_count=4, shard_ids="2-3"))
    assert isinstance(sharded, ShardedPaperScoutBot)
    assert isinstance(sharded, commands.AutoShardedBot)
    assert (sharded.shard_count, sharded.shard_ids) == (4, [2, 3])

    every_shard = create_bot(settings(shard_count=2))
    assert isinstance(every_shard, commands.AutoShardedBot) and every_shard.shard_ids is None
