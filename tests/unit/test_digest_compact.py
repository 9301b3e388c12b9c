"""The compact digest: grouping by followed author, the split, and the rendered messages
within Discord's limits (pure logic and rendering, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.render.digest_compact import PICKER_OPTIONS, compact_embeds, paper_line
from bot.render.digests import card_size
from bot.render.outbox import carries_marker, message_kwargs
from bot.services.digest_content import CardBook, DigestEntry, parts_from_payload
from bot.services.digests import message_parts
from db.models import Paper, PaperAuthor

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
AUTHORS = {100: "Ada Lovelace", 200: "Grace Hopper", 300: "Émilie du Châtelet"}
# Long real-world shapes: a 200-character title, seven authors, a long category name.
TITLE = "Towards robust " + "and scalable " * 14 + "vision-language models"
CATEGORY = "cs.CV"  # cs.CV · Computer Vision and Pattern Recognition


def paper(paper_id: int, author: str) -> Paper:
    names = ["Alexander Kolesnikov", author, *(f"Coauthor Number{i}" for i in range(5))]
    return Paper(
        id=paper_id,
        arxiv_id=f"2611.{paper_id:05d}",
        version=1,
        title=f"{TITLE} {paper_id}",
        abstract="An abstract. " * 100,
        primary_category=CATEGORY,
        published=NOW,
        updated=NOW,
        first_seen_at=NOW,
        authors=[PaperAuthor(position=i, name=n, affiliations=[]) for i, n in enumerate(names)],
    )


def week_of_60() -> tuple[CardBook, list[DigestEntry]]:
    """60 papers: 30 by Grace Hopper, 20 by Ada Lovelace, 10 by Émilie du Châtelet, in
    mixed order, one of them by Ada and Grace together."""
    book = CardBook(card_size)
    owners = [200, 100, 200, 300, 200, 100] * 10
    book.add([paper(i, AUTHORS[a]) for i, a in enumerate(owners)], AUTHORS)
    entries = [DigestEntry(i, (a,)) for i, a in enumerate(owners)]
    entries[1] = DigestEntry(1, (100, 200))  # Ada and Grace: listed once, under Grace
    return book, entries


def test_a_week_of_60_papers_fits_three_messages_grouped_by_author() -> None:
    book, entries = week_of_60()

    composed = book.compose(entries, "21-28 Nov", style="compact")

    assert composed is not None and composed.paper_count == 60
    assert len(composed.parts) <= 3
    assert parts_from_payload(composed.payload()) == list(composed.parts)
    order = [e.author_ids[0] for part in composed.parts for e in part.entries]
    # Grace (31 papers with the shared one) first, then Ada, then Émilie; each paper once.
    assert order == [200] * 31 + [100] * 19 + [300] * 10
    assert sorted(e.paper_id for p in composed.parts for e in p.entries) == list(range(60))

    messages = [
        message_kwargs(part, f"ref 7.{n}")
        for n, part in enumerate(message_parts(book, composed.parts))
    ]
    total = 0
    for kwargs in messages:
        embeds: list[discord.Embed] = kwargs["embeds"]
        assert 1 <= len(embeds) <= 10
        assert sum(len(e) for e in embeds) <= 6000
        assert all(len(e.description or "") <= 4096 for e in embeds)
        (menu,) = kwargs["view"].children
        assert isinstance(menu, discord.ui.Select) and len(menu.options) <= PICKER_OPTIONS
        assert all(len(o.label) <= 100 and len(o.description or "") <= 100 for o in menu.options)
        assert not kwargs["view"].is_dispatchable()  # not kept by discord.py: the cog answers
        total += sum(len(e) for e in embeds) + len(kwargs["content"] or "")
    assert messages[0]["content"] == "60 new papers from 3 followed authors, 21-28 Nov"
    first = messages[0]["embeds"][0].description or ""
    assert first.startswith("__**Grace Hopper**__\n**[Towards robust")
    # The followed author in bold among the first authors, the category with its name.
    assert "Alexander Kolesnikov, **Grace Hopper** et al. · cs.CV · Computer Vision" in first
    assert total < 60 * 260  # ~4,700 characters for ten papers as full cards


def test_the_marker_is_in_the_menu_not_in_the_text() -> None:
    book, entries = week_of_60()
    composed = book.compose(entries[:3], "28 Nov", style="compact")
    assert composed is not None
    (part,) = message_parts(book, composed.parts)

    kwargs = message_kwargs(part, "ref 12.0")

    shown = (kwargs["content"] or "") + "".join(str(e.to_dict()) for e in kwargs["embeds"])
    assert "ref 12.0" not in shown
    (menu,) = kwargs["view"].children
    assert menu.custom_id == "digest:card:ref 12.0"
    # Grace has all three (one with Ada): one group, in their order.
    assert [o.value for o in menu.options] == ["0", "1", "2"]

    posted = discord.Message.__new__(discord.Message)
    posted.embeds, posted.content = kwargs["embeds"], kwargs["content"]
    posted.components = [discord.ActionRow.__new__(discord.ActionRow)]
    posted.components[0].children = [menu]  # type: ignore[list-item]
    assert carries_marker(posted, "ref 12.0")
    assert not carries_marker(posted, "ref 2.0") and not carries_marker(posted, "ref 12.01")


def test_a_title_with_brackets_or_markdown_stays_one_link() -> None:
    book = CardBook(card_size)
    odd = paper(1, "Ada Lovelace")
    odd.title = "[Re] Attention *is* all you need (again) @everyone"
    book.add([odd], AUTHORS)
    card = book.card(DigestEntry(1, (100,)))

    line = paper_line(card)

    assert line.startswith("**[(Re) Attention \\*is\\* all you need (again) @\u200beveryone](")
    assert "https://arxiv.org/abs/2611.00001)**" in line
    (embed,) = compact_embeds([card])
    assert embed.description == "__**Ada Lovelace**__\n" + line
