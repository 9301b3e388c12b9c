"""/follow topic, /unfollow topic and the topic lines of /following through the real bot
(fake Discord in front; the papers a preview reads are stored in the bot's own database).

The clock stands at Monday 2 Dec 2024, 09:00 UTC; alice (`h.fake.member`) runs the commands,
olivia (`h.fake.owner`) is the other member.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import func, select

from bot.services.author_fetch import paper_record
from bot.sources.models import Paper, PaperAuthor
from db.models import TopicFollow
from db.repositories.papers import PaperRepository
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

START = datetime(2024, 12, 2, 9, 0, tzinfo=UTC)
EPHEMERAL = 64
MANAGE = discord.Permissions(manage_guild=True)
QUERY = '"graph neural" OR cat:cs.LG AND NOT survey'
NEEDS_MANAGE = (
    "Following for this channel needs the Manage Server permission. Use `scope:me` to follow "
    "for yourself."
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START, monotonic_tick=1.0)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """Nothing routed: no topic command may ask an upstream service anything."""
    async with FakeUpstream() as server:
        yield server


@pytest.fixture
async def h(
    harness_factory: HarnessFactory, upstream: FakeUpstream, clock: ManualClock
) -> AsyncIterator[BotHarness]:
    settings = {
        "openalex_api_url": upstream.openalex_url,
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_rss_url": upstream.arxiv_rss_url,
        "semantic_scholar_api_url": "",
        "arxiv_min_interval_seconds": 0,
    }
    async with harness_factory(settings=settings, clock=clock) as harness:
        yield harness


def paper(
    arxiv_id: str, title: str, *, age: timedelta, categories: tuple[str, ...] = ("cs.CV",)
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        abstract="",
        authors=(PaperAuthor("Ada Lovelace"),),
        primary_category=categories[0],
        categories=categories,
        published=START - age,
        updated=None,
    )


async def store(h: BotHarness, papers: list[Paper]) -> None:
    records = [paper_record(p) for p in papers]
    assert h.bot.database is not None
    async with h.bot.database.transaction() as session:
        await PaperRepository(session).upsert_many([r for r in records if r is not None], now=START)


async def topic_follows(h: BotHarness) -> list[TopicFollow]:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return list((await session.scalars(select(TopicFollow).order_by(TopicFollow.id))).all())


async def count_follows(h: BotHarness) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(TopicFollow)) or 0)


def refusal(ex: Any) -> str:
    """An immediate private answer (callback type 4, ephemeral)."""
    assert ex.callback_type == 4
    data = ex.callback.json["data"]
    assert data["flags"] & EPHEMERAL
    return str(data["content"])


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message["components"] for c in row["components"]]


async def preview_of(h: BotHarness, query: str, **options: Any) -> dict[str, Any]:
    ex = await h.slash("follow topic", query=query, **options)
    assert ex.callback_type == 5 and ex.callback.json["data"]["flags"] == EPHEMERAL
    message = ex.original_message
    assert message["flags"] & EPHEMERAL
    return message


async def test_a_bad_query_is_answered_privately_with_the_position_and_stores_nothing(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    ex = await h.slash("follow topic", query="(vision OR cat:cs.XX")
    assert refusal(ex) == (
        "That topic query cannot be used. At character 12: “cs.XX” is not an arXiv category "
        "or archive (like cs.CV or cs)."
    )
    ex = await h.slash("follow topic", query='vision "transformer', scope="channel")
    assert refusal(ex).startswith("That topic query cannot be used. At character 8: ")
    assert await count_follows(h) == 0
    assert upstream.requests == []


async def test_the_preview_shows_the_count_and_titles_and_save_stores_the_follow(
    h: BotHarness,
) -> None:
    await store(
        h,
        [
            paper("2412.00001", "Graph neural fields", age=timedelta(days=1)),
            paper("2412.00002", "Sparse optimisers", age=timedelta(hours=2), categories=("cs.LG",)),
            paper("2412.00003", "Gradient flows", age=timedelta(days=3), categories=("cs.LG",)),
            paper("2412.00004", "Graph neural atlases", age=timedelta(days=5)),
            paper(
                "2412.00005",
                "A survey of optimisers",
                age=timedelta(hours=1),
                categories=("cs.LG",),
            ),
            paper("2412.00006", "Image segmentation", age=timedelta(hours=1)),
            paper("2411.00007", "Graph neural history", age=timedelta(days=9)),
        ],
    )
    preview = await preview_of(h, QUERY)
    lines = preview["content"].splitlines()
    assert lines[0] == f'Topic “{QUERY}”, read as `"graph neural" OR (cat:cs.LG AND NOT survey)`.'
    assert lines[1].startswith("Its categories' daily listings are read for it: cs.LG")
    assert lines[2] == "In the last 7 days it would have matched **4** stored papers:"
    assert lines[3:6] == [
        "- Sparse optimisers",
        "- Graph neural fields",
        "- Gradient flows",
    ]
    assert lines[6] == "Press **Save** to follow it for you; nothing is stored until you do."
    assert "⚠️" not in preview["content"]
    (save,) = buttons(preview)
    assert (save["custom_id"], save["label"]) == ("topics:save", "Save")
    assert await count_follows(h) == 0  # nothing until Save

    pressed = await h.component("topics:save", message=preview)
    assert pressed.callback_type == 6  # the preview itself is replaced
    shown = h.fake.messages[preview["id"]]
    assert shown["content"] == (
        f"You now follow the topic “{QUERY}”: new papers matching it go into a weekly digest "
        "that is not set up yet (`/digest me`, or a moderator's `/digest setup`). Papers "
        "announced before now are not sent."
    )
    assert shown["components"] == []
    (follow,) = await topic_follows(h)
    assert (follow.scope, follow.target_id, follow.query, follow.notify) == (
        "user",
        int(h.fake.member["id"]),
        QUERY,
        "weekly",
    )
    assert follow.created_at == START


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_another_member_pressing_save_is_refused_privately(h: BotHarness) -> None:
    preview = await preview_of(h, "diffusion", notify="instant")
    assert "would have matched **0** stored papers." in preview["content"]

    intruder = await h.component("topics:save", message=preview, invoker=h.fake.owner)
    assert refusal(intruder) == (
        "Only the person who ran `/follow topic` can use this. Run it yourself to get your own."
    )
    assert await count_follows(h) == 0
    assert buttons(h.fake.messages[preview["id"]])[0]["custom_id"] == "topics:save"  # still there

    await h.component("topics:save", message=preview)
    (follow,) = await topic_follows(h)
    assert (follow.target_id, follow.notify) == (int(h.fake.member["id"]), "instant")


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_more_than_200_matches_warn_and_offer_save_anyway(h: BotHarness) -> None:
    await store(
        h,
        [
            paper(f"2412.{i:05d}", f"Diffusion study {i}", age=timedelta(minutes=i + 1))
            for i in range(201)
        ],
    )
    preview = await preview_of(h, "diffusion")
    assert "it would have matched **201** stored papers:" in preview["content"]
    assert (
        "⚠️ That is more than 200: expect a busy digest. Tighten the query (AND, NOT, a "
        "phrase) or save it anyway."
    ) in preview["content"]
    (save,) = buttons(preview)
    assert (save["custom_id"], save["label"]) == ("topics:save", "Save anyway")

    await h.component("topics:save", message=preview)
    assert h.fake.messages[preview["id"]]["content"].startswith(
        "You now follow the topic “diffusion”"
    )
    assert await count_follows(h) == 1


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_200_matches_are_previewed_without_the_warning(h: BotHarness) -> None:
    await store(
        h,
        [
            paper(f"2412.{i:05d}", f"Diffusion study {i}", age=timedelta(minutes=i + 1))
            for i in range(200)
        ],
    )
    preview = await preview_of(h, "diffusion")
    assert "it would have matched **200** stored papers:" in preview["content"]
    assert "⚠️" not in preview["content"]
    assert buttons(preview)[0]["label"] == "Save"


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_a_channel_topic_needs_manage_server(h: BotHarness) -> None:
    denied = await h.slash("follow topic", query="diffusion", scope="channel")
    assert refusal(denied) == NEEDS_MANAGE
    assert await count_follows(h) == 0

    preview = await preview_of(h, "diffusion", scope="channel", permissions=MANAGE)
    assert preview["content"].endswith(
        "Press **Save** to follow it for this channel; nothing is stored until you do."
    )
    # Pressed without Manage Server (it is checked when Save is pressed too): refused.
    refused = await h.component("topics:save", message=preview)
    assert refusal(refused) == NEEDS_MANAGE
    assert await count_follows(h) == 0

    await h.component("topics:save", message=preview, permissions=MANAGE)
    assert h.fake.messages[preview["id"]]["content"].startswith(
        "This channel now follows the topic “diffusion”"
    )
    (follow,) = await topic_follows(h)
    assert (follow.scope, follow.target_id) == ("channel", h.fake.channel_id)

    # /unfollow topic for the channel needs it too.
    denied = await h.slash("unfollow topic", query="diffusion", scope="channel")
    assert refusal(denied) == NEEDS_MANAGE
    assert await count_follows(h) == 1


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_following_lists_the_topic_and_unfollow_offers_and_removes_it(
    h: BotHarness,
) -> None:
    preview = await preview_of(h, QUERY, notify="instant")
    await h.component("topics:save", message=preview)
    (follow,) = await topic_follows(h)

    listing = await h.slash("following")
    (embed,) = listing.original_message["embeds"]
    assert embed["title"] == "Authors and topics you follow"
    assert embed["description"] == (
        f"Topic “{QUERY}” · instant · since <t:{int(START.timestamp())}:d>"
    )
    assert embed["footer"]["text"] == "Page 1/1 · 1 follow"
    other = await h.slash("following", invoker=h.fake.owner)
    assert other.original_message["content"] == (
        "You follow no authors yet. Add one with `/follow author`."
    )

    typing = await h.autocomplete("unfollow topic", focused="query", query="GRAPH")
    assert typing.choices == [{"name": f"{QUERY} (you follow)", "value": f"topic:{follow.id}"}]
    assert (await h.autocomplete("unfollow topic", focused="query", query="zebra")).choices == []
    theirs = await h.autocomplete("unfollow topic", focused="query", query="", invoker=h.fake.owner)
    assert theirs.choices == []

    # Olivia cannot remove it, even by its id.
    refused = await h.slash("unfollow topic", query=f"topic:{follow.id}", invoker=h.fake.owner)
    assert "is not among the topics you follow" in refused.original_message["content"]
    assert await count_follows(h) == 1

    ex = await h.slash("unfollow topic", query=typing.choices[0]["value"])
    assert ex.original_message["flags"] & EPHEMERAL
    assert ex.original_message["content"] == f"You no longer follow the topic “{QUERY}”."
    assert await count_follows(h) == 0
    listing = await h.slash("following")
    assert listing.original_message["content"] == (
        "You follow no authors yet. Add one with `/follow author`."
    )
