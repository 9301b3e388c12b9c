"""Benchmark topic matching (a script that prints figures, not a test).

    .venv/bin/python benchmarks/bench_topics.py            # full size
    .venv/bin/python benchmarks/bench_topics.py --smoke    # tiny and quick (CI)

It prints the time to match 10,000 topic queries against one day's listing of 2,000 entries
across categories (budget < 1 s for the matching), with the real code (`bot.topics`) used as
the poll uses it (`PollCycle.match_topics`: every new or cross-listed paper of a listing turned
into a `PaperText`, and the batch matched at once by one `TopicIndex` of every topic follow):

- The 2,000 entries have the shape of the recorded all-archives listing
  (tests/fixtures/arxiv_rss/rss_all-archives_2024-11-28_trimmed.xml, parsed by
  `parse_arxiv_listing`): new and cross-listed announcements (the poll skips replacements) with
  titles of about 10 words and abstracts of 150-200 words generated from the words of the
  recorded arXiv fixtures (`RECORDED`; a word-pair chain over their titles and abstracts, so
  real phrases recur) and 1-3 real arXiv categories (`bot.arxiv_categories`).
- The 10,000 queries (seeded, one per topic follow) mix single words, "two-word phrases",
  `cat:` terms (categories and archives) and AND / OR / NOT combinations with parentheses
  (`"vision transformer" OR cat:cs.CV AND NOT survey`); those `parse_query` refuses are
  skipped and counted.
- Timed separately (best of a few runs): parsing the queries, building the index, turning the
  papers into `PaperText`, matching the batch (`TopicIndex.match_all`). The matches are
  checked against each query matched one by one (`TopicQuery.match`) on a sample of papers;
  any difference exits non-zero.
Nothing is stored and nothing is fetched: pure Python, no internet.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.arxiv_categories import ARCHIVE_NAMES, CATEGORY_NAMES
from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.arxiv_listing import parse_arxiv_listing
from bot.sources.models import ANNOUNCE_CROSS, ANNOUNCE_NEW, Paper
from bot.topics import PaperText, QueryError, TopicIndex, TopicQuery, parse_query
from bot.topics.query import Category, Phrase
from bot.topics.text import words
from tests.harness.fake_upstream import FIXTURES_DIR

SEED = 20241128
LISTING = FIXTURES_DIR / "arxiv_rss" / "rss_all-archives_2024-11-28_trimmed.xml"
# The recorded (not synthetic) arXiv fixtures with papers: the words of the generated listing
# and queries. Named, not globbed, so the figures do not move when a fixture is added.
RECORDED = (
    "arxiv_rss/rss_all-archives_2024-11-28_trimmed.xml",
    "arxiv_api/idlist_1707.08567_34-authors.atom.xml",
    "arxiv_api/idlist_astro-ph-0601001_affiliations.atom.xml",
    "arxiv_api/legacy2024_query_au-A-Del-Maestro_max10.atom.xml",
    "arxiv_api/legacy2024_query_lmm_max8.atom.xml",
    "arxiv_api/query_all-testing_start0_max10.atom.xml",
    "arxiv_api/query_all-testing_start10_max10.atom.xml",
)
# Archives with no subject classes, still in use (the others named in CATEGORY_NAMES without a
# dot are retired: old papers carry them, a new listing does not).
UNDIVIDED = ("gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th")
UNDIVIDED += ("quant-ph",)
STOPWORDS = frozenset(
    "a an and are as at be been by can do for from has have in into is it its of on or our "
    "not that the their these this those to was we were which while with within without".split()
)
GENERIC_SHARE = 0.05
T = TypeVar("T")


# --- the corpus: the recorded fixtures' words -------------------------------------------------


@dataclasses.dataclass
class Corpus:
    """The recorded papers' titles and abstracts, as word sequences (the words as written)."""

    titles: list[list[str]]
    abstracts: list[list[str]]
    categories: list[str]  # every category of every recorded paper (repeats: its frequency)


def recorded_papers() -> list[Paper]:
    """The papers of the recorded arXiv fixtures (`RECORDED`), once each."""
    papers: dict[str, Paper] = {}
    for name in RECORDED:
        path = FIXTURES_DIR / name
        data = path.read_bytes()
        found = (parse_arxiv_listing if "arxiv_rss" in name else parse_arxiv_atom)(data).papers
        papers.update((p.arxiv_id or p.title, p) for p in found)
    return list(papers.values())


def corpus_of(papers: list[Paper]) -> Corpus:
    return Corpus(
        titles=[p.title.split() for p in papers if p.title],
        abstracts=[p.abstract.split() for p in papers if len(p.abstract.split()) > 20],
        categories=[c for p in papers for c in p.categories if c in CATEGORY_NAMES],
    )


class Chain:
    """A word-pair chain: the next word is one that followed this one somewhere in the corpus
    (sometimes any word at all), so the generated text has the corpus's word frequencies and
    its phrases."""

    def __init__(self, texts: list[list[str]], rng: random.Random, jump: float) -> None:
        self.rng = rng
        self.jump = jump
        self.stream = [w for text in texts for w in text]
        self.after: dict[str, list[str]] = {}
        for text in texts:
            for first, second in pairwise(text):
                self.after.setdefault(first, []).append(second)

    def text(self, size: int) -> str:
        rng = self.rng
        word = rng.choice(self.stream)
        out = [word]
        while len(out) < size:
            following = self.after.get(word)
            word = (
                rng.choice(following) if following and rng.random() > self.jump else None
            ) or rng.choice(self.stream)
            out.append(word)
        return " ".join(out)


# --- the listing -------------------------------------------------------------------------------


def listed_categories(corpus: Corpus) -> tuple[list[str], list[int]]:
    """Every category a listing shows today, weighted: the recorded papers' categories weigh
    more (cs.LG, quant-ph...), the others appear now and then."""
    current = [
        c for c in CATEGORY_NAMES if ("." in c and not c.startswith("bad-arch")) or c in UNDIVIDED
    ]
    seen = Counter(corpus.categories)
    return current, [1 + 8 * seen[c] for c in current]


def listing_papers(count: int, corpus: Corpus, rng: random.Random) -> list[Paper]:
    """`count` listing entries shaped like the recorded listing's (`parse_arxiv_listing`)."""
    template = parse_arxiv_listing(LISTING.read_bytes())
    shapes = [p for p in template.papers if p.announce_type in (ANNOUNCE_NEW, ANNOUNCE_CROSS)]
    titles = Chain(corpus.titles, rng, jump=0.3)
    abstracts = Chain(corpus.abstracts, rng, jump=0.15)
    codes, weights = listed_categories(corpus)
    papers = []
    for number in range(count):
        shape = shapes[number % len(shapes)]
        primary = rng.choices(codes, weights)[0]
        archive = primary.split(".", 1)[0]
        near = [c for c in codes if c.split(".", 1)[0] == archive and c != primary]
        categories = [primary]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):  # 1-3 categories
            extra = (
                rng.choice(near) if near and rng.random() < 0.5 else rng.choices(codes, weights)[0]
            )
            if extra not in categories:
                categories.append(extra)
        arxiv_id = f"2411.{20000 + number:05d}"
        papers.append(
            dataclasses.replace(
                shape,
                arxiv_id=arxiv_id,
                version=1,
                title=titles.text(rng.randint(7, 13)).rstrip(".,;:"),
                abstract=abstracts.text(rng.randint(150, 200)),
                primary_category=primary,
                categories=tuple(categories),
                abs_url=f"https://arxiv.org/abs/{arxiv_id}",
                pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v1",
            )
        )
    return papers


# --- the queries -------------------------------------------------------------------------------


_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_WORDLIKE = re.compile(r"[^\W\d_][\w-]*")


class Queries:
    """Query texts as members write them: words and phrases from the corpus, `cat:` terms."""

    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.rng = rng
        texts = corpus.titles + corpus.abstracts
        surface = [[_EDGE.sub("", w).replace('"', "") for w in text] for text in texts]
        # Words in more than GENERIC_SHARE of the recorded abstracts ("using", "results",
        # "model") are nobody's topic: single-word queries are drawn from the others.
        seen_in = Counter(w for text in corpus.abstracts for w in set(words(" ".join(text))))
        self.generic = {w for w, n in seen_in.items() if n > GENERIC_SHARE * len(corpus.abstracts)}
        content = [
            w
            for text in surface
            for w in text
            if self._content(w) and (len(words(w)) > 1 or words(w)[0] not in self.generic)
        ]
        self.frequent = content  # drawn from: weighted by frequency
        self.distinct = sorted(set(content))  # drawn from: rarer words too
        self.pairs = [
            f"{a} {b}"
            for text in surface
            for a, b in pairwise(text)
            if self._content(a) and self._content(b)
        ]
        self.codes, self.weights = listed_categories(corpus)
        self.archives = sorted({c.split(".", 1)[0] for c in self.codes} & set(ARCHIVE_NAMES))

    @staticmethod
    def _content(word: str) -> bool:
        """A word a member could follow: letters (digits, hyphens), not a stop word."""
        return (
            len(word) >= 3
            and _WORDLIKE.fullmatch(word) is not None
            and word.casefold() not in STOPWORDS
        )

    def word(self) -> str:
        rng = self.rng
        word = rng.choice(self.frequent if rng.random() < 0.5 else self.distinct)
        return word.lower() if rng.random() < 0.5 else word

    def phrase(self) -> str:
        return f'"{self.rng.choice(self.pairs)}"'

    def category(self) -> str:
        rng = self.rng
        if rng.random() < 0.25:
            return f"cat:{rng.choice(self.archives)}"
        return f"cat:{rng.choices(self.codes, self.weights)[0]}"

    def term(self) -> str:
        pick = self.rng.random()
        return self.word() if pick < 0.45 else self.phrase() if pick < 0.8 else self.category()

    def op(self, name: str) -> str:
        return name.lower() if self.rng.random() < 0.1 else name

    def group(self, size: int, name: str) -> str:
        joiner = " " if name == "AND" and self.rng.random() < 0.3 else f" {self.op(name)} "
        return joiner.join(self.term() for _ in range(size))

    def query(self) -> str:
        rng, pick = self.rng, self.rng.random()
        if pick < 0.25:
            return self.word()
        if pick < 0.40:
            return self.phrase()
        if pick < 0.48:
            return self.category()
        if pick < 0.60:
            return self.group(rng.randint(2, 3), "AND")
        if pick < 0.72:
            return self.group(rng.randint(2, 4), "OR")
        if pick < 0.82:  # x AND NOT y
            return f"{self.term()} {self.op('AND')} {self.op('NOT')} {self.term()}"
        if pick < 0.90:  # (x OR y) AND z
            return f"({self.group(rng.randint(2, 3), 'OR')}) {self.op('AND')} {self.term()}"
        if pick < 0.96:  # x OR y AND NOT z (NOT binds tightest, then AND)
            return (
                f"{self.term()} {self.op('OR')} {self.term()} {self.op('AND')} "
                f"{self.op('NOT')} {self.term()}"
            )
        # (x OR y) AND NOT (z OR w), sometimes with a bare NOT (refused: matches everything)
        left = self.group(2, "OR") if rng.random() < 0.9 else f"NOT {self.term()}"
        return f"({left}) {self.op('AND')} {self.op('NOT')} ({self.group(2, 'OR')})"


def query_texts(count: int, maker: Queries) -> tuple[list[str], Counter[str]]:
    """`count` query texts `parse_query` accepts, and why the others were refused."""
    accepted: list[str] = []
    refused: Counter[str] = Counter()
    while len(accepted) < count:
        text = maker.query()
        try:
            parse_query(text)
        except QueryError as error:
            refused[re.sub(r"“[^”]*”", "“…”", error.reason).split(":")[0]] += 1
            continue
        accepted.append(text)
    return accepted, refused


# --- the benchmark -----------------------------------------------------------------------------


def best_of(repeats: int, step: Callable[[], T]) -> tuple[float, float, T]:
    """(best, worst) seconds of `repeats` runs of `step`, and its last result."""
    times = []
    result: T
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    return min(times), max(times), result


def check(
    queries: dict[int, TopicQuery],
    texts: list[PaperText],
    matched: list[dict[int, tuple[str, ...]]],
) -> int:
    """Compare the index's matches with each query matched one by one; the differences."""
    differences = 0
    for text, found in zip(texts, matched, strict=True):
        expected = {}
        for key, query in queries.items():
            hits = query.match(text)
            if hits is not None:
                expected[key] = hits
        if found != expected:
            differences += 1
            if differences <= 3:
                missing = sorted(set(expected) - set(found))[:5]
                extra = sorted(set(found) - set(expected))[:5]
                print(f"   MISMATCH: missing {missing}, extra {extra}")
    return differences


def kind_of(query: TopicQuery) -> str:
    root = query.root
    if isinstance(root, Phrase):
        return "words" if len(root.words) == 1 else "phrases"
    if isinstance(root, Category):
        return "cat:archive" if root.archive else "cat:category"
    return "combinations"


def run(topics: int, papers_count: int, sample: int, repeats: int) -> int:
    rng = random.Random(SEED)
    recorded = recorded_papers()
    corpus = corpus_of(recorded)
    vocabulary = {w for text in corpus.titles + corpus.abstracts for w in words(" ".join(text))}
    papers = listing_papers(papers_count, corpus, rng)
    maker = Queries(corpus, rng)
    texts_in, refused = query_texts(topics, maker)
    kinds = Counter(p.announce_type for p in papers)
    per_paper = Counter(len(p.categories) for p in papers)
    print(
        f"Matching {topics:,} topic queries against one day's listing of {papers_count:,} entries"
    )
    print(
        f"   listing: {papers_count:,} entries shaped on {LISTING.name} "
        f"({kinds[ANNOUNCE_NEW]:,} new, {kinds[ANNOUNCE_CROSS]:,} cross-lists; "
        f"{len({c for p in papers for c in p.categories})} categories, "
        f"{per_paper[1]:,}/{per_paper[2]:,}/{per_paper[3]:,} papers with 1/2/3); "
        f"{sum(len(p.title.split()) for p in papers) / papers_count:.1f} title words and "
        f"{sum(len(p.abstract.split()) for p in papers) / papers_count:.0f} abstract words "
        f"a paper, from the {len(vocabulary):,} distinct words of {len(recorded)} recorded papers"
    )
    reasons = ", ".join(f"{n:,} {why}" for why, n in refused.most_common(3))
    print(
        f"   queries: {topics:,} accepted ({len(set(texts_in)):,} distinct), "
        f"{sum(refused.values()):,} refused by parse_query ({reasons or 'none'}); single "
        f"words leave out the {len(maker.generic)} words in over {GENERIC_SHARE:.0%} of the "
        f"recorded abstracts; e.g."
    )
    for text in texts_in[:6]:
        print(f"      {text}")

    parse_best, _, parsed = best_of(repeats, lambda: [parse_query(t) for t in texts_in])
    queries = dict(enumerate(parsed))
    build_best, _, index = best_of(repeats, lambda: TopicIndex(queries))

    def paper_texts() -> list[PaperText]:
        return [PaperText.of(p.title, p.abstract or "", p.categories) for p in papers]

    def poll_loop() -> list[dict[int, tuple[str, ...]]]:  # PollCycle.match_topics, no storing
        news = [p for p in papers if p.announce_type in (ANNOUNCE_NEW, ANNOUNCE_CROSS)]
        return index.match_all(
            [PaperText.of(p.title, p.abstract or "", p.categories) for p in news]
        )

    text_best, _, texts = best_of(repeats, paper_texts)
    match_best, match_worst, matched = best_of(repeats, lambda: index.match_all(texts))
    loop_best, _, _ = best_of(repeats, poll_loop)

    pairs = sum(len(m) for m in matched)
    hit_topics = len({k for m in matched for k in m})
    print(
        f"   parse_query:    {parse_best * 1000:7.1f} ms for {topics:,} queries "
        f"({parse_best / topics * 1e6:.1f} µs a query)"
    )
    print(f"   TopicIndex:     {build_best * 1000:7.1f} ms to build")
    print(
        f"   PaperText.of:   {text_best * 1000:7.1f} ms for {papers_count:,} papers "
        f"({text_best / papers_count * 1e6:.0f} µs a paper)"
    )
    print(
        f"   match_all:      {match_best * 1000:7.1f} ms for {papers_count:,} papers "
        f"({match_best / papers_count * 1e6:.0f} µs a paper; worst of {repeats}: "
        f"{match_worst * 1000:.1f} ms); budget < 1 s"
    )
    print(
        f"   the poll's step (PaperText.of per paper + match_all): {loop_best * 1000:.1f} ms "
        f"({loop_best / papers_count * 1e6:.0f} µs a paper)"
    )
    print(
        f"   matches: {pairs:,} (topic, paper) pairs; {sum(1 for m in matched if m):,} of "
        f"{papers_count:,} papers matched at least one topic, {hit_topics:,} of {topics:,} "
        f"topics matched at least one paper"
    )

    per_topic = Counter(k for m in matched for k in m)
    kinds_of = Counter(kind_of(q) for q in queries.values())
    share: Counter[str] = Counter()
    for key, query in queries.items():
        share[kind_of(query)] += per_topic[key]
    print(
        "   papers a topic matches, on average: "
        + ", ".join(
            f"{kind} ({n:,}) {share[kind] / n / papers_count:.1%}"
            for kind, n in kinds_of.most_common()
        )
    )

    sample_rng = random.Random(SEED + 1)
    picked = sorted(sample_rng.sample(range(papers_count), min(sample, papers_count)))
    started = time.perf_counter()
    differences = check(queries, [texts[i] for i in picked], [matched[i] for i in picked])
    checked = time.perf_counter() - started
    print(
        f"   check: {len(picked):,} papers x {topics:,} queries matched one by one "
        f"(TopicQuery.match, {checked:.1f} s): {differences} papers differ"
    )
    print()
    return differences


def main(smoke: bool) -> int:
    if smoke:
        differences = run(topics=300, papers_count=100, sample=20, repeats=1)
    else:
        differences = run(topics=10_000, papers_count=2_000, sample=200, repeats=3)
    if differences:
        print(
            f"FAILED: the index's matches differ from one-by-one matching on {differences} papers"
        )
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, runs in seconds (CI)")
    args = parser.parse_args()
    sys.exit(main(args.smoke))
