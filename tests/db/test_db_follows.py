"""FollowRepository: idempotent follows, listings per user/channel/server, instant followers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from db.database import Database
from db.models import Author, Follow
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository

GUILD, OTHER_GUILD = 111, 222
CHANNEL, OTHER_CHANNEL = 1_000_000_000_000_000_001, 1_000_000_000_000_000_002
ALICE, BOB = 900_000_000_000_000_001, 900_000_000_000_000_002


async def authors(db: Database, t0: datetime, *names: str) -> list[Author]:
    async with db.transaction() as session:
        repo = AuthorRepository(session)
        return [
            await repo.upsert(display_name=name, openalex_id=f"A{i}", now=t0)
            for i, name in enumerate(names)
        ]


async def test_add_is_idempotent_and_keeps_the_priming_time(db: Database, t0: datetime) -> None:
    (ada,) = await authors(db, t0, "Ada")
    async with db.transaction() as session:
        repo = FollowRepository(session)
        follow, created = await repo.add(
            author_id=ada.id, scope="user", user_id=ALICE, guild_id=GUILD, now=t0
        )
        assert created is True
        assert (follow.target_id, follow.notify, follow.created_at) == (ALICE, "weekly", t0)
        assert follow.author.display_name == "Ada"

        again, created = await repo.add(
            author_id=ada.id,
            scope="user",
            user_id=ALICE,
            guild_id=GUILD,
            notify="instant",
            now=t0 + timedelta(days=1),
        )
    assert created is False
    assert again.id == follow.id
    assert again.notify == "instant"  # changed on request
    assert again.created_at == t0  # priming point kept


async def test_listings(db: Database, t0: datetime) -> None:
    ada, bob, cy = await authors(db, t0, "Ada", "Bob", "Cy")
    async with db.transaction() as session:
        repo = FollowRepository(session)
        await repo.add(author_id=bob.id, scope="user", user_id=ALICE, guild_id=GUILD, now=t0)
        await repo.add(author_id=ada.id, scope="user", user_id=ALICE, guild_id=None, now=t0)
        await repo.add(
            author_id=ada.id,
            scope="channel",
            user_id=BOB,
            channel_id=CHANNEL,
            guild_id=GUILD,
            now=t0,
        )
        await repo.add(
            author_id=cy.id,
            scope="channel",
            user_id=BOB,
            channel_id=OTHER_CHANNEL,
            guild_id=OTHER_GUILD,
            notify="instant",
            now=t0,
        )

    async with db.reader() as session:
        repo = FollowRepository(session)
        mine = await repo.list_for_user(ALICE)
        assert [(f.author.display_name, f.scope) for f in mine] == [
            ("Ada", "user"),
            ("Bob", "user"),
        ]
        assert await repo.list_for_user(BOB) == []
        channel = await repo.list_for_channel(CHANNEL)
        assert [(f.author.display_name, f.user_id) for f in channel] == [("Ada", BOB)]
        # Alice's personal follow of Bob was made in GUILD but is private: not the server's.
        guild = await repo.list_for_guild(GUILD)
        assert [(f.author.display_name, f.scope) for f in guild] == [("Ada", "channel")]
        assert [a.display_name for a in await repo.followed_authors()] == ["Ada", "Bob", "Cy"]
        instant = await repo.instant_followers_of([ada.id, cy.id])
        assert [(f.author_id, f.target_id) for f in instant] == [(cy.id, OTHER_CHANNEL)]
        # Only the server's channel follows: not Bob (followed personally), not Cy (another
        # server's). Names are matched by the service on folded keys, not in SQL.
        assert [a.display_name for a in await repo.authors_in_guild(GUILD)] == ["Ada"]
        assert await repo.authors_in_guild(OTHER_GUILD) != []
        everyone = await repo.follows_of([ada.id, bob.id, cy.id])
        assert sorted({f.author_id for f in everyone}) == sorted({ada.id, bob.id, cy.id})


async def test_remove(db: Database, t0: datetime) -> None:
    ada, bob = await authors(db, t0, "Ada", "Bob")
    async with db.transaction() as session:
        repo = FollowRepository(session)
        await repo.add(author_id=ada.id, scope="user", user_id=ALICE, now=t0)
        await repo.add(author_id=bob.id, scope="user", user_id=ALICE, now=t0)
    async with db.transaction() as session:
        repo = FollowRepository(session)
        assert await repo.remove(author_id=ada.id, scope="user", target_id=ALICE) is True
        assert await repo.remove(author_id=ada.id, scope="user", target_id=ALICE) is False
        assert [f.author_id for f in await repo.list_for_user(ALICE)] == [bob.id]
        assert [a.id for a in await repo.followed_authors()] == [bob.id]


async def test_database_rejects_inconsistent_follows(db: Database, t0: datetime) -> None:
    """CHECK constraints guard the table even against code that bypasses the repository."""
    (ada,) = await authors(db, t0, "Ada")
    bad_rows = [
        {"scope": "server", "target_id": ALICE, "channel_id": None},
        {"scope": "user", "target_id": BOB, "channel_id": None},  # target is not the user
        {"scope": "channel", "target_id": CHANNEL, "channel_id": None},
    ]
    for values in bad_rows:
        with pytest.raises(IntegrityError):
            async with db.transaction() as session:
                session.add(Follow(author_id=ada.id, user_id=ALICE, created_at=t0, **values))
    with pytest.raises(ValueError, match="channel_id"):
        async with db.transaction() as session:
            await FollowRepository(session).add(
                author_id=ada.id, scope="channel", user_id=ALICE, now=t0
            )


async def test_find_one_follow_and_list_by_target(db: Database, t0: datetime) -> None:
    ada, bob = await authors(db, t0, "Ada", "Bob")
    async with db.transaction() as session:
        repo = FollowRepository(session)
        await repo.add(author_id=ada.id, scope="user", user_id=ALICE, now=t0, notify="instant")
        await repo.add(author_id=bob.id, scope="channel", user_id=ALICE, channel_id=CHANNEL, now=t0)
    async with db.reader() as session:
        repo = FollowRepository(session)
        mine = await repo.find(author_id=ada.id, scope="user", target_id=ALICE)
        assert mine is not None and mine.notify == "instant"
        assert await repo.find(author_id=ada.id, scope="channel", target_id=ALICE) is None
        assert await repo.find(author_id=bob.id, scope="user", target_id=ALICE) is None
        assert [f.author.display_name for f in await repo.list_for_target("user", ALICE)] == ["Ada"]
        assert [f.author.display_name for f in await repo.list_for_target("channel", CHANNEL)] == [
            "Bob"
        ]
