"""The "now published" lines of a digest: escaped, linked to the DOI, within Discord's limit."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render.outbox import CONTENT_LIMIT, message_kwargs
from bot.render.published import HEADING, published_lines
from bot.services.cards import MessagePart, PaperCard

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def card(i: int, *, title: str = "A title", venue: str | None = "Ecology", doi: str | None = None):  # type: ignore[no-untyped-def]
    return PaperCard(
        arxiv_id=None,
        version=1,
        title=title,
        url=f"https://doi.org/10.1101/{i}",
        authors=(),
        primary_category=None,
        published=NOW,
        abstract="",
        doi=doi if doi is not None else f"10.1002/ece3.{i}",
        venue=venue,
    )


def test_each_paper_is_a_line_with_its_venue_and_doi_link() -> None:
    text = published_lines([card(1), card(2, venue=None)], 2000)
    assert text.split("\n") == [
        HEADING,
        "- A title in Ecology: <https://doi.org/10.1002/ece3.1>",
        "- A title: <https://doi.org/10.1002/ece3.2>",
    ]


def test_outside_text_is_escaped_and_cannot_break_the_link() -> None:
    mention = "<@123456789012345678>"
    title = f"**Bold** {mention} @everyone"
    text = published_lines([card(1, title=title, venue="_Nature_", doi="10.1/a>b c")], 2000)
    line = text.split("\n")[1]
    assert "**Bold**" not in line and mention not in line and "@everyone" not in line
    assert "\\_Nature\\_" in line
    assert line.endswith("<https://doi.org/10.1/a%3Eb%20c>")


def test_many_papers_fit_the_limit_with_a_count_of_the_rest() -> None:
    cards = [card(i, title="T" * 150, venue="V" * 100) for i in range(40)]
    text = published_lines(cards, 1800)
    assert len(text) <= 1800
    shown = text.count("\n- T")
    assert text.endswith(f"- and {40 - shown} more") and shown > 3


def test_a_message_with_a_header_lines_and_marker_stays_within_discord_limits() -> None:
    cards = tuple(card(i, title="T" * 150, venue="V" * 100) for i in range(40))
    part = MessagePart(content="No new papers from followed authors, 21-28 Nov.", published=cards)
    content = message_kwargs(part, "ref 12.0")["content"]
    assert len(content) <= CONTENT_LIMIT
    first, second, *_rest, last = content.split("\n")
    assert (first, second, last) == (part.content, HEADING, "-# ref 12.0")
