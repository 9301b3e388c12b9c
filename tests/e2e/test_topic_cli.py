"""`paperscout topic preview QUERY [--days N] [--json]` as a subprocess: a bad query is
answered with the parser's message before any database is opened; a good one is matched
against the papers stored in a migrated SQLite database (published relative to the real clock,
which the subprocess reads).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.author_fetch import paper_record
from bot.sources.models import Paper, PaperAuthor
from db.database import Database
from db.migrate import upgrade_to_head_async
from db.repositories.papers import PaperRepository
from tests.harness.cli import cli_env, run_cli

QUERY = '"graph neural" OR cat:cs.LG AND NOT survey'
CANONICAL = '"graph neural" OR (cat:cs.LG AND NOT survey)'


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'paperscout.db'}"


def paper(
    arxiv_id: str,
    title: str,
    *,
    now: datetime,
    age: timedelta,
    categories: tuple[str, ...] = ("cs.CV",),
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        abstract="",
        authors=(PaperAuthor("Ada Lovelace"),),
        primary_category=categories[0],
        categories=categories,
        published=now - age,
        updated=None,
    )


async def seeded_database(tmp_path: Path) -> str:
    """Three matching papers of the last week (newest first: Sparse optimisers, Graph neural
    fields, Graph neural atlases), a cs.LG survey, a paper off the topic, and a matching
    paper 20 days old."""
    url = database_url(tmp_path)
    await upgrade_to_head_async(url)
    now = datetime.now(UTC)
    papers = [
        paper("2412.00001", "Graph neural fields", now=now, age=timedelta(days=1)),
        paper(
            "2412.00002",
            "Sparse optimisers",
            now=now,
            age=timedelta(hours=2),
            categories=("cs.LG", "stat.ML"),
        ),
        paper(
            "2412.00003",
            "Graph neural atlases",
            now=now,
            age=timedelta(days=5),
            categories=("cs.LG",),
        ),
        paper(
            "2412.00004",
            "A survey of optimisers",
            now=now,
            age=timedelta(hours=1),
            categories=("cs.LG",),
        ),
        paper("2412.00005", "Image segmentation", now=now, age=timedelta(hours=3)),
        paper("2411.00006", "Graph neural history", now=now, age=timedelta(days=20)),
    ]
    records = [r for r in map(paper_record, papers) if r is not None]
    assert len(records) == len(papers)
    database = Database(url)
    try:
        async with database.transaction() as session:
            await PaperRepository(session).upsert_many(records, now=now)
    finally:
        await database.dispose()
    return url


async def run_topic(tmp_path: Path, url: str, *args: str) -> tuple[int, str, str]:
    return await run_cli("topic", *args, cwd=tmp_path, env=cli_env(database_url=url))


async def test_a_bad_query_exits_1_with_the_parsers_message_and_no_database(
    tmp_path: Path,
) -> None:
    url = database_url(tmp_path)
    code, out, err = await run_topic(tmp_path, url, "preview", "vision AND")
    assert code == 1
    assert out == ""
    assert err.strip().splitlines() == [
        "paperscout topic: That topic query cannot be used. At character 11: the query ends "
        "too early after AND: expected a word, a “phrase”, cat:… or (."
    ]
    code, out, err = await run_topic(tmp_path, url, "preview", "(vision OR cat:cs.XX", "--json")
    assert code == 1 and out == ""
    assert "At character 12: “cs.XX” is not an arXiv category" in err
    assert "Traceback" not in err
    assert not (tmp_path / "data" / "paperscout.db").exists()  # nothing opened or migrated


async def test_days_0_exits_1(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    code, out, err = await run_topic(tmp_path, url, "preview", "diffusion", "--days", "0")
    assert code == 1
    assert out == ""
    assert err.strip().splitlines() == ["paperscout topic: --days must be 1 to 3650"]
    assert not (tmp_path / "data" / "paperscout.db").exists()


async def test_the_preview_prints_the_matches_as_text(tmp_path: Path) -> None:
    url = await seeded_database(tmp_path)
    code, out, err = await run_topic(tmp_path, url, "preview", QUERY)
    print(out)  # quoted in the report
    assert code == 0, err
    assert "Traceback" not in err
    assert out.splitlines() == [
        f"topic: {QUERY}",
        f"read as: {CANONICAL}",
        "listings read for it: cs.LG",
        "matched 3 stored papers published in the last 7 days",
        "- Sparse optimisers  [cat:cs.LG]",
        "- Graph neural fields  [graph neural]",
        "- Graph neural atlases  [graph neural, cat:cs.LG]",
    ]

    code, out, err = await run_topic(tmp_path, url, "preview", "diffusion", "--days", "30")
    assert code == 0, err
    assert out.splitlines() == [
        "topic: diffusion",
        "read as: diffusion",
        "listings read for it: none of its own",
        "matched 0 stored papers published in the last 30 days",
    ]


async def test_the_preview_as_json_is_one_object(tmp_path: Path) -> None:
    url = await seeded_database(tmp_path)
    code, out, err = await run_topic(tmp_path, url, "preview", QUERY, "--days", "30", "--json")
    assert code == 0, err
    assert "Traceback" not in err
    assert json.loads(out) == {
        "query": QUERY,
        "canonical": CANONICAL,
        "categories": ["cs.LG"],
        "days": 30,
        "count": 4,
        "papers": [
            {"title": "Sparse optimisers", "matched": ["cat:cs.LG"]},
            {"title": "Graph neural fields", "matched": ["graph neural"]},
            {"title": "Graph neural atlases", "matched": ["graph neural", "cat:cs.LG"]},
            {"title": "Graph neural history", "matched": ["graph neural"]},
        ],
    }
