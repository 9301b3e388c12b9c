"""CitationRepository and CitationFollowRepository: watched papers, links, OpenAlex ids, the
digest's citation candidates, counts since a time, and citation follows (both databases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from db.database import Database
from db.models import CitationLink, DigestCitationItem, Paper, PaperIdentifier
from db.repositories.authors import AuthorRepository
from db.repositories.citation_follows import CitationFollowRepository
from db.repositories.citations import (
    CitationCandidate,
    CitationRepository,
    NewLink,
    WatchedPaper,
)
from db.repositories.digests import DigestScheduleRepository
from db.repositories.follows import FollowRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository

CHANNEL, OTHER_CHANNEL, USER, OTHER_USER = 5001, 5002, 7001, 7002
DAY = timedelta(days=1)


def work(
    key: str,
    t0: datetime,
    *,
    arxiv_id: str | None = None,
    doi: str | None = None,
    openalex_id: str | None = None,
    published: datetime | None = None,
) -> PaperRecord:
    """A work with the identifiers given (at least one)."""
    when = published or t0 - 30 * DAY
    return PaperRecord(
        arxiv_id=arxiv_id,
        doi=doi,
        openalex_id=openalex_id,
        title=f"Work {key}",
        published=when,
        updated=when,
        primary_category="cs.DL" if arxiv_id else None,
    )


async def store(db: Database, records: Sequence[PaperRecord], *, now: datetime) -> list[int]:
    """Store the works; their paper ids in the order given."""
    async with db.transaction() as session:
        result = await PaperRepository(session).upsert_many(records, now=now)
    return [result.ids[record.key] for record in records]


async def authors(db: Database, names: Sequence[str], *, now: datetime) -> list[int]:
    async with db.transaction() as session:
        repo = AuthorRepository(session)
        return [
            (await repo.upsert(display_name=name, openalex_id=f"A{n}", now=now)).id
            for n, name in enumerate(names, start=1)
        ]


async def link(db: Database, pairs: Sequence[tuple[int, int]], *, now: datetime) -> None:
    """Track papers for authors: (author id, paper id)."""
    async with db.transaction() as session:
        await PaperRepository(session).link_authors([(a, p, "name") for a, p in pairs], now=now)


async def stored_links(db: Database) -> dict[tuple[int, int, int], tuple[bool, datetime]]:
    async with db.reader() as session:
        rows = await session.execute(select(CitationLink))
        return {
            (r.citing_paper_id, r.cited_paper_id, r.author_id): (r.self_citation, r.found_at)
            for r in rows.scalars()
        }


# --- watched_papers ----------------------------------------------------------------------


async def test_watched_papers_are_each_authors_most_cited_then_newest_with_an_id(
    db: Database, t0: datetime
) -> None:
    ada, bob, cy = await authors(db, ["Ada", "Bob", "Cy"], now=t0)
    (
        cited_50,
        unknown_new,
        unknown_old,
        cited_10,
        doi_only,
        openalex_only,
        bobs,
        cys,
    ) = await store(
        db,
        [
            work("50", t0, arxiv_id="2401.00001"),
            work("none new", t0, arxiv_id="2401.00002", published=t0 - 5 * DAY),
            work("none old", t0, arxiv_id="2401.00003", published=t0 - 500 * DAY),
            work("10", t0, arxiv_id="2401.00004"),
            work("doi only", t0, doi="10.5555/doi.only"),  # OpenAlex cannot be asked about it
            work("openalex only", t0, doi="10.5555/oa.only", openalex_id="W600"),
            work("bob's", t0, arxiv_id="2401.00007"),
            work("cy's", t0, arxiv_id="2401.00008"),
        ],
        now=t0,
    )
    async with db.transaction() as session:
        await PaperRepository(session).update_citations(
            {cited_50: 50, cited_10: 10, doi_only: 1000, openalex_only: 20, bobs: 5, cys: 99},
            as_of=t0,
        )
    await link(
        db,
        [
            *((ada, p) for p in (cited_50, unknown_new, unknown_old, cited_10, doi_only)),
            (ada, openalex_only),
            (bob, cited_50),  # a paper of both: watched for each
            (bob, bobs),
            (cy, cys),
        ],
        now=t0,
    )

    async with db.reader() as session:
        repo = CitationRepository(session)
        three = await repo.watched_papers([ada, bob], per_author=3)
        every = await repo.watched_papers([ada, ada], per_author=10)
        one = await repo.watched_papers([bob], per_author=1)
        nobody = await repo.watched_papers([], per_author=3)

    assert [(w.author_id, w.paper_id) for w in three] == [
        (ada, cited_50),
        (ada, openalex_only),
        (ada, cited_10),
        (bob, cited_50),
        (bob, bobs),
    ]
    # NULL counts last, the newer first; the paper with only a DOI never.
    assert [w.paper_id for w in every] == [
        cited_50,
        openalex_only,
        cited_10,
        unknown_new,
        unknown_old,
    ]
    assert one == [WatchedPaper(bob, cited_50, None, "2401.00001", None)]
    assert three[1] == WatchedPaper(ada, openalex_only, "W600", None, None)
    assert nobody == []


# --- add_links ---------------------------------------------------------------------------


async def test_add_links_returns_only_new_links_and_keeps_the_first(
    db: Database, t0: datetime
) -> None:
    (ada,) = await authors(db, ["Ada"], now=t0)
    cited, c1, c2, c3 = await store(
        db,
        [
            work("cited", t0, arxiv_id="2401.00001"),
            work("c1", t0, doi="10.5555/c1"),
            work("c2", t0, doi="10.5555/c2"),
            work("c3", t0, doi="10.5555/c3"),
        ],
        now=t0,
    )
    first = [NewLink(c1, cited, ada, False), NewLink(c2, cited, ada, True)]

    async with db.transaction() as session:
        repo = CitationRepository(session)
        assert await repo.add_links([*first, first[0]], now=t0) == first
        assert await repo.add_links([], now=t0) == []
    async with db.transaction() as session:
        repo = CitationRepository(session)
        again = await repo.add_links(
            [NewLink(c1, cited, ada, True), NewLink(c3, cited, ada, False), first[1]],
            now=t0 + DAY,
        )
        assert again == [NewLink(c3, cited, ada, False)]
        assert await repo.add_links(first, now=t0 + 2 * DAY) == []

    assert await stored_links(db) == {
        (c1, cited, ada): (False, t0),  # kept as first found: found_at and self_citation
        (c2, cited, ada): (True, t0),
        (c3, cited, ada): (False, t0 + DAY),
    }


# --- add_openalex_ids --------------------------------------------------------------------


async def test_add_openalex_ids_stamps_every_asked_paper_and_gives_free_ids(
    db: Database, t0: datetime
) -> None:
    found, taken, unknown, not_asked, holder = await store(
        db,
        [
            work("found", t0, arxiv_id="2401.00001"),
            work("taken", t0, arxiv_id="2401.00002"),
            work("unknown", t0, arxiv_id="2401.00003"),
            work("not asked", t0, arxiv_id="2401.00004"),
            work("holder", t0, doi="10.5555/holder", openalex_id="W999"),
        ],
        now=t0,
    )
    asked_at = t0 + DAY

    async with db.transaction() as session:
        repo = CitationRepository(session)
        given = await repo.add_openalex_ids(
            [found, taken, unknown, found], {found: "W100", taken: "W999"}, now=asked_at
        )
        assert await repo.add_openalex_ids([], {}, now=asked_at) == 0
    assert given == 1

    async with db.reader() as session:
        rows = await session.execute(
            select(Paper.id, Paper.openalex_id, Paper.openalex_checked_at).order_by(Paper.id)
        )
        papers = {paper_id: (openalex, checked) for paper_id, openalex, checked in rows}
        identifiers = await session.execute(
            select(PaperIdentifier.value, PaperIdentifier.paper_id).where(
                PaperIdentifier.scheme == "openalex"
            )
        )
        owners = {value: paper_id for value, paper_id in identifiers}
    assert papers == {
        found: ("W100", asked_at),
        taken: (None, asked_at),  # asked, but another work holds that id
        unknown: (None, asked_at),  # asked, OpenAlex did not know it: asked again later
        not_asked: (None, None),
        holder: ("W999", None),
    }
    assert owners == {"W100": found, "W999": holder}

    # A paper with an id already keeps the one shown.
    async with db.transaction() as session:
        await CitationRepository(session).add_openalex_ids(
            [holder], {holder: "W998"}, now=asked_at + DAY
        )
    async with db.reader() as session:
        kept = await session.get(Paper, holder)
        assert kept is not None
        assert (kept.openalex_id, kept.openalex_checked_at) == ("W999", asked_at + DAY)


# --- candidates ----------------------------------------------------------------------------


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


async def test_candidates_follow_scope_window_priming_self_citations_and_items(
    db: Database, t0: datetime
) -> None:
    ada, bob, cy = await authors(db, ["Ada", "Bob", "Cy"], now=t0)
    paper_ids = await store(
        db,
        [
            work("ada's", t0, arxiv_id="2401.00001"),
            work("bob's", t0, arxiv_id="2401.00002"),
            work("cy's", t0, arxiv_id="2401.00003"),
            *(work(f"c{n}", t0, doi=f"10.5555/c{n}") for n in range(1, 8)),
        ],
        now=t0,
    )
    p_ada, p_bob, p_cy, c1, c2, c3, c4, c5, c6, c7 = paper_ids
    async with db.transaction() as session:
        follows = CitationFollowRepository(session)
        await follows.add(author_id=ada, scope="channel", user_id=USER, channel_id=CHANNEL, now=t0)
        await follows.add(
            author_id=bob,
            scope="channel",
            user_id=USER,
            channel_id=CHANNEL,
            include_self=True,
            now=t0,
        )
        await follows.add(author_id=ada, scope="user", user_id=USER, now=t0)
        await follows.add(author_id=cy, scope="user", user_id=USER, notify="instant", now=t0)
        # A member whose id is the channel's: their own follow is not the channel's.
        await follows.add(author_id=cy, scope="user", user_id=CHANNEL, now=t0)
        # A channel that followed Ada later: earlier citations are never announced to it.
        await follows.add(
            author_id=ada,
            scope="channel",
            user_id=USER,
            channel_id=OTHER_CHANNEL,
            now=t0 + 3 * DAY,
        )
        # A member with a DM digest who follows Ada's papers, not her citations.
        await FollowRepository(session).add(author_id=ada, scope="user", user_id=OTHER_USER, now=t0)
    channel = await schedule(db, "channel", CHANNEL, t0)
    dm = await schedule(db, "dm", USER, t0)
    dm_same_id = await schedule(db, "dm", CHANNEL, t0)
    later = await schedule(db, "channel", OTHER_CHANNEL, t0)
    lonely = await schedule(db, "dm", OTHER_USER, t0)
    async with db.transaction() as session:
        repo = CitationRepository(session)
        for links, found_at in (
            ([NewLink(c4, p_ada, ada, False)], t0 - DAY),  # before the follows: primed
            ([NewLink(c1, p_ada, ada, False), NewLink(c3, p_cy, cy, False)], t0 + DAY),
            ([NewLink(c2, p_ada, ada, True), NewLink(c2, p_bob, bob, True)], t0 + 2 * DAY),
            ([NewLink(c6, p_ada, ada, False)], t0 + 4 * DAY),
            ([NewLink(c7, p_bob, bob, False)], t0 + 7 * DAY),  # at the cut-off: due
            ([NewLink(c5, p_ada, ada, False)], t0 + 7 * DAY + timedelta(seconds=1)),
        ):
            assert await repo.add_links(links, now=found_at) == links
    until = t0 + 7 * DAY

    async with db.reader() as session:
        repo = CitationRepository(session)
        every = await repo.candidates([channel, dm, dm_same_id, later, lonely], until=until)
        only_channel = await repo.candidates([channel, channel], until=until)
        none = await repo.candidates([], until=until)

    assert every == [
        # Ada's self-citation (c2) left out; Bob's kept: his follow keeps them.
        CitationCandidate(channel, c1, p_ada, ada),
        CitationCandidate(channel, c2, p_bob, bob),
        CitationCandidate(channel, c6, p_ada, ada),
        CitationCandidate(channel, c7, p_bob, bob),
        # The member's weekly follow of Ada; their instant one of Cy is not in digests.
        CitationCandidate(dm, c1, p_ada, ada),
        CitationCandidate(dm, c6, p_ada, ada),
        CitationCandidate(dm_same_id, c3, p_cy, cy),
        CitationCandidate(later, c6, p_ada, ada),
    ]
    assert only_channel == [c for c in every if c.schedule_id == channel]
    assert none == []

    # c1 went into the channel's digest: not due there again, still due in the DMs. The
    # next window starts after the cut-off (c2, found exactly at it, is not due again).
    async with db.transaction() as session:
        session.add(DigestCitationItem(schedule_id=channel, citing_paper_id=c1, added_at=t0))
    async with db.reader() as session:
        repo = CitationRepository(session)
        after_item = await repo.candidates([channel, dm], until=until)
    assert after_item == [
        CitationCandidate(channel, c2, p_bob, bob),
        CitationCandidate(channel, c6, p_ada, ada),
        CitationCandidate(channel, c7, p_bob, bob),
        CitationCandidate(dm, c1, p_ada, ada),
        CitationCandidate(dm, c6, p_ada, ada),
    ]
    async with db.transaction() as session:
        await DigestScheduleRepository(session).advance(
            channel, next_digest_at=t0 + 14 * DAY, last_cutoff_at=t0 + 2 * DAY, now=t0
        )
    async with db.reader() as session:
        repo = CitationRepository(session)
        windowed = await repo.candidates([channel], until=t0 + 14 * DAY)
    assert windowed == [
        CitationCandidate(channel, c6, p_ada, ada),
        CitationCandidate(channel, c7, p_bob, bob),
        CitationCandidate(channel, c5, p_ada, ada),
    ]


# --- gained ------------------------------------------------------------------------------


async def test_gained_counts_distinct_citing_works_since_a_time(db: Database, t0: datetime) -> None:
    ada, bob = await authors(db, ["Ada", "Bob"], now=t0)
    p1, p2, p3, c1, c2, c3, c4 = await store(
        db,
        [
            work("p1", t0, arxiv_id="2401.00001"),  # Ada and Bob's
            work("p2", t0, arxiv_id="2401.00002"),
            work("p3", t0, arxiv_id="2401.00003"),
            *(work(f"c{n}", t0, doi=f"10.5555/c{n}") for n in range(1, 5)),
        ],
        now=t0,
    )
    async with db.transaction() as session:
        repo = CitationRepository(session)
        await repo.add_links([NewLink(c4, p1, ada, False)], now=t0 - DAY)
        await repo.add_links(
            [NewLink(c1, p1, ada, False), NewLink(c1, p2, ada, False)], now=t0 + DAY
        )
        await repo.add_links(
            [
                NewLink(c2, p1, ada, True),  # a self-citation counts all the same
                NewLink(c3, p1, ada, False),
                NewLink(c3, p1, bob, False),
            ],
            now=t0 + 2 * DAY,
        )

    async with db.reader() as session:
        repo = CitationRepository(session)
        assert await repo.gained(ada, since=t0) == 3  # c1 (two papers) once, c2, c3
        assert await repo.gained(ada, since=t0 + 2 * DAY) == 2  # from that moment on
        assert await repo.gained(ada, since=t0 - 2 * DAY) == 4
        assert await repo.gained(bob, since=t0) == 1
        assert await repo.gained(bob, since=t0 + 3 * DAY) == 0
        assert await repo.gained_per_paper([p1, p2, p3, p1], since=t0) == {p1: 3, p2: 1}
        assert await repo.gained_per_paper([p1, p2], since=t0 + 2 * DAY) == {p1: 2}
        assert await repo.gained_per_paper([], since=t0) == {}


# --- CitationFollowRepository ------------------------------------------------------------


async def test_following_again_keeps_created_at_and_takes_the_new_settings(
    db: Database, t0: datetime
) -> None:
    (ada,) = await authors(db, ["Ada"], now=t0)
    async with db.transaction() as session:
        repo = CitationFollowRepository(session)
        first, created = await repo.add(author_id=ada, scope="user", user_id=USER, now=t0)
        assert created is True
        assert (first.notify, first.include_self, first.created_at) == ("weekly", False, t0)
        assert first.target_id == USER and first.channel_id is None
    async with db.transaction() as session:
        repo = CitationFollowRepository(session)
        again, created = await repo.add(
            author_id=ada,
            scope="user",
            user_id=USER,
            notify="instant",
            include_self=True,
            now=t0 + DAY,
        )
        assert created is False and again.id == first.id
        assert (again.notify, again.include_self, again.created_at) == ("instant", True, t0)
    async with db.transaction() as session:
        repo = CitationFollowRepository(session)
        back, created = await repo.add(author_id=ada, scope="user", user_id=USER, now=t0 + 2 * DAY)
        assert created is False
        assert (back.notify, back.include_self, back.created_at) == ("weekly", False, t0)
        found = await repo.find(author_id=ada, scope="user", target_id=USER)
        assert found is not None and found.id == first.id
        assert await repo.find(author_id=ada, scope="channel", target_id=USER) is None


async def test_add_refuses_bad_values(db: Database, t0: datetime) -> None:
    (ada,) = await authors(db, ["Ada"], now=t0)
    async with db.transaction() as session:
        repo = CitationFollowRepository(session)
        with pytest.raises(ValueError, match="channel_id"):
            await repo.add(author_id=ada, scope="channel", user_id=USER, now=t0)
        with pytest.raises(ValueError, match="scope"):
            await repo.add(author_id=ada, scope="guild", user_id=USER, now=t0)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="notify"):
            await repo.add(author_id=ada, scope="user", user_id=USER, notify="daily", now=t0)  # type: ignore[arg-type]


async def test_remove_list_watched_instant_and_since(db: Database, t0: datetime) -> None:
    zed, ada, mia, bob, paper_only = await authors(
        db, ["Zed", "Ada", "Mia", "Bob", "Paper Only"], now=t0
    )
    async with db.transaction() as session:
        repo = CitationFollowRepository(session)
        for author, at in ((zed, t0), (ada, t0 + DAY), (mia, t0)):
            await repo.add(author_id=author, scope="user", user_id=USER, now=at)
        await repo.add(author_id=ada, scope="user", user_id=OTHER_USER, notify="instant", now=t0)
        await repo.add(
            author_id=mia,
            scope="channel",
            user_id=OTHER_USER,
            channel_id=USER,  # a channel whose id is the member's: not their own follows
            guild_id=1,
            notify="instant",
            now=t0 + 2 * DAY,
        )
        await repo.add(author_id=bob, scope="user", user_id=OTHER_USER, notify="instant", now=t0)
        await FollowRepository(session).add(
            author_id=paper_only, scope="user", user_id=USER, now=t0
        )

    async with db.reader() as session:
        repo = CitationFollowRepository(session)
        mine = await repo.list_for_target("user", USER)
        channels = await repo.list_for_target("channel", USER)
        watched = await repo.watched_authors()
        instant = await repo.instant_of([ada, mia, ada])
        since = {a: await repo.watched_since(a) for a in (zed, ada, mia, paper_only)}
    assert [(f.author.display_name, f.scope) for f in mine] == [
        ("Ada", "user"),
        ("Mia", "user"),
        ("Zed", "user"),
    ]
    assert [(f.author.display_name, f.guild_id) for f in channels] == [("Mia", 1)]
    assert [a.id for a in watched] == sorted([zed, ada, mia, bob])
    assert [(f.author_id, f.scope, f.target_id) for f in instant] == [
        (ada, "user", OTHER_USER),
        (mia, "channel", USER),
    ]
    assert since == {zed: t0, ada: t0, mia: t0, paper_only: None}

    async with db.transaction() as session:
        repo = CitationFollowRepository(session)
        assert await repo.remove(author_id=zed, scope="user", target_id=USER) is True
        assert await repo.remove(author_id=zed, scope="user", target_id=USER) is False
        assert await repo.remove(author_id=mia, scope="user", target_id=OTHER_USER) is False
        assert await repo.remove(author_id=ada, scope="user", target_id=OTHER_USER) is True
    async with db.reader() as session:
        repo = CitationFollowRepository(session)
        assert [f.author_id for f in await repo.list_for_target("user", USER)] == [ada, mia]
        assert [a.id for a in await repo.watched_authors()] == sorted([ada, mia, bob])
        assert await repo.instant_of([ada, zed]) == []
        assert await repo.watched_since(zed) is None
        assert await repo.watched_since(ada) == t0 + DAY  # the earlier follow is gone
