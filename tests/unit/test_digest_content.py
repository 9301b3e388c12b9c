"""Grouping, headers and the split of a digest into messages (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render.digests import card_size
from bot.services.digest_content import (
    EMBED_BUDGET,
    CardBook,
    DigestEntry,
    group_candidates,
    header_text,
    parts_from_payload,
    split_entries,
)
from db.models import Paper, PaperAuthor
from db.repositories.digests import DigestCandidate

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def paper(paper_id: int, title: str = "A title", abstract: str = "Short.") -> Paper:
    return Paper(
        id=paper_id,
        arxiv_id=f"2611.{paper_id:05d}",
        version=1,
        title=title,
        abstract=abstract,
        primary_category="cs.CL",
        published=NOW,
        updated=NOW,
        first_seen_at=NOW,
        authors=[PaperAuthor(position=0, name="Ada Lovelace", affiliations=[])],
    )


def test_a_paper_by_two_followed_authors_is_grouped_once() -> None:
    grouped = group_candidates(
        [
            DigestCandidate(1, 10, 100),
            DigestCandidate(1, 10, 200),
            DigestCandidate(1, 11, 200),
            DigestCandidate(2, 10, 100),
            DigestCandidate(1, 10, 100),
        ]
    )
    assert grouped == {
        1: [DigestEntry(10, (100, 200)), DigestEntry(11, (200,))],
        2: [DigestEntry(10, (100,))],
    }


def test_headers_count_papers_and_authors() -> None:
    assert header_text(12, 5, "21-28 Nov") == "12 new papers from 5 followed authors, 21-28 Nov"
    assert header_text(1, 1, "28 Nov") == "1 new paper from 1 followed author, 28 Nov"


def test_split_respects_count_and_size_in_order() -> None:
    entries = [DigestEntry(i, (1,)) for i in range(25)]
    groups = split_entries(entries, [100] * 25)
    assert [len(g) for g in groups] == [10, 10, 5]
    groups = split_entries(entries, [2000] * 25, budget=5500)
    assert [len(g) for g in groups] == [2] * 12 + [1]
    assert [e for g in groups for e in g] == entries


def test_composed_digest_fits_discord_and_round_trips_through_json() -> None:
    long = " ".join(["word"] * 400)
    book = CardBook(card_size)
    book.add([paper(i, title="T" * 300, abstract=long) for i in range(30)], {100: "Ada Lovelace"})
    composed = book.compose([DigestEntry(i, (100,)) for i in range(30)], "21-28 Nov")
    assert composed is not None and composed.paper_count == 30 and composed.author_count == 1
    for part in composed.parts:
        assert len(part.entries) <= 10
        assert sum(book.size(e, "full") for e in part.entries) <= EMBED_BUDGET
    assert parts_from_payload(composed.payload()) == list(composed.parts)
    assert composed.parts[0].content == "30 new papers from 1 followed author, 21-28 Nov"
    assert book.card(DigestEntry(0, (100,))).why == ("Ada Lovelace",)


def test_empty_weeks_post_one_line_or_nothing() -> None:
    book = CardBook(card_size)
    empty = book.compose([], "21-28 Nov")
    assert empty is not None and empty.payload() == [
        {"content": "No new papers from followed authors, 21-28 Nov.", "cards": []}
    ]
    assert book.compose([], "21-28 Nov", post_when_empty=False) is None
    # A paper deleted since it was found is left out, like a week without it.
    assert book.compose([DigestEntry(99, (1,))], "x", post_when_empty=False) is None


def test_papers_now_published_follow_the_new_ones_in_a_last_part() -> None:
    book = CardBook(card_size)
    book.add([paper(1), paper(2), paper(3)], {100: "Ada Lovelace"})
    composed = book.compose([DigestEntry(1, (100,))], "21-28 Nov", published=[2, 2, 9])

    assert composed is not None and composed.paper_count == 1
    assert [(p.content != "", len(p.entries), p.published) for p in composed.parts] == [
        (True, 1, ()),
        (False, 0, (2,)),  # once, and a paper gone since (9) left out
    ]
    assert parts_from_payload(composed.payload()) == list(composed.parts)
    assert composed.paper_ids == [1]  # a digest item already: not recorded again


def test_a_week_with_only_papers_now_published_is_posted_even_when_empty_weeks_are_not() -> None:
    book = CardBook(card_size)
    book.add([paper(2)], {})
    assert book.compose([], "21-28 Nov", post_when_empty=False) is None
    composed = book.compose([], "21-28 Nov", post_when_empty=False, published=[2])
    assert composed is not None
    (only,) = composed.parts
    assert only.content.startswith("No new papers") and only.published == (2,)
