"""Author profiles, paper pages and comparisons as Discord embeds, within Discord's limits.

Limits (checked by `embed_chars` and the tests): title 256, description 4096, 25 fields, field
name 256 and value 1024, footer 2048, 6,000 characters per message. Text from outside (names,
titles, abstracts, affiliations) is escaped and cut at a word boundary.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime

import discord

from bot.render.paginator import Page
from bot.render.paper import authors_line, field_text
from bot.render.text import cut, fit_lines, safe_cut
from bot.services.cards import PaperCard
from bot.services.metrics import Score
from bot.services.profile_types import Metrics, NewCitations, PaperPage, Profile
from bot.services.source_labels import source_label

MESSAGE_LIMIT = 6000
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
FIELD_NAME_LIMIT = 256
TITLE_LIMIT = 256
FOOTER_LIMIT = 2048
ABSTRACT_EXCERPT = 300
PAPER_TITLE_LIMIT = 256
OPENALEX_PAGE = "https://openalex.org/"
CHART_FILENAME = "chart.png"
COLOUR = discord.Colour.dark_teal()


def day(moment: datetime | None) -> str:
    """`Dec 4, 2024` (as in docs/product.md#the-profile-card); `?` when unknown."""
    return f"{moment:%b} {moment.day}, {moment.year}" if moment else "?"


def number(value: int | None) -> str:
    return f"{value:,}" if value is not None else "n/a"


def score_text(label: str, score: Score, suffix: str = "") -> str:
    """`Novelty 53%`, or `Novelty n/a (needs 3 papers, has 2)`."""
    if score.value is None:
        return f"{label} n/a ({score.reason})"
    return f"{label} {score.value}{suffix}"


def metrics_line(profile: Profile) -> str:
    """`h-index 117 · 18 papers tracked (250 works) · 13,891 citations · Novelty 53% · AI 43`."""
    metrics = profile.metrics
    tracked = (
        f"{profile.papers_tracked:,} paper{'s' if profile.papers_tracked != 1 else ''} tracked"
    )
    if metrics.known:
        head = [
            f"h-index {number(metrics.h_index)}",
            f"{tracked} ({number(metrics.works_count)} works)",
            f"{number(metrics.citations)} citations",
        ]
    else:
        head = [f"h-index, citations, works: n/a: {metrics.missing_reason}", tracked]
    tail = [score_text("Novelty", profile.novelty, "%"), score_text("AI Score", profile.ai_score)]
    return " · ".join(head + tail)


def primary_field_text(profile: Profile) -> str:
    """`cs.CV · Computer Vision and Pattern Recognition`, or `Ecology (OpenAlex topics)`."""
    label = profile.field_label
    return safe_cut(label, 140) if label else "field n/a (no tracked papers)"


def field_line(profile: Profile) -> str:
    """The primary field and the first affiliation, when known (a comparison's column)."""
    parts = [primary_field_text(profile)]
    if profile.affiliations:
        parts.append(safe_cut(profile.affiliations[0], 120))
    return " · ".join(parts)


def affiliation_line(profile: Profile) -> str:
    """The first affiliation (the card's second line), or that none is known."""
    if profile.affiliations:
        return safe_cut(profile.affiliations[0], 200)
    return "affiliation unknown"


def figures(profile: Profile) -> list[tuple[str, str]]:
    """The six figures the card leads with, as (label, value) inline fields."""
    metrics = profile.metrics

    def scored(score: Score, suffix: str = "") -> str:
        return f"{score.value}{suffix}" if score.value is not None else f"n/a ({score.reason})"

    return [
        ("h-index", number(metrics.h_index)),
        ("Citations", number(metrics.citations)),
        ("Works", number(metrics.works_count)),
        ("Papers tracked", f"{profile.papers_tracked:,}"),
        ("Novelty", scored(profile.novelty, "%")),
        ("AI Score", scored(profile.ai_score)),
    ]


def metrics_source_text(metrics: Metrics) -> str:
    if not metrics.known:
        return f"h-index, citations, works: n/a: {metrics.missing_reason}"
    return f"h-index, citations, works: {metrics.source_label}, as of {day(metrics.as_of)}"


def footer_text(profile: Profile) -> str:
    """One short line: the source and date of the figures (their definitions and the AI
    Score's inputs: `/help topic:metrics` and the description's last line)."""
    metrics = profile.metrics
    first = (
        f"{metrics.source_label}, {day(metrics.as_of)}" if metrics.known else "no metrics source"
    )
    return cut(
        f"h-index, citations, works: {first} · the rest: PaperScout, "
        f"{day(profile.computed_at)} · /help topic:metrics",
        FOOTER_LIMIT,
    )


def new_citations_line(gained: NewCitations) -> str:
    """`New citations: 3 in 7 days, 11 in 30 days · works found citing them, counted Dec 6,
    2026` (PaperScout's own count since their citations were first followed, not the metrics
    source's lifetime figure)."""
    counted = f"counted {day(gained.counted_at)}" if gained.counted_at else "not counted yet"
    return (
        f"New citations: {gained.week:,} in 7 days, {gained.month:,} in 30 days · works found "
        f"citing them since {day(gained.watched_since)}, {counted}"
    )


def ai_inputs_line(profile: Profile) -> str:
    """`-# AI Score from h-index 23, 226 citations in 2025 (OpenAlex), 0 papers in 24 months`:
    what the score was computed from, small under the card's text."""
    year, count = profile.citations_year, profile.citations_last_year
    if year is not None and count is not None and profile.metrics.known:
        cited = f"{number(count)} citations in {year} ({profile.metrics.source_label})"
    elif year is not None:
        cited = f"{year} citations n/a"
    else:
        cited = "last-year citations n/a"
    return (
        f"-# AI Score from h-index {number(profile.metrics.h_index)}, {cited}, "
        f"{number(profile.papers_last_24_months)} papers in 24 months"
    )


def profile_paper_block(card: PaperCard, excerpt: int = ABSTRACT_EXCERPT) -> str:
    """Under a paper's title on the card: its link, category and date, authors, excerpt."""
    head = f"[{card.label}]({card.url}) · {field_text(card)} · {day(card.published)}"
    who = authors_line(card)
    body = safe_cut(card.abstract, excerpt) if excerpt else ""
    return fit_lines([part for part in (head, cut(who, 400), body) if part], FIELD_VALUE_LIMIT)


def paper_block(card: PaperCard, excerpt: int = ABSTRACT_EXCERPT) -> str:
    """Title link, authors (up to 3, et al.) with affiliations, abstract excerpt: <= 1024."""
    affiliations = list(dict.fromkeys(a for author in card.authors for a in author.affiliations))
    who = authors_line(card)
    if affiliations:
        who += " · " + safe_cut(", ".join(affiliations[:2]), 150)
    title = safe_cut(card.title, 200).replace("]", "\\]")
    head = f"[{title}]({card.url})"
    body = safe_cut(card.abstract, excerpt) if excerpt else ""
    return fit_lines([part for part in (head, cut(who, 400), body) if part], FIELD_VALUE_LIMIT)


def paper_heading(card: PaperCard, index: int | None = None) -> str:
    prefix = f"{index}. " if index is not None else ""
    return f"{prefix}{field_text(card)} · {day(card.published)}"


def embed_chars(embed: discord.Embed) -> int:
    """Characters Discord counts towards the 6,000 per message."""
    total = len(embed.title or "") + len(embed.description or "")
    total += len(embed.footer.text or "") if embed.footer else 0
    total += len(embed.author.name or "") if embed.author else 0
    for f in embed.fields:
        total += len(f.name or "") + len(f.value or "")
    return total


def _add_papers(embed: discord.Embed, cards: Sequence[PaperCard], budget: int) -> None:
    """Paper fields, each headed by its title, shortening abstracts until the whole embed
    fits `budget` characters."""
    for excerpt in (ABSTRACT_EXCERPT, 200, 120, 0):
        trial = embed.copy()
        for card in cards:
            trial.add_field(
                name=safe_cut(card.title, PAPER_TITLE_LIMIT),
                value=profile_paper_block(card, excerpt),
                inline=False,
            )
        if embed_chars(trial) <= budget or excerpt == 0:
            for f in trial.fields[len(embed.fields) :]:
                embed.add_field(name=f.name, value=f.value, inline=False)
            return


def profile_embed(profile: Profile, *, chart: bool = True) -> discord.Embed:
    """The profile card, numbers first: the name, the affiliation and the primary field, the
    six figures as inline fields, notices, recent papers headed by their titles, the chart,
    one footer line of sources. The ids are link buttons (`id_links`)."""
    lines = [affiliation_line(profile), primary_field_text(profile)]
    if not profile.metrics.known:
        lines.append(metrics_source_text(profile.metrics))
    lines += [f"⚠️ {safe_cut(n, 300)}" for n in profile.notices]
    if profile.new_citations is not None:
        lines.append(new_citations_line(profile.new_citations))
    lines.append(ai_inputs_line(profile))
    embed = discord.Embed(
        title=safe_cut(profile.name, TITLE_LIMIT),
        url=f"{OPENALEX_PAGE}{profile.openalex_id}" if profile.openalex_id else None,
        description=fit_lines(lines, DESCRIPTION_LIMIT),
        colour=COLOUR,
    )
    for label, value in figures(profile):
        embed.add_field(name=label, value=value, inline=True)
    embed.set_footer(text=footer_text(profile))
    if chart:
        embed.set_image(url=f"attachment://{CHART_FILENAME}")
    if profile.papers:
        _add_papers(embed, profile.papers[:5], MESSAGE_LIMIT - 100)
    else:
        embed.add_field(name="Recent papers", value="No tracked papers yet.", inline=False)
    return embed


def id_links(profile: Profile) -> list[tuple[str, str]]:
    """(label, URL) of the author's pages elsewhere, shown as link buttons under the card."""
    links = []
    if profile.openalex_id:
        links.append(("OpenAlex", f"{OPENALEX_PAGE}{profile.openalex_id}"))
    if profile.orcid:
        links.append(("ORCID", f"https://orcid.org/{profile.orcid}"))
    return links


class ProfileCards:
    """Profile cards built once per `Profile` object: a hot profile is answered without rendering.

    `ProfileService` hands out the same frozen `Profile` while its data is unchanged, so the card
    (about 0.3 ms of escaping and fitting text per render) is built on the first ask and reused
    until the service returns a new `Profile` for that author and data version. The embeds
    returned are shared: senders only serialise them (`Embed.to_dict` copies), nobody edits one.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._cards: OrderedDict[str, tuple[Profile, discord.Embed]] = OrderedDict()

    def card(self, profile: Profile) -> discord.Embed:
        """`profile_embed(profile)` (with the chart), built once per `Profile` object."""
        key = profile.chart_key
        entry = self._cards.get(key)
        if entry is not None and entry[0] is profile:
            self._cards.move_to_end(key)
            return entry[1]
        embed = profile_embed(profile)
        self._cards[key] = (profile, embed)  # holds the profile: its identity stays unique
        self._cards.move_to_end(key)
        while len(self._cards) > self.max_entries:
            self._cards.popitem(last=False)
        return embed


def papers_page_embed(page: PaperPage) -> discord.Embed:
    """One page of `/author papers`: five papers, the sort and the page in the footer.

    A `cited` page says plainly when it can only be newest first (no counts yet)."""
    tracked = f"{page.total:,} tracked paper{'s' if page.total != 1 else ''}"
    embed = discord.Embed(
        title=safe_cut(f"Papers by {page.author_name}", TITLE_LIMIT),
        description=f"{tracked}, {_papers_order(page)}.",
        colour=COLOUR,
    )
    if page.cards:
        start = page.page * 5 + 1
        for offset, card in enumerate(page.cards):
            embed.add_field(
                name=paper_heading(card, start + offset) + _cited_text(page, card),
                value=paper_block(card, 200),
                inline=False,
            )
    else:
        embed.add_field(name="No papers", value="No tracked papers yet.", inline=False)
    embed.set_footer(text=f"Page {page.page + 1} of {page.pages} · sort: {page.sort}")
    return embed


def _cited_text(page: PaperPage, card: PaperCard) -> str:
    """` · 120 citations · 3 new this month` on a `cited` page (nothing on a `recent` one)."""
    if page.sort != "cited" or card.paper_id is None:
        return ""
    parts = []
    if card.paper_id in page.lifetime:
        parts.append(f"{page.lifetime[card.paper_id]:,} citations")
    if page.new_this_month.get(card.paper_id):
        parts.append(f"{page.new_this_month[card.paper_id]:,} new this month")
    return "".join(f" · {p}" for p in parts)


def papers_page(page: PaperPage) -> Page:
    """A page of `/author papers` for the paginator."""
    return Page(papers_page_embed(page), page.page, page.pages)


def _papers_order(page: PaperPage) -> str:
    # Counts come from the daily refresh, so a new author's papers have none yet: the query
    # then falls back to newest first, and the page must not claim a citation order.
    citations_known = page.citations_known
    if page.sort == "recent":
        return "newest first"
    if citations_known == 0:
        return "newest first: no citation counts yet (read daily for followed authors' papers)"
    if citations_known is not None and citations_known >= page.total:
        return "most cited first"
    if citations_known is not None:
        return f"most cited first ({citations_known:,} with a count; the rest follow, newest first)"
    return "most cited first; papers without a citation count yet follow, newest first"


def _column(profile: Profile) -> str:
    metrics = profile.metrics
    rows = [
        field_line(profile),
        f"h-index: {number(metrics.h_index)}",
        f"citations: {number(metrics.citations)}",
        f"works: {number(metrics.works_count)}",
        f"papers tracked: {profile.papers_tracked:,}",
        score_text("Novelty", profile.novelty, "%"),
        score_text("AI Score", profile.ai_score),
    ]
    if not metrics.known:
        rows.append(f"metrics n/a: {metrics.missing_reason}")
    else:
        rows.append(f"{metrics.source_label}, {day(metrics.as_of)}")
    rows += [f"⚠️ {safe_cut(n, 200)}" for n in profile.notices]
    return fit_lines(rows, FIELD_VALUE_LIMIT)


def compare_embed(first: Profile, second: Profile) -> discord.Embed:
    """Two authors' metrics side by side, with one chart."""
    embed = discord.Embed(
        title=safe_cut(f"{first.name} vs {second.name}", TITLE_LIMIT),
        description="Metrics side by side; the chart shows citations and papers per year.",
        colour=COLOUR,
    )
    embed.add_field(name=safe_cut(first.name, FIELD_NAME_LIMIT), value=_column(first))
    embed.add_field(name=safe_cut(second.name, FIELD_NAME_LIMIT), value=_column(second))
    embed.set_image(url=f"attachment://{CHART_FILENAME}")
    sources = sorted({source_label(p.metrics.source) for p in (first, second) if p.metrics.known})
    embed.set_footer(
        text=cut(
            f"Metrics: {', '.join(sources) or 'n/a'}; papers: arXiv via PaperScout, "
            f"{day(first.computed_at)}",
            FOOTER_LIMIT,
        )
    )
    return embed
