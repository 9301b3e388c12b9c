"""The daily metrics refresh: followed authors' metrics in one OpenAlex batch call, stored
with their source and date; a failing batch keeps the cached figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from tests.discord.author_support import NOW, author_bot, seed_author
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MEMBER_ID


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        yield server


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_refresh_updates_followed_authors_in_one_batch(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ManualClock(NOW)
    async with author_bot(harness_factory, upstream, database_url=database_url, clock=clock) as h:
        ids = []
        for name, openalex_id in (
            ("Heather Piwowar", "A5048491430"),
            ("Joseph Mearman", "A5017898742"),
        ):
            ids.append(
                await seed_author(
                    h.bot.database,
                    name,
                    openalex_id=openalex_id,
                    metrics_as_of=NOW - timedelta(days=2),
                    h_index=1,
                )
            )
        not_followed = await seed_author(
            h.bot.database,
            "Nobody Follows",
            openalex_id="A5000000009",
            h_index=7,
            metrics_as_of=NOW - timedelta(days=2),
        )
        async with h.bot.database.transaction() as session:
            for author_id in ids:
                await FollowRepository(session).add(
                    author_id=author_id, scope="user", user_id=MEMBER_ID, now=NOW
                )
        clock.set(NOW + timedelta(hours=1))

        report = await h.bot.services.metrics.daily()

        assert (report.authors, report.refreshed, report.failed_batches) == (2, 2, 0)
        assert report.requests == 1 and len(upstream.requests_to("/openalex/authors")) == 1
        request = upstream.requests_to("/openalex/authors")[0]
        assert request.query["filter"] == "openalex:A5048491430|A5017898742"
        async with h.bot.database.reader() as session:
            repo = AuthorRepository(session)
            piwowar, mearman, nobody = [await repo.get(i) for i in (*ids, not_followed)]
        assert piwowar is not None and (piwowar.h_index, piwowar.citations) == (23, 4975)
        assert mearman is not None and mearman.h_index == 2
        assert piwowar.metrics_source == "openalex"
        assert piwowar.metrics_as_of == NOW + timedelta(hours=1)
        assert nobody is not None and nobody.h_index == 7  # not followed: refreshed on view

        upstream.add_fault("/openalex/authors", Fault.http_status(503))
        clock.set(NOW + timedelta(days=1))
        failed = await h.bot.services.metrics.daily()
        assert failed.failed_batches == 1 and failed.refreshed == 0
        async with h.bot.database.reader() as session:
            kept = await AuthorRepository(session).get(ids[0])
        assert kept is not None and kept.h_index == 23
        assert kept.metrics_as_of == NOW + timedelta(hours=1)  # the old date stays with it
