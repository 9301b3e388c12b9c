"""The suggestion ranker (`bot.services.suggestions.SuggestionRanker`) on papers built in code."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.suggestions import MIN_SIMILARITY, SuggestionRanker
from db.repositories.suggestions import FollowedPaper, ListedItem, Taste

AT = datetime(2024, 11, 28, 5, 0, tzinfo=UTC)


def item(
    arxiv_id: str, title: str, abstract: str = "", *, cats=("cs.DL",), authors=("A. N. Other",)
):  # type: ignore[no-untyped-def]
    return ListedItem(arxiv_id, title, abstract, tuple(cats), tuple(authors), AT)


def taste(**overrides: object) -> Taste:
    value = Taste(
        papers=[
            FollowedPaper(
                1, "2409.01234", "Open access trends in the scholarly record", "", "Heather Piwowar"
            ),
            FollowedPaper(
                2,
                "2306.05678",
                "Who cites data? Reuse of shared research datasets",
                "",
                "Heather Piwowar",
            ),
            FollowedPaper(
                3,
                "2204.11111",
                "Incentives for data sharing in the life sciences",
                "",
                "Heather Piwowar",
            ),
        ],
        author_names={"Heather Piwowar"},
        categories={"cs.DL", "cs.CY"},
    )
    for name, given in overrides.items():
        setattr(value, name, given)
    return value


WEEK = [
    item("1", "Open access citation advantage in the scholarly record"),
    item("2", "Reuse of shared research datasets in biology", "data sharing incentives"),
    item("3", "Quantum error correction with surface codes", cats=("quant-ph",)),
    item("4", "Data citation practices for shared datasets", authors=("H. Piwowar", "J. Priem")),
    item("5", "Privacy of location traces on social platforms", cats=("cs.CY",)),
    item("6", "Open scholarly records and research data sharing", cats=("cs.CY",)),
]


def ids(found: list) -> list[str]:  # type: ignore[type-arg]
    return [s.arxiv_id for s in found]


def test_close_papers_most_similar_first_at_most_three_never_the_authors_own() -> None:
    found = SuggestionRanker(WEEK).rank(taste())
    assert 1 <= len(found) <= 3
    assert "4" not in ids(found)  # H. Piwowar's: the followed author's own
    assert "3" not in ids(found)  # quant-ph: not the destination's categories
    assert "5" not in ids(found)  # nothing in common
    assert [s.similarity for s in found] == sorted((s.similarity for s in found), reverse=True)
    assert all(s.similarity >= MIN_SIMILARITY for s in found)
    assert all(s.close_to_author == "Heather Piwowar" for s in found)
    best = found[0]
    assert best.close_to_title in {p.title for p in taste().papers}


def test_matched_and_voted_down_papers_are_never_suggested() -> None:
    ranker = SuggestionRanker(WEEK)
    everything = ids(ranker.rank(taste()))
    first = everything[0]
    assert first not in ids(ranker.rank(taste(matched={first})))
    assert first not in ids(ranker.rank(taste(down={first})))


def test_a_destination_with_fewer_than_three_followed_papers_or_no_category_gets_none() -> None:
    ranker = SuggestionRanker(WEEK)
    assert ranker.rank(taste(papers=taste().papers[:2])) == []
    assert ranker.rank(taste(categories=set())) == []
    assert SuggestionRanker([]).rank(taste()) == []


def test_a_thumbs_up_pulls_papers_like_it_up() -> None:
    week = [
        *WEEK,
        item("7", "Quantum surface codes and open data", cats=("cs.DL",)),
        item("8", "Surface codes for quantum memories", "open quantum data", cats=("cs.DL",)),
    ]
    ranker = SuggestionRanker(week)
    before = {s.arxiv_id: s for s in ranker.rank(taste())}
    liked = {s.arxiv_id: s for s in ranker.rank(taste(up={"7"}))}
    assert "8" not in before
    assert "8" in liked  # like the paper voted up, and now part of the taste
