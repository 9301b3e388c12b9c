"""The compact digest through the fake Discord: a week of 60 papers in three messages within
Discord's limits, grouped by followed author, each paper's card one pick away, also after a
restart; the delivery marker out of sight. Real bot, fake Discord, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.discord_sender import DiscordSender
from tests.e2e.digest_support import add_papers, tick
from tests.e2e.test_digest_delivery import T0, channel_digest, embed_chars, footers, seed_followed
from tests.harness.clock import ManualClock
from tests.harness.payloads import TEXT_CHANNEL_ID

SUNDAY_9_ZURICH = datetime(2026, 10, 11, 7, 0, tzinfo=T0.tzinfo)
LONG_TITLE = "A long title about transformers " * 6  # cut to 100 characters in a line
HEADING = re.compile(r"^__\*\*(.+?)\*\*__( \(continued\))?$", re.M)


def menu_of(message: dict[str, Any]) -> dict[str, Any]:
    (row,) = message["components"]
    (menu,) = row["components"]
    return menu


async def test_sixty_papers_in_three_grouped_messages_each_card_one_pick_away(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        ada, grace, emilie = await seed_followed(
            h, ("Ada Lovelace", "Grace Hopper", "Émilie du Châtelet")
        )
        await channel_digest(h, style="compact")
        for start, (author, count) in enumerate(
            [
                ((grace, "Grace Hopper"), 30),
                ((ada, "Ada Lovelace"), 20),
                ((emilie, "Émilie du Châtelet"), 10),
            ]
        ):
            await add_papers(
                h.bot.database,
                count,
                authors=[author],
                now=T0,
                start=100 * start,
                title=LONG_TITLE,
                abstract_words=200,
            )
        clock.set(SUNDAY_9_ZURICH)
        assert await tick(h.bot.database, clock, DiscordSender(h.bot)) == 1
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        posts = h.fake.find("POST", rf"/channels/{TEXT_CHANNEL_ID}/messages")

        first_option = menu_of(messages[0])["options"][0]
        picked = await h.component(
            menu_of(messages[0])["custom_id"], message=messages[0], values=[first_option["value"]]
        )

    assert len(messages) == len(posts) == 3 and all(p.status == 200 for p in posts)
    assert messages[0]["content"] == "60 new papers from 3 followed authors, 10-11 Oct"
    for message in messages:
        assert len(message["embeds"]) <= 10 and embed_chars(message) <= 6000
        assert all(len(e["description"]) <= 4096 for e in message["embeds"])
        assert len(menu_of(message)["options"]) <= 25
        shown = str(message["content"]) + str(message["embeds"])
        assert "ref " not in shown  # the delivery marker is in the menu's id, out of sight
        assert re.fullmatch(r"digest:card:ref \d+\.\d", menu_of(message)["custom_id"])
    ids = footers(messages)
    assert sorted(ids) == sorted(
        [f"2611.{i:05d}" for i in range(30)]
        + [f"2611.{i:05d}" for i in range(100, 120)]
        + [f"2611.{i:05d}" for i in range(200, 210)]
    )  # each once
    headings = [
        name for m in messages for e in m["embeds"] for name, _ in HEADING.findall(e["description"])
    ]
    # The author with most papers first; a group cut by a message is headed again in the next.
    assert list(dict.fromkeys(headings)) == ["Grace Hopper", "Ada Lovelace", "Émilie du Châtelet"]
    assert all(m["embeds"][0]["description"].startswith("__**") for m in messages)
    assert (
        "**Grace Hopper**, Co Author · cs.LG · Machine Learning ·"
        in messages[0]["embeds"][0]["description"]
    )

    (card_reply,) = picked.user_messages
    assert card_reply["flags"] & 64  # to the picker alone
    (card,) = card_reply["embeds"]
    assert card["url"] == f"https://arxiv.org/abs/{ids[0]}"
    assert card["footer"]["text"] == f"arXiv:{ids[0]}v1"  # followed here: no "not followed"
    assert any(f["name"] == "Authors" for f in card["fields"])


async def test_the_card_menu_still_works_after_a_restart(harness_factory, sqlite_url) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=sqlite_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h, style="compact")
        await add_papers(h.bot.database, 3, authors=[(ada, "Ada Lovelace")], now=T0)
        clock.set(SUNDAY_9_ZURICH)
        await tick(h.bot.database, clock, DiscordSender(h.bot))
        (message,) = h.fake.channel_messages(TEXT_CHANNEL_ID)

    async with harness_factory(database_url=sqlite_url, clock=clock, migrate=False) as restarted:
        menu = menu_of(message)
        picked = await restarted.component(
            menu["custom_id"], message=message, values=[menu["options"][2]["value"]]
        )

    (reply,) = picked.user_messages
    (card,) = reply["embeds"]
    assert card["url"] == "https://arxiv.org/abs/2611.00002"
