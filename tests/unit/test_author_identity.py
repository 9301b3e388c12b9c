"""One way to store a paper and an author's identity (bot.services.author_fetch)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services import paper_store
from bot.services.author_fetch import match_keys, match_variants, paper_record
from bot.sources.models import Paper, PaperAuthor


def _paper(primary: str | None, categories: tuple[str, ...]) -> Paper:
    return Paper(
        arxiv_id="2401.00001",
        version=2,
        title="A paper",
        abstract="",
        authors=(PaperAuthor("Ada Lovelace", ("Analytical Engines",)),),
        primary_category=primary,
        categories=categories,
        published=datetime(2024, 1, 1, tzinfo=UTC),
        updated=None,
    )


def test_every_store_builds_papers_the_same_way_and_never_with_an_empty_category() -> None:
    assert paper_store.paper_record is paper_record
    assert paper_record(_paper(None, ())) is None  # no category at all: not stored
    record = paper_record(_paper(None, ("math.PR", "cs.LG")))
    assert record is not None and record.primary_category == "math.PR"
    assert record.version == 2 and record.authors[0].affiliations == ("Analytical Engines",)


def test_initial_only_names_are_never_variants_but_their_keys_are_kept() -> None:
    assert match_variants("H. Piwowar", ["H. A. Piwowar", " "]) == ()
    assert match_variants(" Heather   Piwowar", ["heather piwowar"]) == ("Heather Piwowar",)
    assert "h piwowar" in match_keys(match_variants("H. Piwowar", ()) or ("H. Piwowar",))
