"""Topic follows (`TopicFollowService`) on a real database (SQLite and PostgreSQL): the preview
over the stored papers of the last days, saving once per destination and query, the limit of
25 topics per destination, removing by id or by the query typed again, listing, and the
choices `/unfollow topic` offers.

The clock stands at Saturday 4 May 2024, 06:00 UTC; a member (111) and a channel (222) of
server 9 follow topics.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import BadInput, NotFoundError
from bot.services.author_fetch import paper_record
from bot.services.follow_types import Notify, Scope
from bot.services.topic_follows import MAX_TOPICS_PER_DESTINATION, TopicFollowService
from bot.services.topic_types import TopicFollowResult
from bot.sources.factory import Sources
from bot.sources.models import Paper, PaperAuthor
from db.database import Database
from db.models import TopicFollow
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.services import services_for

NOW = datetime(2024, 5, 4, 6, 0, tzinfo=UTC)
MEMBER, OTHER_MEMBER, CHANNEL, OTHER_CHANNEL, GUILD = 111, 112, 222, 333, 9
QUERY = '"graph neural" OR cat:cs.LG AND NOT survey'
SAME_QUERY = '"Graph   Neural" or Cat:cs.LG NOT Survey'  # the same query, spelt otherwise
CANONICAL = '"graph neural" OR (cat:cs.LG AND NOT survey)'


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def topics(db: Database, sources: Sources, clock: ManualClock) -> TopicFollowService:
    return services_for(db, sources, clock).topics


def paper(
    arxiv_id: str,
    title: str,
    *,
    age: timedelta,
    categories: tuple[str, ...] = ("cs.CV",),
    abstract: str = "",
) -> Paper:
    """An arXiv paper published `age` before NOW."""
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        abstract=abstract,
        authors=(PaperAuthor("Ada Lovelace"),),
        primary_category=categories[0],
        categories=categories,
        published=NOW - age,
        updated=None,
    )


async def store(db: Database, papers: list[Paper]) -> None:
    records = [paper_record(p) for p in papers]
    assert all(r is not None for r in records)
    async with db.transaction() as session:
        await PaperRepository(session).upsert_many([r for r in records if r is not None], now=NOW)


async def stored_follows(db: Database) -> list[TopicFollow]:
    async with db.reader() as session:
        return list((await session.scalars(select(TopicFollow).order_by(TopicFollow.id))).all())


async def count_follows(db: Database) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(TopicFollow)) or 0)


async def follow(
    topics: TopicFollowService,
    text: str,
    *,
    scope: Scope = "me",
    user_id: int = MEMBER,
    channel_id: int | None = CHANNEL,
    notify: Notify | None = None,
) -> TopicFollowResult:
    return await topics.follow(
        topics.check(text),
        scope=scope,
        user_id=user_id,
        guild_id=GUILD,
        channel_id=channel_id,
        notify=notify,
    )


# --- the preview ---------------------------------------------------------------------------


async def test_the_preview_counts_only_matching_papers_of_the_last_7_days_newest_first(
    db: Database, topics: TopicFollowService
) -> None:
    await store(
        db,
        [
            # Matching, inside the week (by age: 1 h, 1 d, 2 d, 3 d, 6 d 23 h).
            paper(
                "2405.00001",
                "Graph neural networks for molecules",
                age=timedelta(days=2),
                categories=("cs.LG",),
            ),
            paper("2405.00002", "Sparse attention", age=timedelta(days=1), categories=("cs.LG",)),
            paper(
                "2405.00003",
                "Point clouds",
                age=timedelta(hours=1),
                abstract="We use a graph neural model on point clouds.",
            ),
            paper(
                "2405.00004",
                "Optimisers revisited",
                age=timedelta(days=6, hours=23),
                categories=("stat.ML", "cs.LG"),
            ),
            paper(
                "2405.00005",
                "Graph Neural Operators",
                age=timedelta(days=3),
                categories=("cs.CV",),
            ),
            # Not matching, inside the week: a cs.LG survey, a paper off the topic.
            paper(
                "2405.00006",
                "A survey of sparse models",
                age=timedelta(hours=2),
                categories=("cs.LG",),
            ),
            paper("2405.00007", "Image segmentation", age=timedelta(hours=3)),
            # Matching, but older than the week.
            paper(
                "2404.00008",
                "Graph neural ODEs",
                age=timedelta(days=7, hours=1),
                categories=("cs.LG",),
            ),
        ],
    )

    preview = await topics.preview(topics.check(QUERY))

    assert (preview.query, preview.canonical, preview.categories) == (QUERY, CANONICAL, ("cs.LG",))
    assert preview.days == 7
    assert preview.count == 5
    assert preview.titles == (
        "Point clouds",
        "Sparse attention",
        "Graph neural networks for molecules",
    )
    assert preview.matched == (
        ("Point clouds", ("graph neural",)),
        ("Sparse attention", ("cat:cs.LG",)),
        ("Graph neural networks for molecules", ("graph neural", "cat:cs.LG")),
        ("Graph Neural Operators", ("graph neural",)),
        ("Optimisers revisited", ("cat:cs.LG",)),
    )
    assert not preview.needs_warning

    # Further back, the older paper is counted too.
    month = await topics.preview(topics.check(QUERY), days=30)
    assert month.days == 30 and month.count == 6
    assert month.matched[-1] == ("Graph neural ODEs", ("graph neural", "cat:cs.LG"))
    assert await count_follows(db) == 0  # a preview stores nothing


async def test_a_preview_with_nothing_stored_is_empty(
    db: Database, topics: TopicFollowService
) -> None:
    preview = await topics.preview(topics.check("diffusion"))
    assert (preview.count, preview.titles, preview.matched) == (0, (), ())
    assert preview.categories == () and not preview.needs_warning


async def test_the_warning_is_needed_only_above_200_matches(
    db: Database, topics: TopicFollowService
) -> None:
    # 200 matching papers of the last day, and one more three days old.
    recent = [
        paper(f"2405.{i:05d}", f"Diffusion study {i}", age=timedelta(minutes=i + 1))
        for i in range(200)
    ]
    older = paper("2405.09999", "Diffusion study old", age=timedelta(days=3))
    await store(db, [*recent, older])
    query = topics.check("diffusion")

    week = await topics.preview(query)
    assert week.count == 201 and week.needs_warning
    assert week.titles == ("Diffusion study 0", "Diffusion study 1", "Diffusion study 2")
    assert len(week.matched) == 201
    assert week.matched[-1] == ("Diffusion study old", ("diffusion",))

    two_days = await topics.preview(query, days=2)
    assert two_days.count == 200 and not two_days.needs_warning


# --- following -----------------------------------------------------------------------------


async def test_a_follow_is_saved_once_per_destination_and_query(
    db: Database, topics: TopicFollowService
) -> None:
    first = await follow(topics, QUERY)
    assert first.created and first.scope == "me" and first.notify == "weekly"
    assert first.query == QUERY and not first.has_digest

    again = await follow(topics, SAME_QUERY, notify="instant")
    assert not again.created
    assert again.topic_id == first.topic_id
    assert again.query == QUERY  # kept as first typed
    assert again.notify == "instant"
    third = await follow(topics, QUERY)  # no notify given: instant is kept
    assert (third.created, third.notify) == (False, "instant")

    # Another member, and the channel: follows of their own.
    other = await follow(topics, SAME_QUERY, user_id=OTHER_MEMBER)
    channel = await follow(topics, QUERY, scope="channel")
    assert other.created and channel.created
    assert len({first.topic_id, other.topic_id, channel.topic_id}) == 3

    rows = await stored_follows(db)
    assert [(r.scope, r.target_id, r.query_key) for r in rows] == [
        ("user", MEMBER, CANONICAL),
        ("user", OTHER_MEMBER, CANONICAL),
        ("channel", CHANNEL, CANONICAL),
    ]
    assert [r.notify for r in rows] == ["instant", "weekly", "weekly"]
    assert rows[0].created_at == NOW
    assert list(rows[0].categories) == ["cs.LG"]
    assert (rows[2].channel_id, rows[2].user_id, rows[2].guild_id) == (CHANNEL, MEMBER, GUILD)


async def test_the_26th_topic_of_a_destination_is_refused(
    db: Database, topics: TopicFollowService
) -> None:
    assert MAX_TOPICS_PER_DESTINATION == 25
    for i in range(25):
        assert (await follow(topics, f"topic{i}")).created
        assert (await follow(topics, f"channeltopic{i}", scope="channel")).created

    with pytest.raises(BadInput) as mine:
        await follow(topics, "one more")
    assert "25" in mine.value.user_message
    assert mine.value.user_message.startswith("You follow 25 topics")
    with pytest.raises(BadInput) as channel:
        await follow(topics, "one more", scope="channel")
    assert channel.value.user_message.startswith("This channel follows 25 topics")
    assert await count_follows(db) == 50

    # A topic already followed may be followed again (its notify changes), and another
    # member and another channel are not limited by these.
    assert not (await follow(topics, "TOPIC0", notify="instant")).created
    assert (await follow(topics, "one more", user_id=OTHER_MEMBER)).created
    assert (await follow(topics, "one more", scope="channel", channel_id=OTHER_CHANNEL)).created
    assert await count_follows(db) == 52


async def test_a_bad_query_is_refused_with_the_position(topics: TopicFollowService) -> None:
    with pytest.raises(BadInput) as bad:
        topics.check("vision AND")
    assert bad.value.user_message == (
        "That topic query cannot be used. At character 11: the query ends too early after "
        "AND: expected a word, a “phrase”, cat:… or (."
    )


# --- unfollowing and listing -----------------------------------------------------------------


async def test_unfollow_by_id_and_by_the_query_in_another_spelling(
    db: Database, topics: TopicFollowService
) -> None:
    graph = await follow(topics, QUERY)
    diffusion = await follow(topics, "diffusion models")
    channel = await follow(topics, QUERY, scope="channel")

    removed = await topics.unfollow(
        f"topic:{diffusion.topic_id}", scope="me", user_id=MEMBER, channel_id=CHANNEL
    )
    assert removed == "diffusion models"
    removed = await topics.unfollow(SAME_QUERY, scope="me", user_id=MEMBER, channel_id=CHANNEL)
    assert removed == QUERY
    assert [r.id for r in await stored_follows(db)] == [channel.topic_id]  # the channel's kept

    with pytest.raises(NotFoundError):  # gone already
        await topics.unfollow(
            f"topic:{graph.topic_id}", scope="me", user_id=MEMBER, channel_id=CHANNEL
        )
    removed = await topics.unfollow(
        f"  topic:{channel.topic_id} ", scope="channel", user_id=OTHER_MEMBER, channel_id=CHANNEL
    )
    assert removed == QUERY
    assert await count_follows(db) == 0


async def test_nobody_unfollows_another_members_or_another_channels_topic(
    db: Database, topics: TopicFollowService
) -> None:
    mine = await follow(topics, QUERY)
    channel = await follow(topics, "diffusion", scope="channel")

    for text in (f"topic:{mine.topic_id}", QUERY):
        with pytest.raises(NotFoundError) as refused:
            await topics.unfollow(text, scope="me", user_id=OTHER_MEMBER, channel_id=CHANNEL)
        assert "is not among the topics you follow" in refused.value.user_message
    for text in (f"topic:{channel.topic_id}", "diffusion"):
        with pytest.raises(NotFoundError) as refused:
            await topics.unfollow(text, scope="channel", user_id=MEMBER, channel_id=OTHER_CHANNEL)
        assert "is not among the topics this channel follows" in refused.value.user_message
        # Nor through scope:me: the channel's topic is not the member's.
        with pytest.raises(NotFoundError):
            await topics.unfollow(text, scope="me", user_id=MEMBER, channel_id=CHANNEL)
    with pytest.raises(NotFoundError):  # not a query at all
        await topics.unfollow("vision AND", scope="me", user_id=MEMBER, channel_id=CHANNEL)
    assert await count_follows(db) == 2


async def test_list_follows_and_the_unfollow_choices(
    clock: ManualClock, topics: TopicFollowService
) -> None:
    graph = await follow(topics, QUERY, notify="instant")
    clock.advance(timedelta(hours=1))
    diffusion = await follow(topics, "Diffusion Models")
    channel = await follow(topics, "cat:cs.CV", scope="channel")
    await follow(topics, "diffusion", user_id=OTHER_MEMBER)
    await follow(topics, "diffusion", scope="channel", channel_id=OTHER_CHANNEL)

    mine = await topics.list_follows("me", MEMBER, CHANNEL)
    assert [(t.topic_id, t.query, t.notify, t.since) for t in mine] == [
        (graph.topic_id, QUERY, "instant", NOW),
        (diffusion.topic_id, "Diffusion Models", "weekly", NOW + timedelta(hours=1)),
    ]
    channels = await topics.list_follows("channel", MEMBER, CHANNEL)
    assert [(t.topic_id, t.query) for t in channels] == [(channel.topic_id, "cat:cs.CV")]
    assert await topics.list_follows("me", 999, None) == []

    choices = await topics.suggest_followed(MEMBER, CHANNEL, "")
    assert [(c.name, c.value) for c in choices] == [
        (f"{QUERY} (you follow)", f"topic:{graph.topic_id}"),
        ("Diffusion Models (you follow)", f"topic:{diffusion.topic_id}"),
        ("cat:cs.CV (this channel follows)", f"topic:{channel.topic_id}"),
    ]
    typed = await topics.suggest_followed(MEMBER, CHANNEL, " DIFFUSION ")
    assert [c.value for c in typed] == [f"topic:{diffusion.topic_id}"]
    no_channel = await topics.suggest_followed(MEMBER, None, "")
    assert [c.value for c in no_channel] == [
        f"topic:{graph.topic_id}",
        f"topic:{diffusion.topic_id}",
    ]
    assert all(len(c.name) <= 100 for c in choices)
