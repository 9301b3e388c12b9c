"""Which fetched papers belong to which followed author: name matching plus the homonym guard.

arXiv knows authors only by the string printed on the paper, so a name match alone also catches
other people with the same name (an "Andreas Steiner" in condensed-matter physics is not the
"Andreas Steiner" of vision transformers). Every name match therefore has to be vouched for by
the paper itself before it is stored, linked or announced.

The guard's rules (`judge_match`), for a paper whose author string matched followed author X:

1. **Shared co-author**: another author of the paper is a known co-author of X (someone on a
   paper already linked to X; names compared with the same keys as authors, X's own names
   excluded). Accepted, whatever the match strength.
2. **Same category**: one of the paper's categories (primary or cross-list) is one of X's usual
   categories (`cs.CV` = `cs.CV`; arXiv's aliases count as the same: `eess.SY` = `cs.SY`,
   `math.IT` = `cs.IT`, `math.ST` = `stat.TH`, ...). Accepted, whatever the match strength.
3. **Same archive**, for a STRONG (full-name) match only: the paper shares an archive with X's
   usual categories (`cs.AI` vs `cs.CV`: both `cs`; `cond-mat.str-el` vs `cond-mat.mes-hall`).
   Researchers drift between neighbouring categories, and a full-name homonym in the very same
   archive is rare; an initial-only ("A. Steiner") match is too weak for that.
4. **No profile yet**: X has no usual categories stored: a STRONG match is accepted (nothing
   to judge against); a PROBABLE one is rejected unless rule 1 applies. Not when the identity
   source confirmed none of the papers under X's name (`authors.arxiv_confirmed` 0): those are
   a namesake's, so only rule 1 can vouch (`FollowedAuthor.namesake_papers`).
5. Anything else is rejected: a different field and no shared co-author.

Where it can still be wrong: a homonym with the same full name in the same archive (two
"Wei Wang"s in `cs`) gets through; so does a homonym whose paper is cross-listed into one of
X's categories. A true paper by X in a new field with new co-authors is dropped (until
`usual_categories` learns the field), as is an initial-only paper outside X's exact categories
with no known co-author. Co-authors are compared by name too, so a very common name among
them (`Y. Wang`) can vouch for a paper it should not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.names import MatchStrength, NameIndex, name_keys
from bot.names.papers import PaperMatch, match_papers
from bot.sources.models import Paper
from db.models import Author

log = logging.getLogger(__name__)

# arXiv categories that are one subject under two names (the first is canonical on arXiv).
CATEGORY_ALIASES: dict[str, str] = {
    "eess.SY": "cs.SY",
    "math.IT": "cs.IT",
    "math.ST": "stat.TH",
    "math.MP": "math-ph",
    "q-fin.EC": "econ.GN",
    "cs.NA": "math.NA",
}
# `cs.CV`, `cond-mat.mes-hall`, `quant-ph`, `astro-ph.CO`; not ACM (`I.2.6`) or MSC codes.
_CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")

REASON_COAUTHOR = "coauthor"
REASON_CATEGORY = "category"
REASON_ARCHIVE = "archive"
REASON_NO_PROFILE = "no-profile"
REJECT_OTHER_FIELD = "other-field"
REJECT_INITIAL_ONLY = "initial-only"


def normalize_categories(categories: Iterable[str]) -> frozenset[str]:
    """The arXiv categories among `categories`, aliases resolved; other codes dropped."""
    found: set[str] = set()
    for raw in categories:
        category = raw.strip()
        if _CATEGORY_RE.match(category):
            found.add(CATEGORY_ALIASES.get(category, category))
    return frozenset(found)


def archives_of(categories: Iterable[str]) -> frozenset[str]:
    """The archives of normalised categories: `cs.CV` -> `cs`, `quant-ph` -> `quant-ph`."""
    return frozenset(category.split(".", 1)[0] for category in categories)


@dataclass(frozen=True, slots=True)
class GuardDecision:
    """Whether a name match is kept, and the rule that decided (`REASON_*` / `REJECT_*`)."""

    accepted: bool
    reason: str


def judge_by_categories(
    strength: MatchStrength,
    paper_categories: frozenset[str],
    usual_categories: frozenset[str],
    *,
    namesake_papers: bool = False,
) -> GuardDecision | None:
    """The decision categories alone can make, or None when only a co-author could vouch.

    Both sets must be normalised (`normalize_categories`). `namesake_papers`: the papers under
    the author's name are known to be someone else's (rule 4 does not apply).
    """
    if not usual_categories:
        if strength >= MatchStrength.STRONG and not namesake_papers:
            return GuardDecision(True, REASON_NO_PROFILE)
        return None
    if paper_categories & usual_categories:
        return GuardDecision(True, REASON_CATEGORY)
    if strength >= MatchStrength.STRONG and archives_of(paper_categories) & archives_of(
        usual_categories
    ):
        return GuardDecision(True, REASON_ARCHIVE)
    return None


def judge_match(
    strength: MatchStrength,
    paper_categories: frozenset[str],
    usual_categories: frozenset[str],
    *,
    shared_coauthor: bool,
    namesake_papers: bool = False,
) -> GuardDecision:
    """Apply the homonym guard's rules (module docstring) to one name match."""
    decided = judge_by_categories(
        strength, paper_categories, usual_categories, namesake_papers=namesake_papers
    )
    if decided is not None:
        return decided
    if shared_coauthor:
        return GuardDecision(True, REASON_COAUTHOR)
    if strength < MatchStrength.STRONG:
        return GuardDecision(False, REJECT_INITIAL_ONLY)
    return GuardDecision(False, REJECT_OTHER_FIELD)


@dataclass(frozen=True, slots=True)
class FollowedAuthor:
    """What matching needs to know about a followed author."""

    id: int
    display_name: str
    name_variants: tuple[str, ...] = ()
    usual_categories: frozenset[str] = frozenset()
    # The identity source confirmed none of the papers under this name: a namesake's.
    namesake_papers: bool = False

    @classmethod
    def from_row(cls, author: Author) -> FollowedAuthor:
        """From a stored `Author` (categories normalised)."""
        return cls(
            id=author.id,
            display_name=author.display_name,
            name_variants=tuple(author.name_variants or ()),
            usual_categories=normalize_categories(author.usual_categories or ()),
            namesake_papers=author.arxiv_confirmed == 0,
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Display name first, then the stored variants, without repeats."""
        return tuple(dict.fromkeys((self.display_name, *self.name_variants)))


@dataclass(frozen=True, slots=True)
class AcceptedMatch:
    """`paper` is by followed author `author_id`, and the guard agreed (`reason`)."""

    paper: Paper
    author_id: int
    strength: MatchStrength
    reason: str
    author_name: str

    @property
    def matched_by(self) -> str:
        """What `author_papers.matched_by` stores: `name` (full name) or `name-initial`."""
        return "name" if self.strength >= MatchStrength.STRONG else "name-initial"


@dataclass(slots=True)
class MatchOutcome:
    """The guard's verdicts on one batch of papers."""

    accepted: list[AcceptedMatch] = field(default_factory=list)
    rejected: list[tuple[PaperMatch[int], str]] = field(default_factory=list)


class FollowedAuthorMatcher:
    """Name index over the followed authors plus the homonym guard. Pure; build once a cycle.

    Use: `candidates(papers)` (name matches), `authors_needing_coauthors(candidates)` (whose
    co-authors to load from the database), then `decide(candidates, coauthor_names)`.
    """

    def __init__(self, authors: Iterable[FollowedAuthor]) -> None:
        self.authors: dict[int, FollowedAuthor] = {a.id: a for a in authors}
        self.index: NameIndex[int] = NameIndex()
        for author in self.authors.values():
            for name in author.names:
                self.index.add(author.id, name)

    def __len__(self) -> int:
        return len(self.authors)

    def candidates(self, papers: Iterable[Paper]) -> list[PaperMatch[int]]:
        """Every (paper, followed author) pair whose names match, before the guard."""
        return match_papers(papers, self.index)

    @staticmethod
    def _categories(paper: Paper) -> frozenset[str]:
        primary = (paper.primary_category,) if paper.primary_category else ()
        return normalize_categories((*paper.categories, *primary))

    def _by_categories(self, candidate: PaperMatch[int]) -> GuardDecision | None:
        author = self.authors[candidate.owner]
        return judge_by_categories(
            candidate.strength,
            self._categories(candidate.paper),
            author.usual_categories,
            namesake_papers=author.namesake_papers,
        )

    def authors_needing_coauthors(self, candidates: Iterable[PaperMatch[int]]) -> list[int]:
        """Followed authors with a match that categories alone do not vouch for."""
        return sorted({c.owner for c in candidates if self._by_categories(c) is None})

    def decide(
        self,
        candidates: Sequence[PaperMatch[int]],
        coauthor_names: Mapping[int, Sequence[str]] | None = None,
    ) -> MatchOutcome:
        """Apply the guard; `coauthor_names` = author lines of each author's stored papers."""
        coauthors = self.coauthor_index(coauthor_names or {})
        outcome = MatchOutcome()
        for candidate in candidates:
            decision = self._by_categories(candidate)
            if decision is None:
                shared = self.shares_coauthor(candidate, coauthors)
                author = self.authors[candidate.owner]
                decision = judge_match(
                    candidate.strength,
                    self._categories(candidate.paper),
                    author.usual_categories,
                    shared_coauthor=shared,
                    namesake_papers=author.namesake_papers,
                )
            if decision.accepted:
                outcome.accepted.append(
                    AcceptedMatch(
                        candidate.paper,
                        candidate.owner,
                        candidate.strength,
                        decision.reason,
                        candidate.author_name,
                    )
                )
            else:
                log.debug(
                    "homonym guard: %s on %s is not author %d (%s)",
                    candidate.author_name,
                    candidate.paper.arxiv_id,
                    candidate.owner,
                    decision.reason,
                )
                outcome.rejected.append((candidate, decision.reason))
        return outcome

    def coauthor_index(self, coauthor_names: Mapping[int, Sequence[str]]) -> NameIndex[int]:
        """The followed authors' known co-authors (their own names left out), by name keys."""
        index: NameIndex[int] = NameIndex()
        for author_id, names in coauthor_names.items():
            for name in names:
                keys = name_keys(name)
                if author_id in self.index.match_keys(keys):
                    continue  # the author's own name on their own papers vouches for nothing
                index.add_keys(author_id, keys)
        return index

    def shares_coauthor(self, candidate: PaperMatch[int], coauthors: NameIndex[int]) -> bool:
        """Whether another author of the paper is a known co-author of the matched one."""
        owner = candidate.owner
        for position, author in enumerate(candidate.paper.authors):
            if position == candidate.author_index:
                continue
            keys = name_keys(author.name)
            if owner in coauthors.match_keys(keys) and owner not in self.index.match_keys(keys):
                return True
        return False
