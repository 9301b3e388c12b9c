"""`paperscout citations --once` as a subprocess against the fake upstream on loopback and a
migrated SQLite database: Heather Piwowar's arXiv paper 2306.05678, her citations followed
instantly by member 111 and weekly by channel 222 (as in tests/services/test_citation_watch.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from bot.services.citation_watch import JOB_KEY
from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import CitationLink, FeedState, OutboxEntry
from tests.harness.cli import cli_env, run_cli
from tests.harness.fake_upstream import FakeUpstream
from tests.services.test_citation_watch import CITING_QUERY, her_with_a_paper, route

SUMMARY = re.compile(
    r"^citations: 2 OpenAlex requests for 1 watched authors \(1 papers, since "
    r"(\d{4}-\d{2}-\d{2})\)$"
)


async def seeded_database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'paperscout.db'}"
    await upgrade_to_head_async(url)
    database = Database(url)
    try:
        await her_with_a_paper(database)
    finally:
        await database.dispose()
    return url


async def run_citations(
    tmp_path: Path, upstream: FakeUpstream | None, url: str, *args: str
) -> tuple[int, str, str]:
    env = cli_env(upstream, database_url=url)
    return await run_cli("citations", *args, cwd=tmp_path, env=env)


async def count(url: str, model: type) -> int:
    database = Database(url)
    try:
        async with database.reader() as session:
            return int((await session.execute(select(func.count()).select_from(model))).scalar())
    finally:
        await database.dispose()


def cites_filters(upstream: FakeUpstream) -> list[str]:
    return [r.query["filter"] for r in upstream.requests if "cites:" in r.query.get("filter", "")]


async def test_citations_once_prints_the_summary_and_exits_0(tmp_path: Path) -> None:
    url = await seeded_database(tmp_path)
    async with FakeUpstream() as upstream:
        route(upstream)
        code, out, err = await run_citations(tmp_path, upstream, url, "--once")
        [asked] = cites_filters(upstream)
    print(out)  # quoted in the report
    assert code == 0, err
    assert "Traceback" not in err
    first, *rest = out.splitlines()
    summary = SUMMARY.match(first)
    assert summary is not None, first
    assert asked == f"cites:W4380000001,from_created_date:{summary.group(1)}"
    assert rest == [
        "resolved: 1 arXiv papers given their OpenAlex id",
        "citing works: 2 found, 2 new, 1 self-citations",
        "alerts: 1 enqueued",
        "errors: none",
    ]
    assert await count(url, CitationLink) == 2
    assert await count(url, OutboxEntry) == 1
    assert await last_success(url) is not None  # the watermark moved


async def test_citations_once_during_an_openalex_outage_reports_and_exits_1(
    tmp_path: Path,
) -> None:
    url = await seeded_database(tmp_path)
    async with FakeUpstream() as upstream:
        route(upstream)
        upstream.add_route(
            "GET",
            "/openalex/works",
            body=b"down",
            status=503,
            content_type="text/plain",
            query=CITING_QUERY,
            # Longer than any wait inside a call: no real backoff sleeps in the subprocess.
            headers={"Retry-After": "3600"},
        )
        code, out, err = await run_citations(tmp_path, upstream, url, "--once")
        asked = cites_filters(upstream)
    print(out)
    assert code == 1, err
    assert "Traceback" not in err
    assert asked and all(a.startswith("cites:W4380000001,") for a in asked)
    lines = out.splitlines()
    assert SUMMARY.match(lines[0]), lines[0]  # the id of her paper, then the failed ask
    assert lines[1:4] == [
        "resolved: 1 arXiv papers given their OpenAlex id",  # kept: it worked before
        "citing works: 0 found, 0 new, 0 self-citations",
        "alerts: 0 enqueued",
    ]
    assert lines[4] == "errors (1):"
    assert re.match(r"^  works citing 1 papers: .*503", lines[5]), lines[5]
    assert len(lines) == 6
    assert await count(url, CitationLink) == 0
    assert await count(url, OutboxEntry) == 0
    assert await count(url, FeedState) == 1  # due again soon
    assert await last_success(url) is None  # the watermark did not move


async def last_success(url: str) -> object:
    database = Database(url)
    try:
        async with database.reader() as session:
            return await session.scalar(
                select(FeedState.last_success_at).where(FeedState.key == JOB_KEY)
            )
    finally:
        await database.dispose()


async def test_citations_without_once_exits_2_and_says_why(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'paperscout.db'}"
    code, out, err = await run_citations(tmp_path, None, url)
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        "paperscout citations: only --once is supported (`paperscout run` runs it daily)"
    ]
    assert not (tmp_path / "data" / "paperscout.db").exists()  # nothing opened or migrated
