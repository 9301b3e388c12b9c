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


START_HERE = (
    "**Start here**\n"
    "1. `/follow author name:` someone whose new papers you want (pick them from the list).\n"
    "2. `/digest me` for a weekly DM of them (or a moderator's `/digest setup` posts a weekly "
    "digest in a channel); `notify:instant` on the follow sends each paper as it appears.\n"
    "3. `/author profile name:` shows their numbers, recent papers and a chart.\n"
    "`/help topic:metrics` says what every number means."
)

METRICS_PLAIN = (
    "**h-index**: the largest *h* such that *h* of their works have been cited at least *h* "
    "times each.\n"
    "**Citations**: how many times their works have been cited, in all.\n"
    "**Works**: how many works (papers, articles, preprints) the metrics source lists for them.\n"
    "**Papers tracked**: the papers PaperScout found and keeps for them (arXiv and other "
    "venues).\n"
    "**Novelty**: how often a new paper of theirs opens a topic they had not written on.\n"
    "**AI Score**: one 0-100 figure of academic impact: h-index, last year's citations and "
    "recent papers together.\n"
    "On the card, h-index, citations and works come from the metrics source (OpenAlex, else "
    "Semantic Scholar) with its date; the rest PaperScout computes, dated in the footer."
)

METRICS_HELP = (
    "**h-index, citations, works**: lifetime figures from the metrics source (OpenAlex, else "
    "Semantic Scholar), each labelled with its source and date. `n/a` when no source answers.\n"
    "**Papers tracked**: the author's papers PaperScout knows. Not the same as works.\n"
    "**Primary field**: the most frequent primary arXiv category of the tracked papers (for an "
    "author with fewer than 3 on arXiv: the field of their OpenAlex topics, said so).\n"
    "**Novelty %**: the tracked papers in order of first publication; a paper *opens a new "
    "topic* when its text (title and abstract) has cosine similarity below 0.15 to every earlier "
    "paper of the author. TF-IDF fitted on the author's own papers (words of 2+ characters, "
    "English stop words removed, tf = 1 + ln(count), idf = ln((1+n)/(1+df)) + 1, "
    "l2-normalised). Novelty = 100 × new-topic papers / papers after the first. Fewer than 3 "
    "papers: `n/a`.\n"
    "**AI Score** (Academic Impact, 0-100): the mean of three parts, each "
    "100 × ln(1+x) / ln(1+cap), clipped to 0-100: h-index (cap 150), citations received last "
    "calendar year (cap 50,000), papers tracked in the last 24 months (cap 60). An unknown part "
    "is left out; none known: `n/a`. The card's last small line names the three inputs."
)


def help_embed(entries: list[HelpEntry]) -> discord.Embed:
    """One field per section, one line per command."""
    embed = discord.Embed(
        title="PaperScout commands",
        description=START_HERE,
        colour=discord.Colour.blurple(),
    )
    sections: dict[str, list[str]] = {}
    for entry in entries:
        sections.setdefault(entry.section, []).append(f"`/{entry.command}`: {entry.description}")
    for section, lines in sections.items():
        embed.add_field(name=section, value=fit_lines(lines, 1024), inline=False)
    return embed


def metrics_embed() -> discord.Embed:
    """One plain sentence per metric, then how each is computed."""
    return discord.Embed(
        title="What the numbers mean",
        description=f"{METRICS_PLAIN}\n\n**How each is computed**\n{METRICS_HELP}",
        colour=discord.Colour.blurple(),
    )
