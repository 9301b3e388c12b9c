"""SHARD_COUNT / SHARD_IDS: the bot runs an AutoShardedBot over its shards and answers there."""

from __future__ import annotations

import pytest
from discord.ext import commands

from tests.harness.payloads import GUILD_ID


@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)
async def test_a_process_with_one_of_two_shards_identifies_it_and_answers(
    harness_factory,
) -> None:
    shard = (GUILD_ID >> 22) % 2  # Discord's routing rule: the shard that owns the guild
    async with harness_factory(settings={"shard_count": 2, "shard_ids": [shard]}) as h:
        assert isinstance(h.bot, commands.AutoShardedBot)
        ex = await h.slash("digest preview")
        identifies = list(h.fake.identify_payloads)
    assert [i["shard"] for i in identifies] == [[shard, 2]]  # one connection, this shard only
    assert "No digest is set up for that channel" in ex.user_messages[-1]["content"]
