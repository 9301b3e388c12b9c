"""TopicRepository: topic follows (add, find, count, list, remove, all, instant), the papers
they matched (links, matched terms, queries) and the digest's topic candidates (both
databases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from db.database import Database
from db.models import TopicFollow, TopicPaper
from db.repositories.digests import DigestScheduleRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from db.repositories.topics import TopicCandidate, TopicMatch, TopicRepository

CHANNEL, OTHER_CHANNEL, USER, OTHER_USER = 5001, 5002, 7001, 7002
GUILD = 9001
DAY = timedelta(days=1)


async def follow(
    db: Database,
    query: str,
    *,
    now: datetime,
    scope: str = "user",
    user_id: int = USER,
    channel_id: int | None = None,
    notify: str = "weekly",
    key: str | None = None,
    categories: tuple[str, ...] = (),
) -> tuple[TopicFollow, bool]:
    async with db.transaction() as session:
        return await TopicRepository(session).add(
            scope=scope,
            user_id=user_id,
            channel_id=channel_id,
            guild_id=GUILD if scope == "channel" else None,
            now=now,
            query=query,
            query_key=key or query.lower(),
            categories=categories,
            notify=notify,
        )


async def topic(db: Database, query: str, **options: object) -> int:
    created, is_new = await follow(db, query, **options)  # type: ignore[arg-type]
    assert is_new
    return created.id


async def store(
    db: Database,
    make_paper: Callable[..., PaperRecord],
    arxiv_id: str,
    *,
    seen: datetime,
    **overrides: object,
) -> int:
    """Store one paper first seen at `seen`; its id."""
    record = make_paper(arxiv_id, **overrides)
    async with db.transaction() as session:
        result = await PaperRepository(session).upsert_many([record], now=seen)
    return result.ids[record.key]


async def schedule(db: Database, kind: str, target: int, t0: datetime) -> int:
    async with db.transaction() as session:
        row = await DigestScheduleRepository(session).upsert(
            target_kind=kind,  # type: ignore[arg-type]
            target_id=target,
            weekday=0,
            local_time="09:00",
            timezone="UTC",
            next_digest_at=t0 + 7 * DAY,
            now=t0,
        )
        return row.id


async def stored_links(db: Database) -> dict[tuple[int, int], tuple[list[str], datetime]]:
    async with db.reader() as session:
        rows = await session.execute(select(TopicPaper))
        return {(r.topic_follow_id, r.paper_id): (r.matched, r.linked_at) for r in rows.scalars()}


# --- add, find, count --------------------------------------------------------------------


async def test_add_again_keeps_the_start_and_takes_the_new_notify(
    db: Database, t0: datetime
) -> None:
    first, created = await follow(
        db, "Vision Transformer", key="vision AND transformer", now=t0, categories=("cs.CV",)
    )
    assert created
    assert (first.scope, first.user_id, first.target_id, first.channel_id) == (
        "user",
        USER,
        USER,
        None,
    )
    assert (first.notify, first.created_at, first.query, first.categories) == (
        "weekly",
        t0,
        "Vision Transformer",
        ["cs.CV"],
    )

    again, created = await follow(
        db,
        "vision   transformer",
        key="vision AND transformer",
        now=t0 + DAY,
        notify="instant",
        categories=(),
    )
    assert not created
    assert again.id == first.id
    assert again.notify == "instant"
    # Only notify changes: the start (priming), the query as typed and its categories stay.
    assert (again.created_at, again.query, again.categories) == (
        t0,
        "Vision Transformer",
        ["cs.CV"],
    )

    back, created = await follow(db, "x", key="vision AND transformer", now=t0 + 2 * DAY)
    assert not created
    assert (back.id, back.notify, back.created_at) == (first.id, "weekly", t0)

    async with db.reader() as session:
        rows = list((await session.execute(select(TopicFollow))).scalars())
    assert [(r.id, r.notify, r.created_at) for r in rows] == [(first.id, "weekly", t0)]


async def test_the_unique_key_is_scope_target_and_canonical_query(
    db: Database, t0: datetime
) -> None:
    mine = await topic(db, "graph", now=t0)
    mine_other = await topic(db, "vision", now=t0)
    theirs = await topic(db, "graph", user_id=OTHER_USER, now=t0)
    channel = await topic(db, "graph", scope="channel", channel_id=CHANNEL, now=t0)
    # A member whose id is the channel's: their own follow is not the channel's.
    same_id = await topic(db, "graph", user_id=CHANNEL, now=t0)
    # Someone else in the channel follows the same query there: the channel's one follow.
    shared, created = await follow(
        db, "GRAPH", key="graph", scope="channel", user_id=OTHER_USER, channel_id=CHANNEL, now=t0
    )
    assert not created
    assert shared.id == channel
    assert len({mine, mine_other, theirs, channel, same_id}) == 5

    async with db.reader() as session:
        repo = TopicRepository(session)
        counts = [
            await repo.count_for_target("user", USER),
            await repo.count_for_target("user", OTHER_USER),
            await repo.count_for_target("channel", CHANNEL),
            await repo.count_for_target("user", CHANNEL),
            await repo.count_for_target("channel", USER),
            await repo.count_for_target("channel", OTHER_CHANNEL),
        ]
        found = await repo.find(scope="user", target_id=USER, query_key="graph")
        found_channel = await repo.find(scope="channel", target_id=CHANNEL, query_key="graph")
        found_same_id = await repo.find(scope="user", target_id=CHANNEL, query_key="graph")
        missing = await repo.find(scope="channel", target_id=CHANNEL, query_key="vision")
    assert counts == [2, 1, 1, 1, 0, 0]
    assert found is not None and found.id == mine
    assert found_channel is not None and found_channel.id == channel
    assert found_channel.user_id == USER  # who followed it first
    assert found_same_id is not None and found_same_id.id == same_id
    assert missing is None


@pytest.mark.parametrize(
    "options",
    [
        {"scope": "guild"},
        {"notify": "daily"},
        {"scope": "channel"},  # no channel_id
    ],
)
async def test_add_refuses_bad_input(db: Database, t0: datetime, options: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        await follow(db, "graph", now=t0, **options)
    async with db.reader() as session:
        assert await TopicRepository(session).all_follows() == []


async def test_add_refuses_a_naive_time(db: Database, t0: datetime) -> None:
    with pytest.raises(ValueError):
        await follow(db, "graph", now=t0.replace(tzinfo=None))


# --- list, remove, all, instant ------------------------------------------------------------


async def test_list_for_target_oldest_first_remove_and_all_follows(
    db: Database, t0: datetime, make_paper: Callable[..., PaperRecord]
) -> None:
    c = await topic(db, "c", now=t0 + 2 * DAY)
    a = await topic(db, "a", now=t0)
    b = await topic(db, "b", now=t0 + DAY)
    a2 = await topic(db, "a2", now=t0)  # same start as a: by id
    theirs = await topic(db, "a", user_id=OTHER_USER, now=t0 - DAY)
    channel = await topic(db, "a", scope="channel", channel_id=USER, now=t0 - DAY)

    async with db.reader() as session:
        repo = TopicRepository(session)
        listed = await repo.list_for_target("user", USER)
        listed_channel = await repo.list_for_target("channel", USER)
        nobody = await repo.list_for_target("user", 1)
        every = await repo.all_follows()
    assert [f.id for f in listed] == [a, a2, b, c]
    assert [f.query for f in listed] == ["a", "a2", "b", "c"]
    assert [f.id for f in listed_channel] == [channel]
    assert nobody == []
    assert [f.id for f in every] == [c, a, b, a2, theirs, channel]

    paper = await store(db, make_paper, "2501.00001", seen=t0)
    async with db.transaction() as session:
        await TopicRepository(session).add_links([TopicMatch(b, paper, ("b",))], now=t0)
    async with db.transaction() as session:
        repo = TopicRepository(session)
        assert await repo.remove(b) is True
        assert await repo.remove(b) is False
        assert await repo.remove(999_999) is False
    async with db.reader() as session:
        repo = TopicRepository(session)
        assert [f.id for f in await repo.list_for_target("user", USER)] == [a, a2, c]
        assert await repo.count_for_target("user", USER) == 3
        assert [f.id for f in await repo.all_follows()] == [c, a, a2, theirs, channel]
        # Its matched papers went with it.
        assert await repo.matched_terms([(b, paper)]) == {}
        assert await repo.queries([b, a]) == {a: "a"}
    assert await stored_links(db) == {}


async def test_instant_of_gives_the_instant_follows_among_the_ids(
    db: Database, t0: datetime
) -> None:
    weekly = await topic(db, "weekly", now=t0)
    instant = await topic(db, "instant", now=t0, notify="instant")
    channel_instant = await topic(
        db, "instant", scope="channel", channel_id=CHANNEL, notify="instant", now=t0
    )
    not_asked = await topic(db, "other", now=t0, notify="instant")
    # One switched to instant by adding it again.
    switched = await topic(db, "weekly", user_id=OTHER_USER, now=t0)
    await follow(db, "weekly", user_id=OTHER_USER, now=t0 + DAY, notify="instant")

    async with db.reader() as session:
        repo = TopicRepository(session)
        found = await repo.instant_of(
            [channel_instant, weekly, instant, instant, 999_999, switched]
        )
        none = await repo.instant_of([])
        only_weekly = await repo.instant_of([weekly])
    assert [f.id for f in found] == [instant, channel_instant, switched]
    assert not_asked not in [f.id for f in found]
    assert none == []
    assert only_weekly == []


# --- links, matched terms, queries -------------------------------------------------------


async def test_add_links_returns_only_new_links_and_keeps_the_first(
    db: Database, t0: datetime, make_paper: Callable[..., PaperRecord]
) -> None:
    vision = await topic(db, "vision", now=t0)
    graph = await topic(db, "graph OR cat:cs.CV", now=t0)
    p1 = await store(db, make_paper, "2501.00001", seen=t0)
    p2 = await store(db, make_paper, "2501.00002", seen=t0)
    p3 = await store(db, make_paper, "2501.00003", seen=t0)
    first = [
        TopicMatch(vision, p1, ("vision",)),
        TopicMatch(graph, p1, ("graph", "cat:cs.CV")),
        TopicMatch(vision, p2, ("vision",)),
    ]

    async with db.transaction() as session:
        repo = TopicRepository(session)
        assert await repo.add_links([*first, first[0]], now=t0) == first
        assert await repo.add_links([], now=t0) == []
    async with db.transaction() as session:
        repo = TopicRepository(session)
        again = await repo.add_links(
            [
                TopicMatch(vision, p1, ("other",)),
                TopicMatch(graph, p3, ("cat:cs.CV",)),
                first[2],
            ],
            now=t0 + DAY,
        )
        assert again == [TopicMatch(graph, p3, ("cat:cs.CV",))]
        assert await repo.add_links(first, now=t0 + 2 * DAY) == []

    assert await stored_links(db) == {
        (vision, p1): (["vision"], t0),  # kept as first matched: matched and linked_at
        (graph, p1): (["graph", "cat:cs.CV"], t0),
        (vision, p2): (["vision"], t0),
        (graph, p3): (["cat:cs.CV"], t0 + DAY),
    }

    async with db.reader() as session:
        repo = TopicRepository(session)
        terms = await repo.matched_terms(
            [(vision, p1), (graph, p1), (graph, p3), (vision, p3), (vision, p1), (999_999, p1)]
        )
        no_terms = await repo.matched_terms([])
        queries = await repo.queries([graph, vision, graph, 999_999])
        no_queries = await repo.queries([])
    assert terms == {
        (vision, p1): ("vision",),
        (graph, p1): ("graph", "cat:cs.CV"),
        (graph, p3): ("cat:cs.CV",),
    }
    assert no_terms == {}
    assert queries == {graph: "graph OR cat:cs.CV", vision: "vision"}
    assert no_queries == {}


async def test_add_links_refuses_a_naive_time(
    db: Database, t0: datetime, make_paper: Callable[..., PaperRecord]
) -> None:
    vision = await topic(db, "vision", now=t0)
    p1 = await store(db, make_paper, "2501.00001", seen=t0)
    async with db.transaction() as session:
        with pytest.raises(ValueError):
            await TopicRepository(session).add_links(
                [TopicMatch(vision, p1, ("vision",))], now=t0.replace(tzinfo=None)
            )
    assert await stored_links(db) == {}


# --- candidates ----------------------------------------------------------------------------


async def test_candidates_follow_scope_window_priming_and_items(
    db: Database, t0: datetime, make_paper: Callable[..., PaperRecord]
) -> None:
    ch_vision = await topic(db, "vision", scope="channel", channel_id=CHANNEL, now=t0)
    ch_graph = await topic(db, "graph", scope="channel", channel_id=CHANNEL, now=t0)
    me_vision = await topic(db, "vision", now=t0)
    me_instant = await topic(db, "quantum", notify="instant", now=t0)
    # A member whose id is the channel's: their own follow is not the channel's.
    same_id = await topic(db, "graph", user_id=CHANNEL, now=t0)
    # A channel that followed later: papers published before are never in its digests.
    later = await topic(db, "vision", scope="channel", channel_id=OTHER_CHANNEL, now=t0 + 3 * DAY)

    # First seen (digest order) is not the id order: A is stored first, seen last of three.
    pa = await store(db, make_paper, "2501.00001", seen=t0 + 3 * DAY, published=t0 + DAY)
    pb = await store(db, make_paper, "2501.00002", seen=t0 + DAY, published=t0 + DAY)
    pc = await store(db, make_paper, "2501.00003", seen=t0 + 2 * DAY, published=t0)  # at start
    old = await store(db, make_paper, "2501.00004", seen=t0 + DAY, published=t0 - DAY)
    pd = await store(db, make_paper, "2501.00005", seen=t0 + 4 * DAY, published=t0 + 4 * DAY)
    pe = await store(db, make_paper, "2501.00006", seen=t0 + 7 * DAY, published=t0 + 5 * DAY)
    late = t0 + 7 * DAY + timedelta(seconds=1)
    pf = await store(db, make_paper, "2501.00007", seen=late, published=t0 + 6 * DAY)

    channel = await schedule(db, "channel", CHANNEL, t0)
    dm = await schedule(db, "dm", USER, t0)
    dm_same_id = await schedule(db, "dm", CHANNEL, t0)
    later_channel = await schedule(db, "channel", OTHER_CHANNEL, t0)
    lonely = await schedule(db, "dm", OTHER_USER, t0)

    def links(*pairs: tuple[int, int]) -> list[TopicMatch]:
        return [TopicMatch(t, p, ("term",)) for t, p in pairs]

    async with db.transaction() as session:
        repo = TopicRepository(session)
        for matches, linked_at in (
            (
                links(
                    (ch_vision, pb),
                    (me_vision, pb),
                    (me_instant, pb),
                    (same_id, pb),
                    (ch_vision, old),  # published before the follows: primed
                    (me_vision, old),
                ),
                t0 + DAY,
            ),
            (links((ch_vision, pc), (ch_graph, pc)), t0 + 2 * DAY),
            (links((ch_graph, pa), (me_vision, pa), (later, pa)), t0 + 3 * DAY),
            (links((ch_vision, pd), (later, pd)), t0 + 4 * DAY),
            (links((ch_vision, pe)), t0 + 7 * DAY),  # at the cut-off: due
            (links((ch_vision, pf), (me_vision, pf)), late),  # after it: next week's
        ):
            assert await repo.add_links(matches, now=linked_at) == matches
    until = t0 + 7 * DAY

    async with db.reader() as session:
        repo = TopicRepository(session)
        every = await repo.candidates([lonely, channel, dm, dm_same_id, later_channel], until=until)
        only_channel = await repo.candidates([channel, channel], until=until)
        none = await repo.candidates([], until=until)
        unknown = await repo.candidates([999_999], until=until)

    assert every == [
        # By schedule, then first seen; a paper two of the channel's topics matched: both.
        TopicCandidate(channel, pb, ch_vision),
        TopicCandidate(channel, pc, ch_vision),
        TopicCandidate(channel, pc, ch_graph),
        TopicCandidate(channel, pa, ch_graph),
        TopicCandidate(channel, pd, ch_vision),
        TopicCandidate(channel, pe, ch_vision),
        # The member's weekly topic; their instant one is not in digests.
        TopicCandidate(dm, pb, me_vision),
        TopicCandidate(dm, pa, me_vision),
        TopicCandidate(dm_same_id, pb, same_id),
        # A (published before this channel followed) is left out.
        TopicCandidate(later_channel, pd, later),
    ]
    assert only_channel == [c for c in every if c.schedule_id == channel]
    assert none == []
    assert unknown == []

    # B went into the channel's digest: not due there again, still due in the DMs.
    async with db.transaction() as session:
        assert await DigestScheduleRepository(session).add_items(channel, [pb], now=until) == [pb]
    async with db.reader() as session:
        after_item = await TopicRepository(session).candidates([channel, dm], until=until)
    assert after_item == [
        TopicCandidate(channel, pc, ch_vision),
        TopicCandidate(channel, pc, ch_graph),
        TopicCandidate(channel, pa, ch_graph),
        TopicCandidate(channel, pd, ch_vision),
        TopicCandidate(channel, pe, ch_vision),
        TopicCandidate(dm, pb, me_vision),
        TopicCandidate(dm, pa, me_vision),
    ]

    # The next window starts after the cut-off: C, linked exactly at it, is not due again.
    async with db.transaction() as session:
        await DigestScheduleRepository(session).advance(
            channel, next_digest_at=t0 + 14 * DAY, last_cutoff_at=t0 + 2 * DAY, now=t0
        )
    async with db.reader() as session:
        windowed = await TopicRepository(session).candidates([channel], until=t0 + 14 * DAY)
    assert windowed == [
        TopicCandidate(channel, pa, ch_graph),
        TopicCandidate(channel, pd, ch_vision),
        TopicCandidate(channel, pe, ch_vision),
        TopicCandidate(channel, pf, ch_vision),
    ]


async def test_candidates_refuse_a_naive_until(db: Database, t0: datetime) -> None:
    channel = await schedule(db, "channel", CHANNEL, t0)
    async with db.reader() as session:
        with pytest.raises(ValueError):
            await TopicRepository(session).candidates([channel], until=t0.replace(tzinfo=None))
