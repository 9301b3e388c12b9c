"""Only the followed person's papers count: two different people called Andreas Steiner.

`au:"Andreas Steiner"` answers with the synthetic homonym page: the physicist's paper
(cond-mat.str-el), an initial-only "A. Steiner" in cs.CV and a full-name one in cs.AI (both the
vision researcher's), and an initial-only "A. Steiner" in atomic physics (neither). OpenAlex's
works for the vision researcher (A5000000010, synthetic) confirm 2611.30002 and 2611.30003.
Following him must not learn the physicist's category (the homonym guard would then let the
physicist's papers into alerts), and a profile fetched on demand must not show them.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.services.author_fetch import Identity, author_papers, fallback_categories
from bot.services.homonym_guard import FollowedAuthor, FollowedAuthorMatcher
from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.factory import Sources
from bot.sources.models import Paper
from db.database import Database
from db.models import Author, AuthorPaper
from db.models import Paper as StoredPaper
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.papers import built_paper
from tests.harness.services import services_for

STEINER_PAGE = "arxiv_api/synthetic_query_au-Andreas-Steiner_homonyms.atom.xml"
VISION = "A5000000010"
PHYSICIST_PAPER = "2611.30001"
THEIRS = {"2611.30002", "2611.30003"}
WORKS = "/openalex/works"
VISION_WORKS = "openalex/synthetic_works_filter-author-A5000000010_indexed-in-arxiv.json"


def route_steiner_search(upstream: FakeUpstream) -> None:
    """The arXiv name search (no date window) answers with the homonym page; the vision
    Steiner's works at every venue are his arXiv works (the identity call's answer)."""
    upstream.add_route(
        "GET",
        "/api/query",
        fixture=STEINER_PAGE,
        query={"search_query": re.compile(r'^au:"Andreas Steiner"$')},
    )
    upstream.add_route(
        "GET",
        WORKS,
        fixture=VISION_WORKS,
        content_type="application/json",
        query={"filter": f"authorships.author.id:{VISION},from_publication_date:1991-01-01"},
    )


def steiner_papers(upstream: FakeUpstream) -> list[Paper]:
    return list(parse_arxiv_atom(upstream.fixture_bytes(STEINER_PAGE)).papers)


@pytest.fixture
def clock() -> ManualClock:
    """After the synthetic papers and works (November 2026): sources take later dates as unknown."""
    return ManualClock()


async def follow_vision_steiner(
    db: Database, sources: Sources, clock: ManualClock
) -> tuple[tuple[str, ...], bool]:
    service = services_for(db, sources, clock).follows
    resolution = await service.resolve("Andreas Steiner")
    assert resolution.match is not None and resolution.match.openalex_id == VISION
    result = await service.follow(
        resolution.match, scope="me", user_id=111, guild_id=None, channel_id=None
    )
    return result.usual_categories, result.papers_checked


async def stored_links(db: Database) -> set[str]:
    async with db.reader() as session:
        rows = await session.execute(
            select(StoredPaper.arxiv_id).join(AuthorPaper, AuthorPaper.paper_id == StoredPaper.id)
        )
        return set(rows.scalars())


async def test_following_the_vision_steiner_learns_only_his_categories(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    route_steiner_search(upstream)

    categories, checked = await follow_vision_steiner(db, sources, clock)

    assert checked
    assert set(categories) == {"cs.CV", "cs.AI"}  # those of the papers OpenAlex confirms
    # One arXiv search and two OpenAlex works calls, his arXiv works (the identity check) and
    # his works at every venue (besides the name search that resolved him).
    assert len(upstream.requests_to("/api/query")) == 1
    identity, every_venue = sorted(
        upstream.requests_to(WORKS), key=lambda r: "indexed_in" not in r.query["filter"]
    )
    assert identity.query["filter"].endswith("indexed_in:arxiv")
    assert "indexed_in" not in every_venue.query["filter"]
    assert identity.query["per_page"] == every_venue.query["per_page"] == "100"
    # His work not among the arXiv search's papers (2106.10270) is not linked from OpenAlex
    # alone: a work on arXiv joins through its arXiv record.
    assert await stored_links(db) == THEIRS
    # What this protects: the guard (polling's) now keeps the physicist out of his alerts.
    async with db.reader() as session:
        stored = (await session.execute(select(Author))).scalar_one()
    matcher = FollowedAuthorMatcher([FollowedAuthor.from_row(stored)])
    accepted = matcher.decide(matcher.candidates(steiner_papers(upstream))).accepted
    assert {a.paper.arxiv_id for a in accepted} == THEIRS


async def test_a_profile_fetched_on_demand_shows_only_his_papers(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    route_steiner_search(upstream)
    service = services_for(db, sources, clock, semantic_scholar_api_url="").profile

    profile = await service.profile("Andreas Steiner")

    assert profile.openalex_id == VISION
    assert {card.arxiv_id for card in profile.papers} == THEIRS
    assert profile.papers_tracked == 2
    assert PHYSICIST_PAPER not in await stored_links(db)
    assert profile.primary_category in {"cs.CV", "cs.AI"}
    assert len(upstream.requests_to(WORKS)) == 2 and len(upstream.requests_to("/api/query")) == 1


async def test_without_openalex_the_follow_learns_no_category_from_a_split_name(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    route_steiner_search(upstream)
    upstream.add_fault(WORKS, Fault.http_status(503))

    categories, checked = await follow_vision_steiner(db, sources, clock)

    # The full-name matches split 1:1 between cond-mat and cs: nothing is learnt rather than
    # the physicist's field (the guard then keeps full-name matches only: docs/product.md).
    assert categories == ()
    assert not checked  # his works at every venue were not fetched: the next poll tries again


async def test_without_openalex_the_profile_keeps_full_name_matches_only(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    route_steiner_search(upstream)
    upstream.add_fault(WORKS, Fault.http_status(503))
    service = services_for(db, sources, clock, semantic_scholar_api_url="").profile

    profile = await service.profile("Andreas Steiner")

    # Both initial-only matches are out; the physicist's full-name paper is still in: without
    # an identity source nothing tells two people with one full name apart in two archives.
    assert {card.arxiv_id for card in profile.papers} == {PHYSICIST_PAPER, "2611.30003"}


def test_an_unconfirmed_paper_needs_a_coauthor_or_category_of_the_confirmed_ones() -> None:
    papers = [
        built_paper("1", ["Andreas Steiner", "Lucas Beyer"], "cs.CV"),  # confirmed
        built_paper("2", ["A. Steiner", "Ross Wightman"], "eess.IV"),  # co-author from OpenAlex
        built_paper("3", ["A. Steiner", "Xiaohua Zhai"], "cs.CV"),  # same category
        built_paper("4", ["Andreas Steiner", "Hanna Krause"], "cond-mat.str-el"),  # the physicist
        built_paper("5", ["A. Steiner", "Markus Oberthaler"], "physics.atom-ph"),  # neither
    ]
    identity = Identity(frozenset({"1", "9999.99999"}), ("Ross Wightman",))

    found = author_papers(papers, ["Andreas Steiner"], identity)

    assert [p.arxiv_id for p in found.papers] == ["1", "2", "3"]
    assert found.usual_categories == ("cs.CV",) and found.confirmed == 1


def test_name_only_categories_need_one_archive_to_dominate() -> None:
    cs = [built_paper(str(i), ["Wei Wang"], c) for i, c in enumerate(["cs.CV", "cs.LG", "cs.CV"])]
    physics = built_paper("p", ["Wei Wang"], "cond-mat.str-el")
    assert fallback_categories([*cs, physics]) == ("cs.CV", "cs.LG")  # 3 of 4 in cs
    assert fallback_categories([cs[0], physics]) == ()  # 1:1, no telling who is who
    assert fallback_categories([]) == ()
