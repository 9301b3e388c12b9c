"""Which servers a process judges at start (`cogs/privacy.py: Privacy._runs_here`): with shards
split across processes, only those of its own shards (Discord's formula: (id >> 22) % count);
a server of another process's shard is never taken for one that removed the bot."""

from __future__ import annotations

from types import SimpleNamespace

from cogs.privacy import Privacy


def runs_here(shard_count: int | None, shard_ids: list[int] | None, guild_id: int) -> bool:
    bot = SimpleNamespace(shard_count=shard_count, shard_ids=shard_ids)
    return Privacy(bot)._runs_here(guild_id)  # type: ignore[arg-type]


def test_one_connection_judges_every_server() -> None:
    assert runs_here(None, None, 123 << 22)
    assert runs_here(1, [0], 123 << 22)


def test_a_process_judges_only_its_shards() -> None:
    on_shard_2 = (4 * 1000 + 2) << 22
    assert runs_here(4, [2, 3], on_shard_2)
    assert not runs_here(4, [0, 1], on_shard_2)
    assert runs_here(4, None, on_shard_2)  # an AutoShardedBot running every shard
