"""A paper stored before a digest cut-off for someone else, and linked to a followed author only
after it, is in the next digest: the digest window is on the link, not on the first sighting."""

from __future__ import annotations

from datetime import timedelta

from bot.services.author_fetch import store_identity
from bot.services.cutoff_fence import CutoffFence
from bot.sources.factory import Sources
from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import digest_service, poller
from tests.harness.services import planner as make_planner
from tests.services.test_digest_poll_race import CHANNEL, DIGEST_AT, digest_papers
from tests.services.test_polling_cycle import (
    ANNOUNCED,
    NOW,
    follow_del_maestro,
    paper_ids,
    route_del_maestro,
)

EARLY = "2404.02222"  # one of the papers the poll finds for him


async def test_a_paper_linked_after_the_cutoff_is_in_the_next_digest(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    assert EARLY in ANNOUNCED
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    await digest_service(db, clock).setup_channel(
        guild_id=9,
        channel_id=CHANNEL,
        weekday=DIGEST_AT.weekday(),
        time_text=f"{DIGEST_AT:%H:%M}",
        timezone="UTC",
        user_id=5,
    )
    fence = CutoffFence(clock)
    # An hour before the digest, a profile of an unfollowed co-author stores the paper.
    clock.set(NOW - timedelta(hours=1))
    async with fence.storing(db) as (session, stamp):
        coauthor = await store_identity(
            AuthorRepository(session), display_name="Some Coauthor", now=stamp
        )
        papers = PaperRepository(session)
        stored = await papers.upsert_many(
            [
                PaperRecord(
                    EARLY,
                    "Stored early",
                    NOW - timedelta(days=3),
                    NOW - timedelta(days=3),
                    "cond-mat.quant-gas",
                    authors=(
                        PaperAuthorRecord("Some Coauthor"),
                        PaperAuthorRecord("Adrian Del Maestro"),
                    ),
                )
            ],
            now=stamp,
        )
        await papers.link_authors([(coauthor.id, stored.ids[EARLY], "profile")], now=stamp)
    planner = make_planner(db, clock, fence=fence)
    clock.set(DIGEST_AT)
    assert (await planner.plan_due()).planned == 1  # nothing of his linked yet

    clock.set(DIGEST_AT + timedelta(hours=1))  # the poll links it (and the rest) to him
    summary = await poller(db, sources, clock, fence=fence).run_cycle()
    assert summary.errors == []
    clock.advance(timedelta(days=7))
    assert (await planner.plan_due()).planned == 1

    ids = await paper_ids(db)
    counted = await digest_papers(db)
    assert {a: counted[ids[a]] for a in ANNOUNCED} == {a: 1 for a in ANNOUNCED}
