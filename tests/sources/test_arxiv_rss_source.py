"""`ArxivRssSource` against the fake upstream: listings, weekend, error feed, conditional GET."""

from __future__ import annotations

import pytest

from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.errors import FeedError
from bot.sources.models import PaperAuthor, Validators
from tests.harness.fake_upstream import FakeUpstream, rss_feed, rss_item
from tests.harness.health import InMemoryHealthRecorder

ALL_ARCHIVES = (
    "astro-ph cond-mat physics quant-ph math cs econ eess gr-qc hep-ex hep-lat hep-ph hep-th "
    "math-ph nlin nucl-ex nucl-th q-bio q-fin stat"
).split()


async def test_all_archives_listing_joined_with_plus(
    arxiv_rss: ArxivRssSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    listing = await arxiv_rss.fetch_listing(ALL_ARCHIVES)
    (request,) = upstream.requests_to("/rss/")
    assert request.path == "/rss/" + "+".join(ALL_ARCHIVES)
    assert len(listing.papers) == 36
    assert listing.categories == tuple(ALL_ARCHIVES)
    assert {p.announce_type for p in listing.papers} == {"new", "cross", "replace"}
    remy = next(p for p in listing.papers if p.arxiv_id == "2411.17748")
    assert PaperAuthor("Benjamin Rémy", ("LEMTA",)) in remy.authors
    assert not listing.not_modified
    assert health.get("arxiv_rss").last_success_at is not None


async def test_single_category_with_every_announce_type(arxiv_rss: ArxivRssSource) -> None:
    listing = await arxiv_rss.fetch_listing(["cs.CV"])
    assert [(p.arxiv_id, p.version, p.announce_type) for p in listing.papers] == [
        ("2611.20001", 1, "new"),
        ("2611.20002", 1, "cross"),
        ("2409.01234", 3, "replace"),
        ("2407.05678", 2, "replace-cross"),
    ]
    assert listing.papers[1].authors[1] == PaperAuthor(
        "François Fleuret", ("Université de Genève",)
    )


async def test_weekend_feed_is_empty_not_an_error(arxiv_rss: ArxivRssSource) -> None:
    listing = await arxiv_rss.fetch_listing(["test"])
    assert listing.papers == ()
    assert listing.announced is not None


async def test_unknown_archive_error_feed_400(
    arxiv_rss: ArxivRssSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    with pytest.raises(FeedError, match="Bad archive 'astroph'") as caught:
        await arxiv_rss.fetch_listing(["astroph"])
    assert caught.value.status == 400
    assert len(upstream.requests_to("/rss/")) == 1  # not retried
    assert health.get("arxiv_rss").last_error_kind == "feed_error"


async def test_hundreds_of_creators(arxiv_rss: ArxivRssSource, upstream: FakeUpstream) -> None:
    names = [f"Member{i} Collab{i}" for i in range(300)]
    creators = ", ".join(
        f"{n} (Lab {i}, City, Country)" if i % 2 else n for i, n in enumerate(names)
    )
    # Synthetic feed: one item whose dc:creator lists 300 authors.
    upstream.add_route(
        "GET", "/rss/hep-ex", body=rss_feed(["hep-ex"], [rss_item("2611.30000", creators=creators)])
    )
    (paper,) = (await arxiv_rss.fetch_listing(["hep-ex"])).papers
    assert [a.name for a in paper.authors] == names
    assert paper.authors[1].affiliations == ("Lab 1, City, Country",)


@pytest.mark.parametrize("bad", [[], [""], ["cs CV"], ["cs.CV/../x"], ["cs.CV+math"]])
async def test_malformed_categories_are_refused_before_any_request(
    arxiv_rss: ArxivRssSource, upstream: FakeUpstream, bad: list[str]
) -> None:
    with pytest.raises(ValueError):
        await arxiv_rss.fetch_listing(bad)
    assert upstream.requests == []


async def test_conditional_get_round_trip(
    arxiv_rss: ArxivRssSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    upstream.add_route(
        "GET",
        "/rss/cs.CV",
        fixture="arxiv_rss/synthetic_rss_cs-CV_replace-cross.xml",
        conditional=True,
    )
    first = await arxiv_rss.fetch_listing(["cs.CV"])
    assert len(first.papers) == 4
    assert first.validators.etag and first.validators.last_modified

    second = await arxiv_rss.fetch_listing(["cs.CV"], validators=first.validators)
    assert second.not_modified and second.papers == ()
    assert second.validators == first.validators
    sent = upstream.requests_to("/rss/cs.CV")[-1]
    assert sent.header("If-None-Match") == first.validators.etag
    assert sent.status == 304

    by_date = await arxiv_rss.fetch_listing(
        ["cs.CV"], validators=Validators(last_modified=first.validators.last_modified)
    )
    assert by_date.not_modified

    stale = await arxiv_rss.fetch_listing(["cs.CV"], validators=Validators(etag='"old"'))
    assert not stale.not_modified and len(stale.papers) == 4
    assert upstream.requests_to("/rss/cs.CV")[-1].status == 200
    assert health.get("arxiv_rss").consecutive_failures == 0


async def test_without_validators_no_conditional_headers(
    arxiv_rss: ArxivRssSource, upstream: FakeUpstream
) -> None:
    await arxiv_rss.fetch_listing(["cs.CV"])
    (sent,) = upstream.requests_to("/rss/cs.CV")
    assert sent.header("If-None-Match") is None and sent.header("If-Modified-Since") is None
