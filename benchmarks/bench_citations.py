"""Benchmark the citations feature (a script that prints figures, not a test).

    .venv/bin/python benchmarks/bench_citations.py            # full size
    .venv/bin/python benchmarks/bench_citations.py --smoke    # tiny and quick (CI)

It prints:

1. Requests one daily run of the citations job makes for 1,000 watched authors with 50
   tracked papers each (budget <= 600), against a local fake upstream: the runtime's own
   `CitationWatch.run` (`bot.runtime.open_runtime`) over a migrated SQLite where each author
   (an OpenAlex id) has 50 journal articles (an OpenAlex id and a DOI each, no arXiv id) and
   one instant citation follow by a user. The fake OpenAlex answers every
   `/works?filter=cites:...` with one or two citing works (one page), each citing an id of
   that request's filter; one in ten requests also gets a self-citation. Counted at the fake
   upstream (the `cites:` requests and every OpenAlex request) and in the job's report.
2. Planning time of the digest's "New citations" section for 10,000 destinations (budget
   < 5 s on SQLite): 10,000 due channel digest schedules, each channel following the
   citations of one of the 1,000 watched authors (weekly, 10 channels per author), with 5
   citing works per author found this week (stored as papers, each citing two of the author's
   papers; one also a paper of the next author), and no new papers: `DigestPlanner.plan_due`
   (the runtime's) timed, after `CitationRepository.candidates` alone for the 10,000 schedules.
Seeding is not timed. Everything runs on loopback: no internet.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from benchmarks.bench_digest import insert_rows
from bot.runtime import open_runtime
from bot.services.author_fetch import paper_record
from bot.sources.models import Paper, PaperAuthor
from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import CitationFollow, DigestCitationItem, DigestSchedule, OutboxEntry
from db.repositories.authors import AuthorRepository
from db.repositories.citation_follows import CitationFollowRepository
from db.repositories.citations import CitationRepository, NewLink
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FIXTURES_DIR, FakeUpstream, RecordedRequest
from tests.harness.services import settings_on

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday
SEEDED_AT = NOW - timedelta(days=30)
TWO_CITING = FIXTURES_DIR / "openalex" / "synthetic_works_filter-cites_two-citing.json"
PAPERS_PER_WRITE = 5_000


def author_openalex(author: int) -> str:
    return f"A5{author:09d}"


def paper_openalex(author: int, paper: int) -> str:
    """A watched paper's OpenAlex id; its author's number can be read back (`author_of`)."""
    return f"W3{author:06d}{paper:03d}"


def author_of(work_id: str) -> int:
    return int(work_id[2:8])


def article(openalex_id: str, doi: str, title: str, day: datetime, names: list[str]) -> PaperRecord:
    """A journal article off arXiv, as the job stores an OpenAlex work (`paper_record`)."""
    record = paper_record(
        Paper(
            arxiv_id=None,
            version=None,
            title=title,
            abstract="We model how populations respond to a changing climate.",
            authors=tuple(PaperAuthor(n, ("University of Somewhere",)) for n in names),
            primary_category=None,
            categories=(),
            published=day,
            updated=day,
            doi=doi,
            source="openalex",
            openalex_id=openalex_id,
            venue="Ecology Letters",
            url=f"https://doi.org/{doi}",
        )
    )
    assert record is not None
    return record


async def watched_world(
    database: Database, authors: int, papers: int, *, user_follows: bool
) -> dict[int, list[int]]:
    """`authors` authors with `papers` journal articles each (linked to them), optionally one
    instant user citation follow each; returns author id -> its paper ids, in paper order."""
    async with database.transaction() as session:
        repo = AuthorRepository(session)
        ids = [
            (
                await repo.upsert(
                    display_name=f"Author Number{a}", now=SEEDED_AT, openalex_id=author_openalex(a)
                )
            ).id
            for a in range(authors)
        ]
    records = [
        article(
            paper_openalex(a, p),
            f"10.5555/cited.{a}.{p}",
            f"Population dynamics under a changing climate, study {a}-{p}",
            NOW - timedelta(days=40 + (a * papers + p) % 2000),
            [f"Author Number{a}", "Co Author"],
        )
        for a in range(authors)
        for p in range(papers)
    ]
    paper_ids: dict[int, list[int]] = {}
    for start in range(0, len(records), PAPERS_PER_WRITE):
        chunk = records[start : start + PAPERS_PER_WRITE]
        async with database.transaction() as session:
            papers_repo = PaperRepository(session)
            stored = (await papers_repo.upsert_many(chunk, now=SEEDED_AT)).ids
            pairs = []
            for offset, record in enumerate(chunk):
                author = ids[(start + offset) // papers]
                paper_ids.setdefault(author, []).append(stored[record.key])
                pairs.append((author, stored[record.key], "openalex"))
            await papers_repo.link_authors(pairs, now=SEEDED_AT)
    if user_follows:
        async with database.transaction() as session:
            follows = CitationFollowRepository(session)
            for number, author in enumerate(ids):
                await follows.add(
                    author_id=author,
                    scope="user",
                    user_id=10_000 + number,
                    now=SEEDED_AT,
                    notify="instant",
                )
    return paper_ids


# --- 1. requests per daily run -----------------------------------------------------------------


class CitingWorks:
    """The fake OpenAlex's answer to `/works?filter=cites:<ids>,from_created_date:...`: one or
    two new citing works per request (every other request two), each citing one id of the
    filter; one in ten requests adds a self-citation (by the cited paper's author)."""

    def __init__(self) -> None:
        template = json.loads(TWO_CITING.read_text())["results"][0]
        self.template: dict[str, Any] = template
        self.requests = 0
        self.works = 0

    def __call__(self, request: RecordedRequest) -> bytes:
        cites = request.query["filter"].split(",")[0].removeprefix("cites:")
        ids = cites.split("|")
        self.requests += 1
        wanted = [ids[0]] + ([ids[-1]] if self.requests % 2 == 0 else [])
        results = [self._work(cited, own=False) for cited in wanted]
        if self.requests % 10 == 0:
            results.append(self._work(ids[len(ids) // 2], own=True))
        page = {"meta": {"count": len(results), "next_cursor": None}, "results": results}
        return json.dumps(page).encode()

    def _work(self, cited: str, *, own: bool) -> dict[str, Any]:
        self.works += 1
        number = self.works
        work = copy.deepcopy(self.template)
        openalex = f"https://openalex.org/W8{number:09d}"
        doi = f"https://doi.org/10.5555/citing.{number}"
        day = (NOW - timedelta(days=number % 5)).date().isoformat()
        work.update(
            id=openalex,
            doi=doi,
            ids={"openalex": openalex, "doi": doi},
            title=f"Who cites population models? A reuse study, part {number}",
            display_name=f"Who cites population models? A reuse study, part {number}",
            publication_date=day,
            created_date=day,
            updated_date=f"{day}T03:00:00.000000",
            referenced_works=[f"https://openalex.org/{cited}", "https://openalex.org/W1000000001"],
        )
        work["primary_location"]["landing_page_url"] = doi
        if own:  # the cited paper's author among the citing work's authors
            who = author_of(cited)
            work["authorships"][0]["author"] = {
                "id": f"https://openalex.org/{author_openalex(who)}",
                "display_name": f"Author Number{who}",
                "orcid": None,
            }
            work["authorships"][0]["raw_author_name"] = f"Author Number{who}"
        return work


async def requests_per_run(authors: int, papers: int, folder: Path) -> None:
    print(
        f"1. Requests per daily run of the citations job, {authors:,} watched authors x "
        f"{papers} tracked papers"
    )
    url = f"sqlite+aiosqlite:///{folder / 'job.db'}"
    await upgrade_to_head_async(url)
    database = Database(url)
    try:
        started = time.perf_counter()
        await watched_world(database, authors, papers, user_follows=True)
        seeded = time.perf_counter() - started
    finally:
        await database.dispose()
    body = CitingWorks()
    async with FakeUpstream() as upstream:
        upstream.add_route(
            "GET",
            "/openalex/works",
            body=body,
            content_type="application/json",
            query={"filter": re.compile("^cites:")},
        )
        settings = settings_on(upstream, database_url=url, semantic_scholar_api_url="")
        async with open_runtime(settings, clock=ManualClock(NOW)) as runtime:
            started = time.perf_counter()
            report = await runtime.services.citations.run()
            elapsed = time.perf_counter() - started
    if report.errors or upstream.unmatched:
        raise SystemExit(f"the citations job failed: {report.errors} {upstream.unmatched[:3]}")
    cites = [
        r
        for r in upstream.requests
        if r.path.endswith("/works") and r.query.get("filter", "").startswith("cites:")
    ]
    openalex = [r for r in upstream.requests if r.path.startswith("/openalex")]
    print(f"   (seeded in {seeded:.1f} s: {authors * papers:,} papers, {authors:,} follows)")
    print(
        f"   requests: {len(cites):,} cites: requests, {len(openalex):,} OpenAlex requests in "
        f"all (fake upstream); {report.requests:,} in the job's report; budget <= 600"
    )
    print(
        f"   papers watched: {report.papers_watched:,} ({report.capped_authors} authors capped), "
        f"since {report.since}"
    )
    print(
        f"   citing works found: {report.works:,} ({body.works:,} served), "
        f"new: {report.new_works:,}, self-citations: {report.self_citations:,}, "
        f"alerts enqueued: {report.alerts:,}"
    )
    print(f"   run took {elapsed:.2f} s ({elapsed / max(len(cites), 1) * 1000:.1f} ms a request)")
    print()


# --- 2. the digest's New citations section -----------------------------------------------------


async def citations_world(
    database: Database, authors: int, papers: int, channels: int, citing: int
) -> int:
    """The world of part 2; returns how many citation links were stored."""
    paper_ids = await watched_world(database, authors, papers, user_follows=False)
    order = sorted(paper_ids)
    found = NOW - timedelta(days=2)
    records: list[PaperRecord] = []
    cites: list[list[tuple[int, int]]] = []  # per record: (cited paper, its author)
    for a, author in enumerate(order):
        following = order[(a + 1) % len(order)]
        for k in range(citing):
            number = a * citing + k
            records.append(
                article(
                    f"W8{number:09d}",
                    f"10.5555/citing.{number}",
                    f"Who cites population models? A reuse study, part {number}",
                    found,
                    ["Some One Else"],
                )
            )
            own = paper_ids[author]
            cited = [(own[k % len(own)], author), (own[(k + citing) % len(own)], author)]
            if k == 0:
                cited.append((paper_ids[following][0], following))
            cites.append(cited)
    links: list[NewLink] = []
    async with database.transaction() as session:
        stored = (await PaperRepository(session).upsert_many(records, now=found)).ids
        for record, cited in zip(records, cites, strict=True):
            links.extend(NewLink(stored[record.key], p, a, False) for p, a in cited)
        new = await CitationRepository(session).add_links(links, now=found)
    follows, schedules = [], []
    for c in range(channels):
        channel_id = 20_000_000 + c
        follows.append(
            {
                "author_id": order[c % len(order)],
                "scope": "channel",
                "guild_id": 1,
                "user_id": 1,
                "channel_id": channel_id,
                "target_id": channel_id,
                "notify": "weekly",
                "include_self": False,
                "created_at": SEEDED_AT,
            }
        )
        schedules.append(
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
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
        )
    await insert_rows(database, CitationFollow.__table__, follows)
    await insert_rows(database, DigestSchedule.__table__, schedules)
    return len(new)


async def digest_planning(
    authors: int, papers: int, channels: int, citing: int, folder: Path
) -> None:
    print(
        f"2. Planning the digest's New citations for {channels:,} destinations "
        f"({authors:,} watched authors, {channels // authors} channels each, "
        f"{citing} citing works per author found this week, no new papers)"
    )
    url = f"sqlite+aiosqlite:///{folder / 'digest.db'}"
    await upgrade_to_head_async(url)
    async with (
        FakeUpstream() as upstream,
        open_runtime(settings_on(upstream, database_url=url), clock=ManualClock(NOW)) as runtime,
    ):  # nothing upstream is asked: planning reads the database only
        database = runtime.database
        started = time.perf_counter()
        links = await citations_world(database, authors, papers, channels, citing)
        seeded = time.perf_counter() - started
        print(f"   (seeded in {seeded:.1f} s: {links:,} citation links)")

        async with database.reader() as session:
            ids = list((await session.execute(select(DigestSchedule.id))).scalars())
            started = time.perf_counter()
            candidates = await CitationRepository(session).candidates(ids, until=NOW)
            alone = time.perf_counter() - started
        print(
            f"   CitationRepository.candidates alone: {alone:.2f} s for {len(ids):,} schedules "
            f"({len(candidates):,} rows)"
        )

        started = time.perf_counter()
        report = await runtime.services.digest_planner.plan_due(NOW)
        elapsed = time.perf_counter() - started

        async with database.reader() as session:
            rows = (await session.execute(select(func.count(OutboxEntry.id)))).scalar_one()
            items = (
                await session.execute(select(func.count()).select_from(DigestCitationItem))
            ).scalar_one()
            payloads = (await session.execute(select(OutboxEntry.payload))).scalars().all()
    messages = sum(len(p) for p in payloads)
    groups = [g for p in payloads for part in p for g in part.get("citations", [])]
    listed = sum(len(g["by"]) for g in groups)
    assert report.planned == channels and rows == channels, (report, rows)
    assert items > 0, "the digests must list new citations"
    print(
        f"   plan_due: {elapsed:.2f} s for {report.planned:,} digests planned "
        f"({report.planned / elapsed:,.0f}/s, {report.batches} batches); budget < 5 s"
    )
    print(
        f"   outbox: {rows:,} rows, {messages:,} messages; New citations: {len(groups):,} "
        f"(digest, cited paper) groups of {listed:,} citing works; {items:,} digest citation items"
    )
    print()


async def main(smoke: bool) -> None:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="paperscout-citations-") as folder:
        if smoke:
            await requests_per_run(20, 5, Path(folder))
            await digest_planning(20, 5, 50, 5, Path(folder))
            return
        await requests_per_run(1000, 50, Path(folder))
        await digest_planning(1000, 50, 10_000, 5, Path(folder))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, runs in seconds (CI)")
    args = parser.parse_args()
    asyncio.run(main(args.smoke))
