"""What one digest says: papers grouped once each, a header, and the split into messages.

Pure logic, no I/O and no discord: the size of a rendered paper (a card, or a compact line)
comes from a `measure` function injected from bot/render, so the split follows the real
message. A `full` digest is a card per paper, at most 10 to a message; a `compact` one lists
the papers grouped by the followed author they are there for (the author with most papers
first), at most 25 to a message (one select menu's options). The planned digest is
stored in the outbox as plain JSON (`ComposedDigest.payload`): per message, the header text and
the paper ids with the followed authors they are there for. Delivery and `/digest preview`
turn that into the same `PaperCard`s through `CardBook`, so both show the same thing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.services.cards import CitedCards, PaperCard, paper_card
from bot.services.suggestions import Suggestion
from bot.services.topic_reasons import GONE, TopicWhy
from db.models import Paper
from db.repositories.citations import CitationCandidate
from db.repositories.digests import DigestCandidate
from db.repositories.topics import TopicCandidate

log = logging.getLogger(__name__)

GONE_WHY = TopicWhy(GONE, ())

MAX_EMBEDS_PER_MESSAGE = 10  # Discord's limit
MAX_EMBED_CHARS = 6000  # Discord's limit on the embeds of one message, together
# Planned messages keep 500 characters spare: a paper may get a new version (a longer title or
# abstract) between planning and sending, and the message must still be accepted.
EMBED_BUDGET = MAX_EMBED_CHARS - 500
COMPACT_PAPERS_PER_MESSAGE = 25  # the options of the message's "show a card" menu
# A "New citations" message: its cited papers, each with its first citing works listed (the
# rest counted), well within one embed's 4,096 characters (bot/render/citations.py).
CITED_PER_MESSAGE = 4
CITING_LISTED = 5
STYLES = ("compact", "full")

# The characters a paper takes in a style (`full`, `compact`), or its author's heading in a
# compact message (`heading`).
Measure = Callable[[PaperCard, str], int]


@dataclass(frozen=True)
class DigestEntry:
    """One paper of a digest and why it is there: the followed authors (author ids) and the
    followed topics (topic follow ids) that brought it."""

    paper_id: int
    author_ids: tuple[int, ...]
    topic_ids: tuple[int, ...] = ()

    @property
    def group_key(self) -> tuple[str, int] | None:
        """What a compact digest lists it under: its first author, else its first topic."""
        if self.author_ids:
            return ("author", self.author_ids[0])
        return ("topic", self.topic_ids[0]) if self.topic_ids else None


@dataclass(frozen=True)
class CitedGroup:
    """A watched paper of a digest's "New citations" and the new works citing it."""

    cited_paper_id: int
    citing_paper_ids: tuple[int, ...]


@dataclass(frozen=True)
class PlannedPart:
    """One Discord message of a digest: text (the header on the first) and its papers; the
    last may list papers of earlier digests that are now published (`published`, paper ids);
    the messages after them list new citations (`citations`)."""

    content: str
    entries: tuple[DigestEntry, ...] = ()
    published: tuple[int, ...] = ()
    style: str = "full"
    citations: tuple[CitedGroup, ...] = ()
    # The last message of a digest with suggestions: them, and the schedule their votes go to.
    suggestions: tuple[Suggestion, ...] = ()
    schedule_id: int | None = None


@dataclass(frozen=True)
class ComposedDigest:
    """A digest ready to store or show: its messages in order."""

    parts: tuple[PlannedPart, ...]
    paper_count: int
    author_count: int
    range_text: str

    def payload(self) -> list[dict[str, Any]]:
        """The JSON snapshot stored in the outbox."""
        return [
            {
                "content": part.content,
                "cards": [
                    {
                        "paper": e.paper_id,
                        "why": list(e.author_ids),
                        **({"topics": list(e.topic_ids)} if e.topic_ids else {}),
                    }
                    for e in part.entries
                ],
                **({"published": list(part.published)} if part.published else {}),
                **({"style": part.style} if part.style != "full" else {}),
                **(
                    {
                        "citations": [
                            {"cited": g.cited_paper_id, "by": list(g.citing_paper_ids)}
                            for g in part.citations
                        ]
                    }
                    if part.citations
                    else {}
                ),
                **(
                    {
                        "suggestions": [x.payload() for x in part.suggestions],
                        "schedule": part.schedule_id,
                    }
                    if part.suggestions
                    else {}
                ),
            }
            for part in self.parts
        ]

    @property
    def paper_ids(self) -> list[int]:
        return [e.paper_id for part in self.parts for e in part.entries]

    @property
    def citing_paper_ids(self) -> list[int]:
        """The citing works of its "New citations" (listed or counted)."""
        return [p for part in self.parts for g in part.citations for p in g.citing_paper_ids]


def parts_from_payload(payload: Iterable[Mapping[str, Any]]) -> list[PlannedPart]:
    """The inverse of `ComposedDigest.payload`."""
    return [
        PlannedPart(
            content=str(part.get("content") or ""),
            entries=tuple(
                DigestEntry(
                    int(card["paper"]),
                    tuple(int(a) for a in card.get("why", ())),
                    tuple(int(t) for t in card.get("topics", ())),
                )
                for card in part.get("cards", ())
            ),
            published=tuple(int(p) for p in part.get("published", ())),
            # Digests planned before compact ones existed were all full.
            style=str(part.get("style") or "full"),
            citations=tuple(
                CitedGroup(int(g["cited"]), tuple(int(p) for p in g.get("by", ())))
                for g in part.get("citations", ())
            ),
            suggestions=tuple(Suggestion.from_payload(x) for x in part.get("suggestions", ())),
            schedule_id=int(part["schedule"]) if part.get("schedule") is not None else None,
        )
        for part in payload
    ]


def group_candidates(
    candidates: Iterable[DigestCandidate], topics: Iterable[TopicCandidate] = ()
) -> dict[int, list[DigestEntry]]:
    """Per schedule, each paper once with every followed author and topic that brought it,
    in order (the authors' papers first)."""
    grouped: dict[int, dict[int, tuple[list[int], list[int]]]] = {}
    for c in candidates:
        authors, _ = grouped.setdefault(c.schedule_id, {}).setdefault(c.paper_id, ([], []))
        if c.author_id not in authors:
            authors.append(c.author_id)
    for t in topics:
        _, topic_ids = grouped.setdefault(t.schedule_id, {}).setdefault(t.paper_id, ([], []))
        if t.topic_id not in topic_ids:
            topic_ids.append(t.topic_id)
    return {
        schedule_id: [DigestEntry(p, tuple(a), tuple(t)) for p, (a, t) in papers.items()]
        for schedule_id, papers in grouped.items()
    }


def group_citations(
    candidates: Iterable[CitationCandidate],
) -> dict[int, list[CitedGroup]]:
    """Per schedule, its new citations grouped by cited paper, most cited first: a citing
    work is listed once, under the paper it cites that gathers most new citations."""
    cites: dict[int, dict[int, set[int]]] = {}  # schedule -> citing -> cited
    for c in candidates:
        cites.setdefault(c.schedule_id, {}).setdefault(c.citing_paper_id, set()).add(
            c.cited_paper_id
        )
    grouped: dict[int, list[CitedGroup]] = {}
    for schedule_id, citing in cites.items():
        counts: dict[int, int] = {}
        for cited in citing.values():
            for paper_id in cited:
                counts[paper_id] = counts.get(paper_id, 0) + 1
        under: dict[int, list[int]] = {}
        for citing_id, cited in citing.items():
            best = min(cited, key=lambda p: (-counts[p], p))
            under.setdefault(best, []).append(citing_id)
        grouped[schedule_id] = [
            CitedGroup(paper_id, tuple(under[paper_id]))
            for paper_id in sorted(under, key=lambda p: (-len(under[p]), p))
        ]
    return grouped


def _ranks(keys: Sequence[Sequence[int]], name: Callable[[int], str]) -> dict[int, int]:
    """Rank of each key by how many of the entries name it (most first, then by name)."""
    counts: dict[int, int] = {}
    for entry_keys in keys:
        for key in entry_keys:
            counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts, key=lambda k: (-counts[k], name(k), k))
    return {key: rank for rank, key in enumerate(ordered)}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def header_text(paper_count: int, author_count: int, range_text: str, topic_count: int = 0) -> str:
    """'12 new papers from 5 followed authors, 21-28 Nov' ('... and 2 topics')."""
    sources = [
        _plural(author_count, "followed author") if author_count else "",
        _plural(topic_count, "followed topic") if topic_count else "",
    ]
    named = " and ".join(s for s in sources if s)
    return f"{_plural(paper_count, 'new paper')} from {named}, {range_text}"


def empty_text(range_text: str) -> str:
    """The one line of a week without papers."""
    return f"No new papers from followed authors, {range_text}."


def split_entries(
    entries: Sequence[DigestEntry],
    sizes: Sequence[int],
    *,
    max_items: int = MAX_EMBEDS_PER_MESSAGE,
    budget: int = EMBED_BUDGET,
    headings: Sequence[int] | None = None,
) -> list[list[DigestEntry]]:
    """Consecutive groups within `max_items` papers and `budget` characters each, in order.

    `headings`: the size of each entry's heading (a compact digest), counted for the first
    entry of a message and wherever its group (`DigestEntry.group_key`) changes."""
    groups: list[list[DigestEntry]] = []
    current: list[DigestEntry] = []
    used = 0
    for index, (entry, size) in enumerate(zip(entries, sizes, strict=True)):
        if headings is not None and (not current or current[-1].group_key != entry.group_key):
            size += headings[index]
        if current and (len(current) >= max_items or used + size > budget):
            groups.append(current)
            current, used = [], 0
            if (
                headings is not None
                and index > 0
                and entries[index - 1].group_key == entry.group_key
            ):
                size += headings[index]  # the author's heading again, continued
        current.append(entry)
        used += size
    if current:
        groups.append(current)
    return groups


@dataclass
class CardBook:
    """Papers and author names loaded for digests; builds (and measures) cards, cached.

    One book serves a whole planning run: a paper shared by many channels is built and
    measured once per set of authors it is shown for.
    """

    measure: Measure | None = None
    papers: dict[int, Paper] = field(default_factory=dict)
    author_names: dict[int, str] = field(default_factory=dict)
    # Per (topic follow, paper): the topic's heading and the terms it matched.
    topic_whys: dict[tuple[int, int], TopicWhy] = field(default_factory=dict)
    _cards: dict[DigestEntry, PaperCard] = field(default_factory=dict)
    _sizes: dict[tuple[DigestEntry, str], int] = field(default_factory=dict)

    def missing_papers(self, paper_ids: Iterable[int]) -> list[int]:
        return [p for p in dict.fromkeys(paper_ids) if p not in self.papers]

    def missing_authors(self, author_ids: Iterable[int]) -> list[int]:
        return [a for a in dict.fromkeys(author_ids) if a not in self.author_names]

    def add(self, papers: Iterable[Paper], author_names: Mapping[int, str]) -> None:
        self.papers.update((p.id, p) for p in papers)
        self.author_names.update(author_names)

    def available(self, entries: Iterable[DigestEntry]) -> list[DigestEntry]:
        """The entries whose paper still exists."""
        return [e for e in entries if e.paper_id in self.papers]

    def card(self, entry: DigestEntry) -> PaperCard:
        card = self._cards.get(entry)
        if card is None:
            names = [self.author_names[a] for a in entry.author_ids if a in self.author_names]
            whys = [self.topic_whys.get((t, entry.paper_id), GONE_WHY) for t in entry.topic_ids]
            card = paper_card(
                self.papers[entry.paper_id],
                names,
                reasons=[why.text for why in whys],
                matched=tuple(dict.fromkeys(term for why in whys for term in why.terms)),
            )
            if not names and whys:  # a compact digest lists it under its topic
                card = replace(card, group=whys[0].label)
            self._cards[entry] = card
        return card

    def size(self, entry: DigestEntry, style: str) -> int:
        if self.measure is None:
            raise RuntimeError("this CardBook was built without a measure function")
        size = self._sizes.get((entry, style))
        if size is None:
            size = self._sizes[entry, style] = self.measure(self.card(entry), style)
        return size

    def by_author(self, entries: Sequence[DigestEntry]) -> list[DigestEntry]:
        """The entries grouped for a compact digest: under their followed authors, the author
        with most papers first (then by name), each paper once, under the first of its authors
        in that order, which leads its `author_ids` (the renderer groups by it); then the
        papers only a topic brought, under their topics (most papers first) in the same way."""
        authors = _ranks([e.author_ids for e in entries], lambda a: self.author_names.get(a, ""))
        labels = {t: why.label for (t, _), why in self.topic_whys.items()}
        topics = _ranks(
            [e.topic_ids for e in entries if not e.author_ids], lambda t: labels.get(t, "")
        )
        grouped: list[tuple[int, int, DigestEntry]] = []
        for index, entry in enumerate(entries):
            by_author = tuple(sorted(entry.author_ids, key=lambda a: authors[a]))
            if by_author:
                rank = authors[by_author[0]]
                by_topic = entry.topic_ids
            else:
                by_topic = tuple(sorted(entry.topic_ids, key=lambda t: topics[t]))
                rank = len(authors) + (topics[by_topic[0]] if by_topic else len(topics))
            grouped.append((rank, index, DigestEntry(entry.paper_id, by_author, by_topic)))
        return [entry for _, _, entry in sorted(grouped)]

    def compose(
        self,
        entries: Sequence[DigestEntry],
        range_text: str,
        *,
        post_when_empty: bool = True,
        published: Sequence[int] = (),
        style: str = "full",
        citations: Sequence[CitedGroup] = (),
        suggestions: Sequence[Suggestion] = (),
        schedule_id: int | None = None,
    ) -> ComposedDigest | None:
        """The digest of these papers in `style`, then a message of the `published` ones
        (papers of earlier digests now published), then the new `citations`, then the
        `suggestions` (their votes go to `schedule_id`); None when there is nothing but
        suggestions and empty weeks are not posted."""
        composed = self._compose(
            entries,
            range_text,
            post_when_empty=post_when_empty,
            published=published,
            style=style,
            citations=citations,
        )
        if composed is None or not suggestions:
            return composed
        last = PlannedPart("", suggestions=tuple(suggestions), schedule_id=schedule_id)
        return replace(composed, parts=(*composed.parts, last))

    def _compose(
        self,
        entries: Sequence[DigestEntry],
        range_text: str,
        *,
        post_when_empty: bool,
        published: Sequence[int],
        style: str,
        citations: Sequence[CitedGroup],
    ) -> ComposedDigest | None:
        entries = self.available(entries)
        published = tuple(p for p in dict.fromkeys(published) if p in self.papers)
        cited = self._citation_parts(citations)
        if not entries:
            if not post_when_empty and not published and not cited:
                return None
            if cited:  # a quiet week's line heads its first citations message
                first = replace(cited[0], content=empty_text(range_text), published=published)
                return ComposedDigest((first, *cited[1:]), 0, 0, range_text)
            only = PlannedPart(empty_text(range_text), published=published)
            return ComposedDigest((only,), 0, 0, range_text)
        tail = (PlannedPart("", published=published),) if published else ()
        tail += cited
        authors = {a for e in entries for a in e.author_ids}
        topics = {t for e in entries for t in e.topic_ids}
        if style == "compact":
            entries = self.by_author(entries)
            groups = split_entries(
                entries,
                [self.size(e, style) for e in entries],
                max_items=COMPACT_PAPERS_PER_MESSAGE,
                headings=[self.size(e, "heading") for e in entries],
            )
        else:
            groups = split_entries(entries, [self.size(e, style) for e in entries])
        header = header_text(len(entries), len(authors), range_text, len(topics))
        parts = tuple(
            PlannedPart(header if index == 0 else "", tuple(group), style=style)
            for index, group in enumerate(groups)
        )
        return ComposedDigest((*parts, *tail), len(entries), len(authors), range_text)

    def _citation_parts(self, citations: Sequence[CitedGroup]) -> tuple[PlannedPart, ...]:
        """The "New citations" messages: `CITED_PER_MESSAGE` cited papers each (the citing
        works whose paper is gone are left out, and a group left with none)."""
        groups = [
            CitedGroup(g.cited_paper_id, kept)
            for g in citations
            if g.cited_paper_id in self.papers
            and (kept := tuple(p for p in g.citing_paper_ids if p in self.papers))
        ]
        return tuple(
            PlannedPart("", citations=tuple(groups[i : i + CITED_PER_MESSAGE]))
            for i in range(0, len(groups), CITED_PER_MESSAGE)
        )

    def citations_of(self, part: PlannedPart) -> tuple[CitedCards, ...]:
        """The cards of a planned message's cited papers, each with its first citing works
        (`CITING_LISTED`) and how many it has in all."""
        return tuple(
            CitedCards(
                self.card(DigestEntry(g.cited_paper_id, ())),
                tuple(
                    self.card(DigestEntry(p, ()))
                    for p in [p for p in g.citing_paper_ids if p in self.papers][:CITING_LISTED]
                ),
                sum(1 for p in g.citing_paper_ids if p in self.papers),
            )
            for g in part.citations
            if g.cited_paper_id in self.papers
        )

    def cards_of(self, part: PlannedPart) -> tuple[PaperCard, ...]:
        """The cards of a planned message (papers deleted since planning are left out)."""
        return tuple(self.card(e) for e in self.available(part.entries))

    def published_of(self, part: PlannedPart) -> tuple[PaperCard, ...]:
        """The cards of the papers a planned message lists as now published."""
        return tuple(self.card(DigestEntry(p, ())) for p in part.published if p in self.papers)
