"""Fixtures for the service tests: sources built by `build_sources` with the database health
recorder, pointed at the fake upstream, and a clock that only moves when told (or when a limiter
or a retry "sleeps" on it). The migrated database (`db`) and `upstream` come from tests/conftest.py.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.names import name_keys
from bot.services.health import DatabaseHealthRecorder
from bot.services.polling import PollingService
from bot.sources.factory import Sources, build_sources
from bot.sources.http_policy import HttpOptions, RetryPolicy, default_user_agent
from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import poller, settings_on


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2024, 5, 4, 6, 0, tzinfo=UTC))


@pytest.fixture
async def sources(
    db: Database, upstream: FakeUpstream, clock: ManualClock
) -> AsyncIterator[Sources]:
    """Every source pointed at the fake upstream, reporting health to the database."""
    settings = settings_on(upstream)
    options = HttpOptions(
        user_agent=default_user_agent(settings.contact_email),
        timeout_seconds=5.0,
        retry=RetryPolicy(max_attempts=2, base_delay=1.0, max_delay=4.0),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
    )
    async with aiohttp.ClientSession() as session:
        yield build_sources(
            settings, session, health=DatabaseHealthRecorder(db), clock=clock, options=options
        )


@pytest.fixture
def service(db: Database, sources: Sources, clock: ManualClock) -> PollingService:
    return poller(db, sources, clock)


@dataclass(frozen=True)
class Dest:
    """Where a follow sends: scope 'user' (a DM to `target`) or 'channel'."""

    scope: str = "user"
    target: int = 111
    notify: str = "instant"
    guild_id: int | None = 9


async def follow_author(
    db: Database,
    name: str,
    *,
    created_at: datetime,
    categories: Sequence[str] = (),
    variants: Sequence[str] = (),
    openalex_id: str | None = None,
    orcid: str | None = None,
    affiliations: Sequence[str] = (),
    destinations: Sequence[Dest] = (Dest(),),
) -> int:
    """Store an author and follows the way the follow service does; returns the author id."""
    async with db.transaction() as session:
        authors = AuthorRepository(session)
        author = await authors.upsert(
            display_name=name,
            now=created_at,
            openalex_id=openalex_id,
            orcid=orcid,
            name_variants=list(variants),
            usual_categories=list(categories),
            affiliations=list(affiliations),
        )
        keys: set[str] = set()
        for variant in (name, *variants):
            found = name_keys(variant)
            keys |= found.full | found.first | found.initial
        await authors.set_name_keys(author.id, sorted(keys))
        # The follow fetched their earlier papers (none here) and learnt the categories.
        await authors.record_history(
            author.id, fetched_at=created_at, confirmed=None, usual_categories=categories
        )
        follows = FollowRepository(session)
        for dest in destinations:
            await follows.add(
                author_id=author.id,
                scope=dest.scope,  # type: ignore[arg-type]
                user_id=dest.target if dest.scope == "user" else 5,
                channel_id=dest.target if dest.scope == "channel" else None,
                guild_id=dest.guild_id,
                notify=dest.notify,  # type: ignore[arg-type]
                now=created_at,
            )
        return author.id
