"""The profile card stays within Discord's limits whatever the data; charts render once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import discord

from bot.render.chart import ChartCache, profile_chart_png
from bot.render.profile import (
    ProfileCards,
    ai_inputs_line,
    embed_chars,
    field_line,
    figures,
    footer_text,
    metrics_line,
    profile_embed,
)
from bot.services.cards import CardAuthor, PaperCard
from bot.services.metrics import Score
from bot.services.profile_figures import YearPoint
from bot.services.profile_types import Metrics, Profile

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _card(i: int, *, title: str, abstract: str) -> PaperCard:
    return PaperCard(
        arxiv_id=f"2401.{i:05d}",
        version=1,
        title=title,
        url=f"https://arxiv.org/abs/2401.{i:05d}",
        authors=tuple(
            CardAuthor(f"Author {n} " + "Long" * 20, n == 0, ("Inst " * 30,)) for n in range(40)
        ),
        primary_category="cs.CV",
        published=NOW,
        abstract=abstract,
    )


def _profile(**changes: object) -> Profile:
    base = dict(
        author_id=1,
        name="N" * 400,
        openalex_id="A1",
        orcid=None,
        s2_id=None,
        name_variants=(),
        affiliations=("Very long institute " * 30,),
        primary_category="cs.CV",
        usual_categories=("cs.CV",),
        metrics=Metrics(1, 2, 3, (), "openalex", NOW),
        papers_tracked=5,
        novelty=Score(53),
        ai_score=Score(None, "no h-index, citations or papers known"),
        citations_year=2025,
        citations_last_year=None,
        papers_last_24_months=5,
        papers=tuple(_card(i, title="T " * 400, abstract="word " * 2000) for i in range(5)),
        years=(),
        computed_at=NOW,
        version="v",
        notices=("OpenAlex is not answering right now. " * 20,),
    )
    base.update(changes)
    return Profile(**base)  # type: ignore[arg-type]


def test_a_huge_profile_fits_every_discord_limit() -> None:
    embed = profile_embed(_profile())
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)
    assert embed_chars(embed) <= 6000 and len(embed.fields) == 6 + 5  # figures, papers
    assert isinstance(embed, discord.Embed)


def test_metrics_line_and_footer_name_the_numbers() -> None:
    profile = _profile()
    assert metrics_line(profile) == (
        "h-index 1 · 5 papers tracked (3 works) · 2 citations · Novelty 53% · "
        "AI Score n/a (no h-index, citations or papers known)"
    )
    assert footer_text(profile) == (
        "h-index, citations, works: OpenAlex, Nov 28, 2026 · the rest: PaperScout, "
        "Nov 28, 2026 · /help topic:metrics"
    )
    assert "2025 citations n/a" in ai_inputs_line(profile)
    assert dict(figures(profile)) == {
        "h-index": "1",
        "Citations": "2",
        "Works": "3",
        "Papers tracked": "5",
        "Novelty": "53%",
        "AI Score": "n/a (no h-index, citations or papers known)",
    }
    missing = _profile(metrics=Metrics(missing_reason="no metrics source"))
    assert metrics_line(missing).startswith("h-index, citations, works: n/a: no metrics source")


def test_chart_cache_renders_once_for_concurrent_askers() -> None:
    cache = ChartCache()
    calls: list[int] = []
    points = (YearPoint(2024, 10, 1, 2), YearPoint(2025, None, None, 1))

    def render() -> bytes:
        calls.append(1)
        return profile_chart_png("Zoë $x$", points)

    async def ask_many() -> list[bytes]:
        return await asyncio.gather(*(cache.get("k", render) for _ in range(20)))

    results = asyncio.run(ask_many())
    assert len(calls) == 1 and len({id(r) for r in results}) == 1
    assert results[0].startswith(b"\x89PNG\r\n\x1a\n")


def test_profile_cards_build_a_card_once_per_profile_object() -> None:
    cards = ProfileCards(max_entries=2)
    profile = _profile()
    first = cards.card(profile)
    assert first.to_dict() == profile_embed(profile).to_dict()  # the same card as before
    assert cards.card(profile) is first  # reused, not rebuilt
    # A new Profile (new data, or a fresh computation with notices) gets its own card.
    changed = dataclasses.replace(profile, papers_tracked=6)
    second = cards.card(changed)
    assert second is not first
    assert ("Papers tracked", "6") in [(f.name, f.value) for f in second.fields]
    # Bounded: the least recently used card goes.
    for author_id in (2, 3):
        cards.card(dataclasses.replace(profile, author_id=author_id))
    assert cards.card(changed) is not second  # rebuilt


def test_the_field_comes_from_arxiv_unless_few_papers_are_on_arxiv() -> None:
    def field(**changes: object) -> str:
        return field_line(_profile(affiliations=(), **changes))

    computer_vision = "cs.CV · Computer Vision and Pattern Recognition"
    assert field(arxiv_papers=3, topic_field="Ecology") == computer_vision
    assert field(arxiv_papers=1, topic_field="Ecology") == "Ecology (OpenAlex topics)"
    assert field(arxiv_papers=1, topic_field=None) == computer_vision  # nothing better known
    assert field(primary_category=None, topic_field="Ecology") == "Ecology (OpenAlex topics)"
    assert field(primary_category=None, topic_field=None) == "field n/a (no tracked papers)"
    assert field(primary_category=None, topic_field="*Ecology* <@123456789012345678>") == (
        "\\*Ecology\\* <@\u200b123456789012345678> (OpenAlex topics)"
    )
