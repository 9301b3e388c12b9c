"""A digest's "New citations" and citation alerts: grouping, composing, the stored payload,
and the rendered messages within Discord's limits (pure logic and rendering, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.render.citations import TITLE, citations_embed
from bot.render.digests import card_size
from bot.render.outbox import message_kwargs
from bot.services.cards import MessagePart, paper_card
from bot.services.digest_content import (
    CITED_PER_MESSAGE,
    CITING_LISTED,
    CardBook,
    CitedGroup,
    DigestEntry,
    group_citations,
    parts_from_payload,
)
from bot.services.digests import message_parts
from bot.services.outbox_parts import citation_alert_text
from db.models import Paper, PaperAuthor
from db.repositories.citations import CitationCandidate

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
RANGE = "21-28 Nov"
AUTHORS = {100: "Ada Lovelace"}


def arxiv_paper(paper_id: int, title: str = "A watched paper") -> Paper:
    return Paper(
        id=paper_id,
        arxiv_id=f"2611.{paper_id:05d}",
        version=1,
        title=title,
        abstract="Short.",
        primary_category="cs.DL",
        published=NOW,
        updated=NOW,
        first_seen_at=NOW,
        authors=[PaperAuthor(position=0, name="Ada Lovelace", affiliations=[])],
    )


def journal_paper(
    paper_id: int,
    title: str = "A citing work",
    *,
    names: list[str] | None = None,
    venue: str = "Scientific Data",
    url: str | None = None,
) -> Paper:
    """A citing work as OpenAlex gives it: a DOI, a venue, no arXiv category."""
    names = names if names is not None else ["Jane Q. Doe", "John Roe"]
    return Paper(
        id=paper_id,
        arxiv_id=None,
        version=1,
        title=title,
        abstract="",
        primary_category=None,
        published=NOW,
        updated=NOW,
        first_seen_at=NOW,
        doi=f"10.5555/synthetic.citing.{paper_id}",
        venue=venue,
        url=url,
        authors=[PaperAuthor(position=i, name=n, affiliations=[]) for i, n in enumerate(names)],
    )


# --- group_citations ---------------------------------------------------------------------


def test_each_citing_work_is_listed_once_under_its_most_cited_paper() -> None:
    a, b, c = 1, 2, 3
    grouped = group_citations(
        [
            CitationCandidate(1, 10, a, 100),
            CitationCandidate(1, 10, b, 100),
            CitationCandidate(1, 10, b, 200),  # b is also another watched author's paper
            CitationCandidate(1, 11, b, 100),
            CitationCandidate(1, 12, b, 100),
            CitationCandidate(1, 13, c, 100),
            CitationCandidate(1, 14, a, 100),
            CitationCandidate(2, 10, a, 100),
            CitationCandidate(2, 15, c, 100),
            CitationCandidate(2, 16, c, 100),
        ]
    )
    assert grouped == {
        # b: 3 works cite it (10, 11, 12), a: 2 (10, 14), c: 1; 10 goes under b.
        1: [CitedGroup(b, (10, 11, 12)), CitedGroup(a, (14,)), CitedGroup(c, (13,))],
        2: [CitedGroup(c, (15, 16)), CitedGroup(a, (10,))],
    }
    assert group_citations([]) == {}


def test_a_tie_goes_to_the_lower_paper_id_and_groups_tie_the_same_way() -> None:
    grouped = group_citations(
        [
            CitationCandidate(1, 20, 9, 100),
            CitationCandidate(1, 20, 4, 100),
            CitationCandidate(1, 21, 7, 100),
        ]
    )
    assert grouped == {1: [CitedGroup(4, (20,)), CitedGroup(7, (21,))]}


# --- CardBook.compose --------------------------------------------------------------------


def book_with(cited: range, citing: range, papers: range = range(0)) -> CardBook:
    book = CardBook(card_size)
    book.add(
        [arxiv_paper(p) for p in (*papers, *cited)] + [journal_paper(p) for p in citing],
        AUTHORS,
    )
    return book


def test_citation_messages_follow_the_papers_and_the_published_ones() -> None:
    book = book_with(cited=range(50, 56), citing=range(60, 80), papers=range(1, 4))
    groups = [CitedGroup(50 + g, (60 + 3 * g, 61 + 3 * g, 62 + 3 * g)) for g in range(6)]
    groups.append(CitedGroup(99, (78,)))  # the cited paper is gone: left out
    groups.append(CitedGroup(55, (98, 79)))  # a citing work gone: left out of its group
    groups.append(CitedGroup(54, (97,)))  # every citing work gone: the group too

    composed = book.compose(
        [DigestEntry(p, (100,)) for p in (1, 2, 3)],
        RANGE,
        published=[2],
        citations=groups,
    )

    assert composed is not None and (composed.paper_count, composed.author_count) == (3, 1)
    papers, published, *cited = composed.parts
    assert papers.content.startswith("3 new papers") and len(papers.entries) == 3
    assert (published.entries, published.published, published.citations) == ((), (2,), ())
    kept = [*groups[:6], CitedGroup(55, (79,))]
    assert [part.citations for part in cited] == [tuple(kept[:4]), tuple(kept[4:])]
    assert CITED_PER_MESSAGE == 4
    assert all(part.content == "" and part.entries == () for part in cited)
    assert parts_from_payload(composed.payload()) == list(composed.parts)
    assert composed.payload()[-1] == {
        "content": "",
        "cards": [],
        "citations": [
            {"cited": 54, "by": [72, 73, 74]},
            {"cited": 55, "by": [75, 76, 77]},
            {"cited": 55, "by": [79]},
        ],
    }
    assert composed.citing_paper_ids == [*range(60, 78), 79]
    assert composed.paper_ids == [1, 2, 3]


def test_a_week_with_only_citations_is_posted_even_when_empty_weeks_are_not() -> None:
    book = book_with(cited=range(50, 51), citing=range(60, 62))

    composed = book.compose([], RANGE, post_when_empty=False, citations=[CitedGroup(50, (60, 61))])

    assert composed is not None and composed.paper_count == 0
    # One message: the quiet week's line heads the citations.
    (only,) = composed.parts
    assert only.content == f"No new papers from followed authors, {RANGE}."
    assert only.citations == (CitedGroup(50, (60, 61)),)
    assert composed.citing_paper_ids == [60, 61]
    assert parts_from_payload(composed.payload()) == list(composed.parts)
    # When empty weeks are posted, the same.
    posted = book.compose([], RANGE, citations=[CitedGroup(50, (60, 61))])
    assert posted is not None and posted.parts == composed.parts


def test_nothing_at_all_is_no_digest_when_empty_weeks_are_not_posted() -> None:
    book = book_with(cited=range(50, 51), citing=range(60, 61))
    assert book.compose([], RANGE, post_when_empty=False) is None
    assert book.compose([], RANGE, post_when_empty=False, citations=[]) is None
    # Citations whose works are all gone count as nothing.
    gone = [CitedGroup(50, (98,)), CitedGroup(99, (60,))]
    assert book.compose([], RANGE, post_when_empty=False, citations=gone) is None
    empty = book.compose([], RANGE, citations=gone)
    assert empty is not None and len(empty.parts) == 1 and empty.citing_paper_ids == []


def test_a_payload_without_citations_reads_back_without_them() -> None:
    """Digests planned before citation alerts had no `citations` key."""
    (part,) = parts_from_payload([{"content": "x", "cards": [{"paper": 1, "why": [100]}]}])
    assert part.citations == ()
    (part,) = parts_from_payload([{"content": "", "citations": [{"cited": "5", "by": ["7"]}]}])
    assert part.citations == (CitedGroup(5, (7,)),)


def test_citations_of_lists_the_first_citing_works_and_counts_them_all() -> None:
    book = book_with(cited=range(50, 52), citing=range(60, 70))
    composed = book.compose(
        [],
        RANGE,
        citations=[CitedGroup(50, (*range(60, 68), 98)), CitedGroup(51, (68,))],
    )
    assert composed is not None
    (group, small) = book.citations_of(composed.parts[-1])
    assert group.cited.paper_id == 50
    assert [c.paper_id for c in group.citing] == list(range(60, 60 + CITING_LISTED))
    assert group.total == 8  # the work gone since (98) not counted
    assert ([c.paper_id for c in small.citing], small.total) == ([68], 1)


# --- rendering ---------------------------------------------------------------------------

LONG_NAME = "Maximiliane Alexandra-Konstantina von und zu Hohenzollern-Sigmaringen " * 4
# A title full of characters that markdown escaping doubles, and a mention.
HOSTILE = "**Bold** _claims_ `about` ~~data~~ @everyone <@123456789012345678> " * 6


def worst_case_book() -> tuple[CardBook, list[CitedGroup]]:
    """Four cited papers with 300-character titles, each cited by 12 works whose titles,
    twenty authors, venues and addresses are as long as they come."""
    book = CardBook(card_size)
    cited = [arxiv_paper(50 + g, title=HOSTILE[:300]) for g in range(CITED_PER_MESSAGE)]
    citing = [
        journal_paper(
            p,
            title=HOSTILE,
            names=[f"{LONG_NAME} @here {n}" for n in range(20)],
            venue="Journal of *Very* _Long_ Names @everyone " * 10,
            url="https://example.org/" + "x" * 900,
        )
        for p in range(100, 100 + 12 * CITED_PER_MESSAGE)
    ]
    book.add([*cited, *citing], AUTHORS)
    groups = [
        CitedGroup(50 + g, tuple(range(100 + 12 * g, 112 + 12 * g)))
        for g in range(CITED_PER_MESSAGE)
    ]
    return book, groups


def test_citations_embed_of_the_worst_case_fits_discord() -> None:
    book, groups = worst_case_book()
    composed = book.compose([], RANGE, citations=groups)
    assert composed is not None
    (part,) = composed.parts  # the quiet week's line and the citations, one message

    embed = citations_embed(book.citations_of(part))

    assert embed.title == TITLE
    assert len(embed.description or "") <= 4096
    assert len(embed) <= 6000
    # As posted, with the outbox marker in its footer.
    (message,) = message_parts(book, [part])
    kwargs = message_kwargs(message, "ref 123456789.99")
    embeds: list[discord.Embed] = kwargs["embeds"]
    assert len(embeds) == 1 and len(embeds[0]) <= 6000
    assert len(embeds[0].description or "") <= 4096
    assert embeds[0].footer.text == "ref 123456789.99"


def test_citations_embed_escapes_outside_text() -> None:
    book = CardBook(card_size)
    book.add(
        [
            arxiv_paper(50, title="**Cited** @everyone"),
            journal_paper(
                60,
                title="**Citing** [work](https://evil.example) @here",
                names=["<@123456789012345678>", "_Under_ Score"],
                venue="*Venue* @everyone",
            ),
        ],
        AUTHORS,
    )
    composed = book.compose([], RANGE, citations=[CitedGroup(50, (60,))])
    assert composed is not None

    description = citations_embed(book.citations_of(composed.parts[-1])).description or ""

    assert "@everyone" not in description and "@here" not in description
    assert "<@123456789012345678>" not in description
    assert description.startswith("**\\*\\*Cited\\*\\* @\u200beveryone** · cited by 1 new work")
    assert "\\*\\*Citing\\*\\*" in description
    assert "(work)(https://evil.example)" in description  # no link of its own
    assert "\\_Under\\_ Score" in description and "\\*Venue\\*" in description


def test_a_citing_work_beyond_those_listed_is_counted() -> None:
    book = book_with(cited=range(50, 51), citing=range(60, 68))
    composed = book.compose([], RANGE, citations=[CitedGroup(50, tuple(range(60, 68)))])
    assert composed is not None

    description = citations_embed(book.citations_of(composed.parts[-1])).description or ""

    assert description.splitlines()[0] == "**A watched paper** · cited by 8 new works"
    assert description.count("- **[A citing work](https://doi.org/") == CITING_LISTED
    assert description.splitlines()[-1] == "- … and 3 more"


# --- citation alerts ---------------------------------------------------------------------


def test_citation_alert_text_names_the_cited_papers() -> None:
    assert (
        citation_alert_text(["Lucas Beyer"], ["PaliGemma"])
        == "New citation of Lucas Beyer's work: cites “PaliGemma”"
    )
    assert citation_alert_text(["Ada", "Bob"], [f"Paper {n}" for n in range(1, 6)]) == (
        "New citation of Ada and Bob's work: cites “Paper 1”, “Paper 2”, “Paper 3” and 2 more"
    )
    assert citation_alert_text([], []) == "New citation of an author you follow's work"


def test_a_citation_alert_is_escaped_and_fits_one_message() -> None:
    citing = paper_card(journal_paper(60), [])
    text = citation_alert_text(["@everyone"], [HOSTILE] * 5)

    kwargs = message_kwargs(MessagePart(content=text, cards=(citing,)), "ref 7.0")

    content = kwargs["content"] or ""
    assert len(content) <= 2000
    assert "@everyone" not in content and "<@123456789012345678>" not in content
    assert content.startswith("New citation of @\u200beveryone's work: cites “\\*\\*Bold\\*\\*")
