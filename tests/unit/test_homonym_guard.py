"""The homonym guard's decisions (pure): which name matches a followed author keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.names import MatchStrength
from bot.services.homonym_guard import (
    REASON_ARCHIVE,
    REASON_CATEGORY,
    REASON_COAUTHOR,
    REASON_NO_PROFILE,
    REJECT_INITIAL_ONLY,
    REJECT_OTHER_FIELD,
    FollowedAuthor,
    FollowedAuthorMatcher,
    judge_match,
    normalize_categories,
)
from bot.sources.models import Paper, PaperAuthor

STRONG = MatchStrength.STRONG
PROBABLE = MatchStrength.PROBABLE
VISION = normalize_categories(["cs.CV", "cs.LG"])


def cats(*names: str) -> frozenset[str]:
    return normalize_categories(names)


@pytest.mark.parametrize(
    ("strength", "paper", "usual", "coauthor", "accepted", "reason"),
    [
        (STRONG, cats("cs.CV"), VISION, False, True, REASON_CATEGORY),
        (PROBABLE, cats("cs.LG", "stat.ML"), VISION, False, True, REASON_CATEGORY),
        (STRONG, cats("cs.AI"), VISION, False, True, REASON_ARCHIVE),
        (PROBABLE, cats("cs.AI"), VISION, False, False, REJECT_INITIAL_ONLY),
        (PROBABLE, cats("cs.AI"), VISION, True, True, REASON_COAUTHOR),
        (
            STRONG,
            cats("cond-mat.str-el", "physics.comp-ph"),
            VISION,
            False,
            False,
            REJECT_OTHER_FIELD,
        ),
        (STRONG, cats("cond-mat.str-el"), VISION, True, True, REASON_COAUTHOR),
        (STRONG, cats("quant-ph"), frozenset(), False, True, REASON_NO_PROFILE),
        (PROBABLE, cats("quant-ph"), frozenset(), False, False, REJECT_INITIAL_ONLY),
        (PROBABLE, cats("quant-ph"), frozenset(), True, True, REASON_COAUTHOR),
        # arXiv aliases are one subject: eess.SY is cs.SY.
        (PROBABLE, cats("eess.SY"), cats("cs.SY"), False, True, REASON_CATEGORY),
        # cond-mat subfields share the archive: a full name is enough, an initial is not.
        (STRONG, cats("cond-mat.mes-hall"), cats("cond-mat.str-el"), False, True, REASON_ARCHIVE),
        (
            PROBABLE,
            cats("cond-mat.mes-hall"),
            cats("cond-mat.str-el"),
            False,
            False,
            REJECT_INITIAL_ONLY,
        ),
    ],
)
def test_judge_match(
    strength: MatchStrength,
    paper: frozenset[str],
    usual: frozenset[str],
    coauthor: bool,
    accepted: bool,
    reason: str,
) -> None:
    decision = judge_match(strength, paper, usual, shared_coauthor=coauthor)
    assert (decision.accepted, decision.reason) == (accepted, reason)


def test_normalize_categories_drops_acm_and_msc_codes() -> None:
    assert normalize_categories(["cs.LG", "I.2.6", "35J20, 35B38", " math.ST "]) == {
        "cs.LG",
        "stat.TH",
    }


def paper(arxiv_id: str, categories: tuple[str, ...], *names: str) -> Paper:
    moment = datetime(2026, 11, 26, tzinfo=UTC)
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=f"Paper {arxiv_id}",
        abstract="",
        authors=tuple(PaperAuthor(n) for n in names),
        primary_category=categories[0],
        categories=categories,
        published=moment,
        updated=moment,
    )


def decide(matcher: FollowedAuthorMatcher, papers: list[Paper], coauthors=None) -> dict:  # type: ignore[no-untyped-def]
    candidates = matcher.candidates(papers)
    outcome = matcher.decide(candidates, coauthors or {})
    kept = {(m.paper.arxiv_id, m.author_id): m.reason for m in outcome.accepted}
    dropped = {(c.paper.arxiv_id, c.owner): r for c, r in outcome.rejected}
    return {"kept": kept, "dropped": dropped}


def test_the_physicist_stays_out_and_variant_spellings_stay_in() -> None:
    matcher = FollowedAuthorMatcher([FollowedAuthor(1, "Andreas Steiner", (), VISION)])
    result = decide(
        matcher,
        [
            paper("p1", ("cond-mat.str-el",), "Andreas Steiner", "Hanna Krause"),
            paper("p2", ("cs.CV",), "Xiaohua Zhai", "A. Steiner"),
            paper("p3", ("cs.CV",), "ANDREAS  STEINER"),
            paper("p4", ("cs.LG",), "Steiner, Andréas"),
            paper("p5", ("physics.atom-ph",), "A. Steiner"),
            paper("p6", ("cs.CV",), "Anna Steiner"),  # another first name: no match at all
        ],
    )
    assert result["kept"] == {
        ("p2", 1): REASON_CATEGORY,
        ("p3", 1): REASON_CATEGORY,
        ("p4", 1): REASON_CATEGORY,
    }
    assert result["dropped"] == {("p1", 1): REJECT_OTHER_FIELD, ("p5", 1): REJECT_INITIAL_ONLY}


def test_known_coauthors_vouch_but_the_author_own_name_does_not() -> None:
    matcher = FollowedAuthorMatcher([FollowedAuthor(1, "Andreas Steiner", (), VISION)])
    papers = [
        paper("p1", ("math.OC",), "A. Steiner", "X. Zhai"),
        paper("p2", ("math.OC",), "A. Steiner", "Andreas Steiner"),  # himself twice
        paper("p3", ("math.OC",), "A. Steiner", "Maria Rossi"),
    ]
    assert matcher.authors_needing_coauthors(matcher.candidates(papers)) == [1]
    known = {1: ["Andreas Steiner", "A. Steiner", "Xiaohua Zhai", "Lucas Beyer"]}
    result = decide(matcher, papers, known)
    assert result["kept"] == {("p1", 1): REASON_COAUTHOR}
    assert set(result["dropped"]) == {("p2", 1), ("p3", 1)}


def test_two_followed_homonyms_each_keep_their_own_field() -> None:
    matcher = FollowedAuthorMatcher(
        [
            FollowedAuthor(1, "Andreas Steiner", (), VISION),
            FollowedAuthor(2, "Andreas Steiner", (), cats("cond-mat.str-el")),
        ]
    )
    result = decide(
        matcher,
        [
            paper("vit", ("cs.CV",), "Andreas Steiner"),
            paper("spin", ("cond-mat.str-el",), "Andreas Steiner"),
        ],
    )
    assert set(result["kept"]) == {("vit", 1), ("spin", 2)}
    assert set(result["dropped"]) == {("vit", 2), ("spin", 1)}


def test_an_author_without_categories_gets_full_name_matches_only() -> None:
    matcher = FollowedAuthorMatcher([FollowedAuthor(7, "Adrian Del Maestro")])
    result = decide(
        matcher,
        [
            paper("full", ("hep-th",), "Adrian Del Maestro"),
            paper("init", ("cond-mat.other",), "A. Del Maestro"),
        ],
    )
    assert result["kept"] == {("full", 7): REASON_NO_PROFILE}
    assert result["dropped"] == {("init", 7): REJECT_INITIAL_ONLY}
