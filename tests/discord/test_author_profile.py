"""`/author profile` end to end: the real bot, the fake Discord, the fake upstream.

What the user sees (embed fields, the chart attachment, the buttons) and what is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.render import profile as render_profile
from db.repositories.authors import AuthorRepository
from db.repositories.papers import PaperRepository
from tests.discord.author_support import (
    NOW,
    FixedClock,
    assert_within_discord_limits,
    author_bot,
    buttons,
    decode_png,
    figures,
    links,
    paper,
    paper_titles,
    seed_author,
)
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.fixtures import HarnessFactory


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        yield server


def chart_bytes(h, message) -> bytes:  # type: ignore[no-untyped-def]
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "chart.png" and attachment["content_type"] == "image/png"
    return h.fake.attachment_bytes[attachment["id"]]


async def test_profile_of_a_new_author_is_fetched_stored_and_shown(
    harness_factory: HarnessFactory,
    upstream: FakeUpstream,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    build = render_profile.profile_embed
    monkeypatch.setattr(
        render_profile, "profile_embed", lambda p, **kw: built.append(p) or build(p, **kw)
    )
    async with author_bot(harness_factory, upstream, database_url=database_url) as h:
        ex = await h.slash("author profile", name="Heather Piwowar")

        assert ex.callback_type == 5  # deferred before any upstream call
        message = ex.original_message
        (embed,) = message["embeds"]
        assert embed["title"] == "Heather Piwowar"
        assert embed["url"] == "https://openalex.org/A5048491430"
        lines = embed["description"].split("\n")
        assert lines[0] == "OpenAlex"  # her affiliation, on its own line
        assert lines[1] == "cs.DL · Digital Libraries"  # primary field: 3 of 4 papers cs.DL
        assert lines[-1].startswith("-# AI Score from h-index 23, 226 citations in 2025 (OpenAlex)")
        # The numbers first; 4 of the 5 arXiv results are hers (the astro-ph homonym is not).
        shown = figures(embed)
        assert list(shown) == [
            "h-index",
            "Citations",
            "Works",
            "Papers tracked",
            "Novelty",
            "AI Score",
        ]
        assert [shown[k] for k in ("h-index", "Citations", "Works", "Papers tracked")] == [
            "23",
            "4,975",
            "96",
            "4",
        ]
        assert shown["Novelty"].endswith("%") and "n/a" not in shown["AI Score"]
        assert paper_titles(embed) == [
            "Open access trends in the scholarly record, 2014-2024",
            "Who cites data? Reuse of shared research datasets",
            "Incentives for data sharing in the life sciences",
            "An index of open scholarly works",
        ]
        first = next(f["value"] for f in embed["fields"] if not f["inline"])
        assert first.startswith(
            "[arXiv:2409.01234v1](https://arxiv.org/abs/2409.01234) · cs.DL · Digital Libraries · "
            "Sep 2, 2024"
        )
        assert "**Heather Piwowar**" in first
        footer = embed["footer"]["text"]
        assert footer == (
            "h-index, citations, works: OpenAlex, Nov 28, 2026 · the rest: PaperScout, "
            "Nov 28, 2026 · /help topic:metrics"
        )
        assert links(message) == {
            "OpenAlex": "https://openalex.org/A5048491430",
            "ORCID": "https://orcid.org/0000-0003-1613-5981",
        }
        assert_within_discord_limits(embed)
        assert embed["image"]["url"] == "attachment://chart.png"
        assert decode_png(chart_bytes(h, message)) == (800, 520)
        author_id = next(iter(buttons(message))).rsplit(":", 1)[1]
        assert set(buttons(message)) == {
            f"profile:{action}:{author_id}" for action in ("follow", "papers", "compare")
        }
        assert message["flags"] & 64 == 0  # the profile is for the channel

        async with h.bot.database.reader() as session:
            author = await AuthorRepository(session).get_by_openalex_id("A5048491430")
            assert author is not None and author.h_index == 23 and author.citations == 4975
            assert author.metrics_source == "openalex" and author.metrics_as_of == NOW
            assert await PaperRepository(session).count_for_author(author.id) == 4
            stored = await PaperRepository(session).get_by_arxiv_id("2409.01234")
            assert stored is not None and stored.primary_category == "cs.DL"

        # Asked again: served from what is stored, no new upstream request.
        before = len(upstream.requests)
        again = await h.slash("author profile", name="Heather Piwowar")
        assert again.callback_type == 4  # hot in memory: answered at once, no defer needed
        assert again.original_message["embeds"][0]["description"] == embed["description"]
        assert len(upstream.requests) == before
        # The hot answer is the same card (built once, reused), chart and buttons included.
        third = await h.slash("author profile", name="Heather Piwowar")
        assert len(built) == 1
        for hot in (again, third):
            shown = hot.original_message
            assert shown["embeds"] == message["embeds"]
            assert chart_bytes(h, shown) == chart_bytes(h, message)
            assert shown["components"] == message["components"]


async def test_profile_by_autocomplete_value_uses_the_openalex_id(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    async with author_bot(harness_factory, upstream) as h:
        ex = await h.slash("author profile", name="openalex:A5048491430")
        (embed,) = ex.original_message["embeds"]
        assert embed["title"] == "Heather Piwowar"
        assert upstream.requests_to("/openalex/authors/A5048491430")


async def test_autocomplete_offers_openalex_candidates(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    async with author_bot(harness_factory, upstream) as h:
        ex = await h.autocomplete("author profile", focused="name", name="piwowar")
        values = [c["value"] for c in ex.choices]
        assert "openalex:A5048491430" in values
        assert all(len(c["name"]) <= 100 for c in ex.choices)


async def test_no_metrics_source_configured_says_so_and_shows_no_number(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    async with author_bot(
        harness_factory, upstream, openalex_api_url="", semantic_scholar_api_url=""
    ) as h:
        ex = await h.slash("author profile", name="Heather Piwowar")
        (embed,) = ex.original_message["embeds"]
        lines = embed["description"].split("\n")
        assert lines[2] == "h-index, citations, works: n/a: no metrics source"
        shown = figures(embed)
        assert [shown[k] for k in ("h-index", "Citations", "Works", "Papers tracked")] == [
            "n/a",
            "n/a",
            "n/a",
            "4",
        ]
        assert "h-index, citations, works: no metrics source" in embed["footer"]["text"]
        # AI Score still has one known part: papers in the last 24 months (0 here).
        assert shown["AI Score"] == "0"
        assert not upstream.requests_to("/openalex")
        decode_png(chart_bytes(h, ex.original_message))


async def test_upstream_down_shows_cached_metrics_with_their_date(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = FixedClock()
    async with author_bot(harness_factory, upstream, database_url=database_url, clock=clock) as h:
        await seed_author(
            h.bot.database,
            "Heather Piwowar",
            [
                paper(
                    "2101.00001",
                    title="Open data",
                    published=NOW - timedelta(days=40),
                    authors=["Heather Piwowar"],
                )
            ],
            openalex_id="A5048491430",
            metrics_as_of=NOW - timedelta(days=3),
            h_index=21,
        )
        upstream.add_fault("/openalex/authors/A5048491430", Fault.http_status(503))
        ex = await h.slash("author profile", name="Heather Piwowar")
        (embed,) = ex.original_message["embeds"]
        description = embed["description"]
        assert figures(embed)["h-index"] == "21"  # the cached value, not a made-up one
        assert "OpenAlex is not answering right now." in description
        assert "Showing the metrics cached on 25 Nov 2026." in description
        assert "h-index, citations, works: OpenAlex, Nov 25, 2026" in embed["footer"]["text"]


async def test_new_author_while_every_source_is_down_is_a_clear_private_message(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    async with author_bot(harness_factory, upstream) as h:
        upstream.add_fault(None, Fault.http_status(503))
        ex = await h.slash("author profile", name="Heather Piwowar")
        (message,) = ex.user_messages
        assert message["flags"] & 64
        assert "not answering" in message["content"] and "Try again" in message["content"]
        assert not message.get("embeds")


async def test_unknown_name_is_not_found_and_nothing_is_stored(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/legacy2024_query_empty.atom.xml",
        query={"search_query": 'au:"Zyxwvut Qqqq"'},
    )
    async with author_bot(harness_factory, upstream) as h:
        ex = await h.slash("author profile", name="Zyxwvut Qqqq")
        (message,) = ex.user_messages
        assert message["flags"] & 64 and "No author found" in message["content"]
        async with h.bot.database.reader() as session:
            assert await AuthorRepository(session).find_by_name_keys(["zyxwvut qqqq"]) == {}


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("   ", "empty"),
        ("x" * 1000, "1,000 characters"),
        ("@everyone", "mentions"),
        ("**Bold** Name", "formatting"),
    ],
)
async def test_bad_names_get_a_short_private_message_without_deferring(
    harness_factory: HarnessFactory, upstream: FakeUpstream, name: str, problem: str
) -> None:
    async with author_bot(harness_factory, upstream) as h:
        ex = await h.slash("author profile", name=name)
        assert ex.callback_type == 4 and ex.callback.json["data"]["flags"] == 64
        assert problem in ex.callback.json["data"]["content"]
        assert not upstream.requests


async def test_no_papers_and_one_or_two_papers_give_novelty_na(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    async with author_bot(harness_factory, upstream) as h:
        await seed_author(h.bot.database, "Nora Nopapers")
        await seed_author(
            h.bot.database,
            "Tess Twopapers",
            [
                paper(
                    "2401.00001",
                    title="First idea",
                    published=NOW - timedelta(days=300),
                    authors=["Tess Twopapers"],
                    category="cs.CL",
                ),
                paper(
                    "2402.00002",
                    title="Second idea",
                    published=NOW - timedelta(days=200),
                    authors=["Tess Twopapers"],
                    category="cs.CL",
                ),
            ],
        )
        none = (await h.slash("author profile", name="Nora Nopapers")).original_message
        (embed,) = none["embeds"]
        assert "field n/a (no tracked papers)" in embed["description"]
        assert figures(embed)["Papers tracked"] == "0"
        assert figures(embed)["Novelty"] == "n/a (needs 3 papers, has 0)"
        assert [f for f in embed["fields"] if not f["inline"]] == [
            {"name": "Recent papers", "value": "No tracked papers yet.", "inline": False}
        ]
        decode_png(chart_bytes(h, none))

        two = (await h.slash("author profile", name="Tess Twopapers")).original_message
        description = two["embeds"][0]["description"]
        assert description.split("\n")[1].startswith("cs.CL · Computation and Language")
        assert figures(two["embeds"][0])["Novelty"] == "n/a (needs 3 papers, has 2)"
        assert figures(two["embeds"][0])["Papers tracked"] == "2"


async def test_unknown_last_year_citations_are_left_out_of_the_ai_score(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    async with author_bot(harness_factory, upstream) as h:
        await seed_author(
            h.bot.database,
            "Una Uncited",
            counts_by_year=[{"year": 2023, "works_count": 1, "cited_by_count": 10}],
            h_index=150,
        )
        embed = (await h.slash("author profile", name="Una Uncited")).original_message["embeds"][0]
        # h-index 150 -> part 100; 2025 citations unknown -> left out; 0 papers -> part 0.
        assert figures(embed)["AI Score"] == "50"
        assert "2025 citations n/a" in embed["description"].split("\n")[-1]


async def test_accented_names_and_very_long_titles(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    long_title = "Über " + "sehr lange Titel mit @everyone und *Sternchen* " * 30
    async with author_bot(harness_factory, upstream) as h:
        await seed_author(
            h.bot.database,
            "André Susano Pinto",
            [
                paper(
                    f"2403.0000{i}",
                    title=long_title + str(i),
                    published=NOW - timedelta(days=i),
                    authors=["André Susano Pinto", "Zoë Ætherington"],
                    category="cs.CV",
                    abstract="Abstract " * 400,
                )
                for i in range(1, 6)
            ],
            affiliations=["Google DeepMind"],
        )
        ex = await h.slash("author profile", name="Andre Susano Pinto")  # typed without accent
        (embed,) = ex.original_message["embeds"]
        assert embed["title"] == "André Susano Pinto"
        assert embed["description"].split("\n")[:2] == [
            "Google DeepMind",
            "cs.CV · Computer Vision and Pattern Recognition",
        ]
        assert len(paper_titles(embed)) == 5
        for title in paper_titles(embed):  # the titles head the paper fields
            assert "@everyone" not in title and "@\u200beveryone" in title
            assert "\\*Sternchen\\*" in title
            assert len(title) <= 256 and title.endswith("…")  # cut at a word, marked
        assert_within_discord_limits(embed)
        followup = ex.followups[-1]
        assert followup.json["allowed_mentions"]["parse"] == []
