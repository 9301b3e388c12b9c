"""Benchmark digest suggestions (a script that prints figures, not a test).

    .venv/bin/python benchmarks/bench_suggestions.py            # full size
    .venv/bin/python benchmarks/bench_suggestions.py --smoke    # tiny and quick (CI)

It prints the time to rank the week's suggestions for 1,000 digest destinations (budget < 10 s
on SQLite), with the real code (`bot.services.suggestions`) over a migrated SQLite:

- 1,000 due weekly channel digest schedules (suggestions on), each channel following ~5 (3-7)
  of 500 authors (author follows, scope channel). Each author has ~20 (15-25) stored papers
  (linked to them), the newest first seen this week, and 1-2 real usual categories.
- A week of listing items stored with `SuggestionRepository.keep_listing`: 2,000 a day over
  5 announcement days (10,000), among them the authors' new papers; titles of ~10 words,
  abstracts of ~150 words, 1-3 real arXiv categories, 2-6 authors each.
- The texts are generated from the words of the recorded arXiv fixtures (tests/fixtures: a
  word-pair chain over their titles and abstracts, so real phrases recur). Each author and
  each listing item is given the theme of one recorded paper (its categories, a share of its
  words), so an item reads like the papers of the authors of its theme and not like the others.
- Timed separately, each in a read session: reading the week's items
  (`SuggestionRepository.announced_between`), building the `SuggestionRanker` (vectorising
  them), `SuggestionRepository.tastes` for the 1,000 schedules, ranking them all
  (`SuggestionRanker.rank` alone), and `SuggestionSource.for_schedules` end to end (read,
  vectorise, tastes, rank: what `DigestPlanner._plan_due` calls per batch of 1,000). Printed:
  destinations with suggestions, suggestions in all, their mean similarity.
- Then the real planner, `DigestPlanner.plan_due` (the runtime's, `bot.runtime.open_runtime`),
  for the 1,000 due schedules with suggestions on, and on a copy of the database made before
  it with `suggestions` False on every schedule: the difference is what suggestions cost the
  weekly plan.
Seeding is not timed. Nothing is fetched: no internet.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, update

from benchmarks.bench_digest import insert_rows
from bot.arxiv_categories import CATEGORY_NAMES
from bot.runtime import open_runtime
from bot.services.suggestions import (
    PAPERS_PER_AUTHOR,
    Suggestion,
    SuggestionRanker,
    SuggestionSource,
)
from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.arxiv_listing import parse_arxiv_listing
from bot.sources.errors import ArxivQueryError, FeedError
from bot.sources.models import Paper as SourcePaper
from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import (
    Author,
    AuthorPaper,
    DigestSchedule,
    Follow,
    OutboxEntry,
    Paper,
    PaperAuthor,
)
from db.repositories.suggestions import ListedItem, SuggestionRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FIXTURES_DIR, FakeUpstream
from tests.harness.services import settings_on

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday
SEEDED_AT = NOW - timedelta(days=30)
SEED = 20261130
# arXiv announces Sunday to Thursday at 20:00 New York time: 01:00 UTC, Tuesday to Friday of
# last week and this Monday, all within the planner's week (NOW - 7 days, NOW].
ANNOUNCED = [NOW.replace(hour=1) - timedelta(days=d) for d in (6, 5, 4, 3, 0)]
TITLE_THEME_SHARE = 0.4  # share of a title's words drawn from its theme's recorded paper
ABSTRACT_THEME_SHARE = 0.3
FIRST_NAMES = (
    "Anna Ben Carla David Elena Felix Grace Hugo Ines Jonas Karin Luca Maya Nils Olga Pablo "
    "Quinn Rosa Sven Tara Umar Vera Wei Xenia Yuki Zoe Amir Bianca Chen Dario Emma Farid Greta "
    "Hana Igor Julia Kenji Lena Marco Nora Omar Priya Rafael Sara Tomas Ulla Victor Wanda Yara"
).split()
SYLLABLES = (
    "ka lo mi ren sa to vi ber dan el gor han is jo ler mar nor pe ros tin wal ze qu ost"
).split()


@dataclass(frozen=True)
class Sizes:
    destinations: int
    authors: int
    items_per_day: int


# --- the corpus: the recorded fixtures' words -------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One recorded paper: its real categories and its words (as written)."""

    categories: tuple[str, ...]
    words: tuple[str, ...]


def recorded_papers() -> list[SourcePaper]:
    """Every paper of the recorded arXiv listings and API answers (each once)."""
    papers: dict[str, SourcePaper] = {}
    for path in sorted((FIXTURES_DIR / "arxiv_rss").glob("*.xml")):
        try:
            found = parse_arxiv_listing(path.read_bytes()).papers
        except FeedError:  # arXiv's error channel
            continue
        papers.update((p.arxiv_id or p.title, p) for p in found)
    for path in sorted((FIXTURES_DIR / "arxiv_api").glob("*.xml")):
        try:
            found = parse_arxiv_atom(path.read_bytes()).papers
        except ArxivQueryError:
            continue
        papers.update((p.arxiv_id or p.title, p) for p in found)
    return list(papers.values())


class Writer:
    """Titles and abstracts from a word-pair chain over the recorded papers (the next word is
    one that followed this one somewhere, sometimes any word), a share of the words drawn from
    a theme's recorded paper instead."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        papers = recorded_papers()
        titles = [p.title.split() for p in papers if p.title]
        abstracts = [p.abstract.split() for p in papers if len(p.abstract.split()) > 20]
        self.titles = Chain(titles, rng, jump=0.3)
        self.abstracts = Chain(abstracts, rng, jump=0.15)
        self.themes = [
            Theme(
                tuple(c for c in p.categories if c in CATEGORY_NAMES),
                tuple(f"{p.title} {p.abstract}".split()),
            )
            for p in papers
            if len(p.abstract.split()) > 20 and any(c in CATEGORY_NAMES for c in p.categories)
        ]
        self.codes = sorted(c for c in CATEGORY_NAMES if "." in c and not c.startswith("bad-arch"))

    def title(self, theme: Theme) -> str:
        size = self.rng.randint(7, 13)
        return self.titles.text(size, theme.words, TITLE_THEME_SHARE).rstrip(".,;:")

    def abstract(self, theme: Theme) -> str:
        size = self.rng.randint(130, 180)
        return self.abstracts.text(size, theme.words, ABSTRACT_THEME_SHARE)

    def item_categories(self, theme: Theme) -> tuple[str, ...]:
        """1-3 real categories: one of the theme's first, then others of its archive or any."""
        rng = self.rng
        categories = [rng.choice(theme.categories)]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            archive = categories[0].split(".", 1)[0]
            near = [c for c in self.codes if c.startswith(f"{archive}.")]
            extra = rng.choice(near if near and rng.random() < 0.5 else self.codes)
            if extra not in categories:
                categories.append(extra)
        return tuple(categories)


class Chain:
    def __init__(self, texts: list[list[str]], rng: random.Random, jump: float) -> None:
        self.rng = rng
        self.jump = jump
        self.stream = [w for text in texts for w in text]
        self.after: dict[str, list[str]] = {}
        for text in texts:
            for first, second in pairwise(text):
                self.after.setdefault(first, []).append(second)

    def text(self, size: int, theme: Sequence[str], share: float) -> str:
        rng = self.rng
        word = rng.choice(self.stream)
        out = [word]
        while len(out) < size:
            if rng.random() < share:
                word = rng.choice(theme)
            else:
                following = self.after.get(word)
                word = (
                    rng.choice(following) if following and rng.random() > self.jump else None
                ) or rng.choice(self.stream)
            out.append(word)
        return " ".join(out)


def names(count: int, rng: random.Random) -> list[str]:
    """`count` distinct "First Surname" names, every surname different (no homonyms)."""
    surnames = sorted(
        {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(count * 3)}
    )
    rng.shuffle(surnames)
    if len(surnames) < count:
        raise SystemExit("not enough distinct surnames")
    return [f"{rng.choice(FIRST_NAMES)} {s.capitalize()}" for s in surnames[:count]]


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    papers: int = 0
    follows: int = 0
    items: int = 0


async def seed(database: Database, sizes: Sizes) -> World:
    """The benchmark world: authors, their papers, follows and schedules with bulk Core inserts,
    the week's listing with `SuggestionRepository.keep_listing` (not timed)."""
    rng = random.Random(SEED)
    writer = Writer(rng)
    everyone = names(sizes.authors + 5_000, rng)
    followed, others = everyone[: sizes.authors], everyone[sizes.authors :]
    world = World()
    author_rows, paper_rows, lines, links, items = [], [], [], [], []
    announced = [ANNOUNCED[rng.randrange(len(ANNOUNCED))] for _ in range(sizes.authors)]
    for a, name in enumerate(followed):
        theme = rng.choice(writer.themes)
        author_rows.append(
            {
                "id": a + 1,
                "openalex_id": f"A5{a:09d}",
                "display_name": name,
                "name_variants": [],
                "usual_categories": list(theme.categories[: rng.choice((1, 2))]),
                "affiliations": [],
                "counts_by_year": [],
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
        )
        for k in range(rng.randint(15, 25)):  # k = 0: this week's, a listing item too
            world.papers += 1
            number = world.papers
            new = k == 0
            day = announced[a] if new else NOW - timedelta(days=40 + 35 * k + rng.randrange(30))
            arxiv_id = (
                f"2611.{a:05d}" if new else f"25{1 + number // 90_000:02d}.{number % 90_000:05d}"
            )
            title, abstract = writer.title(theme), writer.abstract(theme)
            categories = writer.item_categories(theme)
            co_authors = rng.sample(others, rng.randint(1, 4))
            paper_rows.append(
                {
                    "id": number,
                    "arxiv_id": arxiv_id,
                    "version": 1,
                    "title": title,
                    "abstract": abstract,
                    "primary_category": categories[0],
                    "categories": list(categories),
                    "published": day,
                    "updated": day,
                    "source": "arxiv_rss" if new else "arxiv_api",
                    "first_seen_at": day if new else SEEDED_AT,
                }
            )
            for position, who in enumerate([name, *co_authors]):
                lines.append(
                    {"paper_id": number, "position": position, "name": who, "affiliations": []}
                )
            links.append(
                {
                    "author_id": a + 1,
                    "paper_id": number,
                    "matched_by": "name",
                    "linked_at": day if new else SEEDED_AT,
                }
            )
            if new:
                items.append(
                    ListedItem(arxiv_id, title, abstract, categories, (name, *co_authors), day)
                )
    await insert_rows(database, Author.__table__, author_rows)
    await insert_rows(database, Paper.__table__, paper_rows)
    await insert_rows(database, PaperAuthor.__table__, lines)
    await insert_rows(database, AuthorPaper.__table__, links)

    per_day = {day: sum(1 for i in items if i.announced == day) for day in ANNOUNCED}
    number = 0
    for day in ANNOUNCED:
        for _ in range(sizes.items_per_day - per_day[day]):
            theme = rng.choice(writer.themes)
            arxiv_id = f"2611.{sizes.authors + number:05d}"
            number += 1
            items.append(
                ListedItem(
                    arxiv_id,
                    writer.title(theme),
                    writer.abstract(theme),
                    writer.item_categories(theme),
                    tuple(rng.sample(others, rng.randint(2, 6))),
                    day,
                )
            )
    async with database.transaction() as session:
        await SuggestionRepository(session).keep_listing(
            items, now=NOW - timedelta(hours=6), keep_since=NOW - timedelta(days=14)
        )
    world.items = len(items)

    follow_rows, schedule_rows = [], []
    for c in range(sizes.destinations):
        channel_id = 20_000_000 + c
        for author in rng.sample(range(1, sizes.authors + 1), rng.randint(3, 7)):
            follow_rows.append(
                {
                    "author_id": author,
                    "scope": "channel",
                    "guild_id": 1,
                    "user_id": 1,
                    "channel_id": channel_id,
                    "target_id": channel_id,
                    "notify": "weekly",
                    "created_at": SEEDED_AT,
                }
            )
        schedule_rows.append(
            {
                "target_kind": "channel",
                "target_id": channel_id,
                "guild_id": 1,
                "weekday": 0,
                "local_time": "09:00",
                "timezone": "Europe/Zurich",
                "next_digest_at": NOW - timedelta(minutes=1),
                "last_cutoff_at": NOW - timedelta(days=7),
                "paused": False,
                "post_when_empty": True,
                "style": "compact",
                "suggestions": True,
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
        )
    await insert_rows(database, Follow.__table__, follow_rows)
    await insert_rows(database, DigestSchedule.__table__, schedule_rows)
    world.follows = len(follow_rows)
    return world


# --- the figures -------------------------------------------------------------------------------


def summary(ranked: dict[int, list[Suggestion]]) -> str:
    similarities = [s.similarity for found in ranked.values() for s in found]
    mean = statistics.fmean(similarities) if similarities else 0.0
    with_any = sum(1 for found in ranked.values() if found)
    return (
        f"{with_any:,} of {len(ranked):,} destinations with suggestions, "
        f"{len(similarities):,} suggestions in all, mean similarity {mean:.3f}"
    )


def outbox_suggestions(payloads: Sequence[Any]) -> int:
    return sum(len(part.get("suggestions", ())) for p in payloads for part in p)


async def plan(url: str, *, suggestions: bool) -> tuple[float, int, int, int]:
    """`plan_due` on the database at `url` (suggestions turned off first unless `suggestions`):
    seconds, digests planned, batches, suggestions in the outbox."""
    async with (
        FakeUpstream() as upstream,
        open_runtime(settings_on(upstream, database_url=url), clock=ManualClock(NOW)) as runtime,
    ):  # nothing upstream is asked: planning reads the database only
        if not suggestions:
            async with runtime.database.transaction() as session:
                await session.execute(update(DigestSchedule).values(suggestions=False))
        started = time.perf_counter()
        report = await runtime.services.digest_planner.plan_due(NOW)
        elapsed = time.perf_counter() - started
        async with runtime.database.reader() as session:
            payloads = (await session.execute(select(OutboxEntry.payload))).scalars().all()
    return elapsed, report.planned, report.batches, outbox_suggestions(payloads)


async def run(sizes: Sizes, folder: Path) -> None:
    items = sizes.items_per_day * len(ANNOUNCED)
    print(
        f"Suggestions for {sizes.destinations:,} destinations: channels following ~5 of "
        f"{sizes.authors:,} authors (~20 papers each), {items:,} listing items this week "
        f"({sizes.items_per_day:,} a day over {len(ANNOUNCED)} days)"
    )
    url = f"sqlite+aiosqlite:///{folder / 'suggestions.db'}"
    await upgrade_to_head_async(url)
    database = Database(url)
    try:
        started = time.perf_counter()
        world = await seed(database, sizes)
        seeded = time.perf_counter() - started
    finally:
        await database.dispose()
    print(
        f"   (seeded in {seeded:.1f} s: {world.papers:,} papers, {world.follows:,} follows, "
        f"{world.items:,} listing items)"
    )
    copy = folder / "suggestions-off.db"
    for suffix in ("", "-wal", "-shm"):  # the planner with suggestions off starts from this
        source = folder / f"suggestions.db{suffix}"
        if source.exists():
            shutil.copyfile(source, f"{copy}{suffix}")

    async with (
        FakeUpstream() as upstream,
        open_runtime(settings_on(upstream, database_url=url), clock=ManualClock(NOW)) as runtime,
    ):
        async with runtime.database.reader() as session:
            repo = SuggestionRepository(session)
            started = time.perf_counter()
            listed = await repo.announced_between(NOW - timedelta(days=7), NOW)
            read = time.perf_counter() - started
            started = time.perf_counter()
            ranker = SuggestionRanker(listed)
            built = time.perf_counter() - started
            weights = sum(len(vector.columns) for vector in ranker.item_vectors)
            ids = list((await session.execute(select(DigestSchedule.id))).scalars())
            started = time.perf_counter()
            tastes = await repo.tastes(ids, per_author=PAPERS_PER_AUTHOR)
            tasted = time.perf_counter() - started
            started = time.perf_counter()
            alone = {schedule_id: ranker.rank(taste) for schedule_id, taste in tastes.items()}
            ranking = time.perf_counter() - started
        print(
            f"   (a) the week's items: read {read:.2f} s ({len(listed):,} items), "
            f"SuggestionRanker built (vectorised) in {built:.2f} s "
            f"({len(ranker.vocabulary):,} terms, {weights:,} non-zero weights)"
        )
        papers = [len(t.papers) for t in tastes.values()]
        categories = [len(t.categories) for t in tastes.values()]
        print(
            f"   (b) SuggestionRepository.tastes: {tasted:.2f} s for {len(ids):,} schedules "
            f"(mean {statistics.fmean(papers):.0f} followed papers, "
            f"{statistics.fmean(categories):.1f} categories each)"
        )
        print(
            f"   (c) ranking alone (SuggestionRanker.rank x {len(tastes):,}): {ranking:.2f} s "
            f"({ranking / max(len(tastes), 1) * 1000:.1f} ms a destination)"
        )

        async with runtime.database.reader() as session:
            schedules = list(
                (await session.execute(select(DigestSchedule).order_by(DigestSchedule.id)))
                .scalars()
                .all()
            )
            started = time.perf_counter()
            ranked = await SuggestionSource(NOW).for_schedules(session, schedules)
            whole = time.perf_counter() - started
        print(
            f"       SuggestionSource.for_schedules end to end (read, vectorise, tastes, rank): "
            f"{whole:.2f} s for {len(schedules):,} destinations; budget < 10 s"
        )
        print(f"       {summary(ranked)}")
    if ranked != alone:
        raise SystemExit("for_schedules and the ranking alone disagree")
    if not any(ranked.values()):
        raise SystemExit("no destination got a suggestion")

    on, planned, batches, suggested = await plan(url, suggestions=True)
    total = sum(len(found) for found in ranked.values())
    if planned != sizes.destinations or suggested != total:
        raise SystemExit(f"the planner planned {planned} digests with {suggested} suggestions")
    print(
        f"   plan_due, suggestions on:  {on:.2f} s for {planned:,} digests ({batches} batches), "
        f"{suggested:,} suggestions in the outbox"
    )
    off, planned, batches, suggested = await plan(f"sqlite+aiosqlite:///{copy}", suggestions=False)
    if planned != sizes.destinations or suggested:
        raise SystemExit(f"the planner planned {planned} digests with {suggested} suggestions")
    print(f"   plan_due, suggestions off: {off:.2f} s for {planned:,} digests ({batches} batches)")
    print(f"   suggestions cost the weekly plan {on - off:+.2f} s")
    print()


async def main(smoke: bool) -> None:
    logging.basicConfig(level=logging.ERROR)
    sizes = (
        Sizes(destinations=30, authors=20, items_per_day=60)
        if smoke
        else Sizes(destinations=1_000, authors=500, items_per_day=2_000)
    )
    with tempfile.TemporaryDirectory(prefix="paperscout-suggestions-") as folder:
        await run(sizes, Path(folder))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, runs in seconds (CI)")
    args = parser.parse_args()
    asyncio.run(main(args.smoke))
