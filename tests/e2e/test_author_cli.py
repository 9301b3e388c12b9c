"""`paperscout author NAME --json` as a subprocess against the fake upstream: the same profile
the slash command shows, as one JSON object (docs/product.md#json-contract-of-paperscout-author)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bot.config import Settings
from tests.harness.fake_upstream import FakeUpstream, Fault

REPO = Path(__file__).resolve().parents[2]
FIELDS = {
    "name",
    "ids",
    "primary_field",
    "primary_field_source",
    "affiliations",
    "h_index",
    "citations",
    "works_count",
    "papers_tracked",
    "novelty_pct",
    "ai_score",
    "metrics_source",
    "metrics_as_of",
    "papers_complete",
    "notices",
    "papers",
}
PAPER_FIELDS = {
    "arxiv_id",
    "title",
    "published",
    "primary_category",
    "authors",
    "affiliations",
    "abstract",
    "doi",
    "pmid",
    "openalex_id",
    "venue",
    "url",
}


async def run_cli(tmp_path: Path, upstream: FakeUpstream, *args: str, **env_extra: str):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
        ARXIV_API_URL=upstream.arxiv_api_url,
        ARXIV_RSS_URL=upstream.arxiv_rss_url,
        OPENALEX_API_URL=upstream.openalex_url,
        SEMANTIC_SCHOLAR_API_URL=upstream.semantic_scholar_url,
        ARXIV_MIN_INTERVAL_SECONDS="0",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="WARNING",
    )
    env.update(env_extra)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "author",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


async def test_author_json_has_exactly_the_documented_fields(tmp_path: Path) -> None:
    async with FakeUpstream() as upstream:
        code, out, err = await run_cli(tmp_path, upstream, "Heather Piwowar", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == FIELDS
    assert data["name"] == "Heather Piwowar"
    assert data["ids"]["openalex"] == "A5048491430"
    assert data["ids"]["orcid"] == "0000-0003-1613-5981"
    assert data["primary_field"] == "DL" and data["affiliations"][0] == "OpenAlex"
    assert (data["h_index"], data["citations"], data["works_count"]) == (23, 4975, 96)
    assert data["papers_tracked"] == 4 and data["novelty_pct"] == 33
    assert isinstance(data["ai_score"], int)
    assert data["metrics_source"] == "openalex" and data["metrics_as_of"].startswith("20")
    assert [p["arxiv_id"] for p in data["papers"]] == [
        "2409.01234",
        "2306.05678",
        "2204.11111",
        "2111.02222",
    ]  # newest first
    first = data["papers"][0]
    assert set(first) == PAPER_FIELDS
    assert first["authors"] == ["Jason Priem", "Heather Piwowar", "Richard Orr"]
    assert first["primary_category"] == "cs.DL" and first["published"].startswith("2024-09-02")


async def test_author_json_unknown_values_are_null_without_a_metrics_source(
    tmp_path: Path,
) -> None:
    async with FakeUpstream() as upstream:
        code, out, err = await run_cli(
            tmp_path,
            upstream,
            "Heather Piwowar",
            "--json",
            OPENALEX_API_URL="",
            SEMANTIC_SCHOLAR_API_URL="",
        )
    assert code == 0, err
    data = json.loads(out)
    assert data["h_index"] is None and data["citations"] is None and data["works_count"] is None
    assert data["metrics_source"] is None and data["metrics_as_of"] is None
    assert data["ids"]["openalex"] is None and data["papers_tracked"] == 4


async def test_author_table_and_unknown_author(tmp_path: Path) -> None:
    async with FakeUpstream() as upstream:
        code, out, err = await run_cli(tmp_path, upstream, "Heather Piwowar")
        assert code == 0, err
        assert "Heather Piwowar" in out and "h-index 23" in out and "4 papers tracked" in out
        code, out, err = await run_cli(tmp_path, upstream, "@everyone")
    assert code == 1 and "mentions" in err and out == ""


async def test_an_arxiv_outage_at_the_first_lookup_is_said_then_repaired(tmp_path: Path) -> None:
    """The first lookup of a new author while arXiv fails: the profile is printed with its
    metrics, marked incomplete, exit 1; with arXiv back the next lookup fetches the papers.
    (Each failure mode is in tests/faults/; this one waits out the real retry policy.)"""
    async with FakeUpstream() as upstream:
        upstream.add_fault("/api/query", Fault.http_status(429))
        code, out, err = await run_cli(tmp_path, upstream, "Heather Piwowar", "--json")
        data = json.loads(out)
        assert code == 1
        assert data["papers_complete"] is False and data["papers"] == []
        assert data["h_index"] == 23  # what OpenAlex answered is still shown
        assert any("arXiv is not answering" in n for n in data["notices"])
        assert [line for line in err.splitlines() if "Traceback" in line] == []
        assert err.strip().splitlines()[-1].startswith("paperscout author: arXiv is not")

        upstream.clear_faults()
        failed = len(upstream.requests_to("/api/query"))
        code, out, err = await run_cli(tmp_path, upstream, "Heather Piwowar", "--json")
        data = json.loads(out)
        assert code == 0, err
        assert data["papers_complete"] is True and data["notices"] == []
        assert data["papers_tracked"] == 4 and len(data["papers"]) == 4

        code, out, err = await run_cli(tmp_path, upstream, "Heather Piwowar", "--json")
        assert code == 0 and json.loads(out)["papers_tracked"] == 4
    # Fetched once complete, then never again.
    assert len(upstream.requests_to("/api/query")) == failed + 1
