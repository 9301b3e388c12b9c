"""`/help` as Discord embeds: the commands grouped by section, and the metric definitions."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.render.text import fit_lines


@dataclass(frozen=True)
class HelpEntry:
    section: str
    command: str  # qualified name, e.g. "author profile"
    description: str


METRICS_HELP = (
    "**h-index, citations, works**: lifetime figures from the metrics source (OpenAlex, else "
    "Semantic Scholar), each labelled with its source and date. `n/a` when no source answers.\n"
    "**Papers tracked**: the author's arXiv papers PaperScout knows. Not the same as works.\n"
    "**Primary field**: the most frequent primary arXiv category of the tracked papers.\n"
    "**Novelty %**: the tracked papers in order of first publication; a paper *opens a new "
    "topic* when its text (title and abstract) has cosine similarity below 0.15 to every earlier "
    "paper of the author. TF-IDF fitted on the author's own papers (words of 2+ characters, "
    "English stop words removed, tf = 1 + ln(count), idf = ln((1+n)/(1+df)) + 1, "
    "l2-normalised). Novelty = 100 × new-topic papers / papers after the first. Fewer than 3 "
    "papers: `n/a`.\n"
    "**AI Score** (Academic Impact, 0-100): the mean of three parts, each "
    "100 × ln(1+x) / ln(1+cap), clipped to 0-100: h-index (cap 150), citations received last "
    "calendar year (cap 50,000), papers tracked in the last 24 months (cap 60). An unknown part "
    "is left out; none known: `n/a`."
)


def help_embed(entries: list[HelpEntry]) -> discord.Embed:
    """One field per section, one line per command."""
    embed = discord.Embed(
        title="PaperScout commands",
        description="Follow authors, get their new arXiv papers, read their profiles. "
        "Use `/help topic:metrics` for how every number is computed.",
        colour=discord.Colour.blurple(),
    )
    sections: dict[str, list[str]] = {}
    for entry in entries:
        sections.setdefault(entry.section, []).append(f"`/{entry.command}`: {entry.description}")
    for section, lines in sections.items():
        embed.add_field(name=section, value=fit_lines(lines, 1024), inline=False)
    return embed


def metrics_embed() -> discord.Embed:
    return discord.Embed(
        title="How PaperScout computes metrics",
        description=METRICS_HELP,
        colour=discord.Colour.blurple(),
    )
