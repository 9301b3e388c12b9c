"""`paperscout doctor` as an operator runs it, against the fake Discord, the fake upstream and a
real database: every line ok (exit 0) on a healthy setup, and each broken piece named with its
fix (exit 1): a bad token, privileged intents on, commands not synced, a channel where the bot
may not send, a refused API key, a database behind its migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from db.database import Database
from db.migrate import downgrade_async, upgrade_to_head_async
from db.models import DigestSchedule
from tests.harness import payloads as p
from tests.harness.cli import cli_env, run_cli
from tests.harness.fake_discord import FakeDiscord
from tests.harness.fake_upstream import FakeUpstream
from tests.services.conftest import Dest, follow_author


def route_sources(upstream: FakeUpstream) -> None:
    """One answer for each source's cheap request (the recorded formats)."""
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/query_all-testing_start0_max10.atom.xml",
        query={"search_query": "all:electron"},
    )
    upstream.add_route(
        "GET",
        "/rss/cs.LG",
        fixture="arxiv_rss/rss_all-archives_2024-11-28_trimmed.xml",
        content_type="application/rss+xml; charset=utf-8",
    )
    upstream.add_route(
        "GET",
        "/openalex/authors",
        fixture="openalex/synthetic_authors_search-empty.json",
        content_type="application/json",
        query={"search": "Einstein"},
    )
    upstream.add_route(
        "GET",
        "/graph/v1/author/search",
        fixture="semanticscholar/author_search_turing_fields-name.json",
        content_type="application/json",
        query={"query": "Einstein"},
    )
    upstream.add_route(
        "GET",
        "/entrez/eutils/esearch.fcgi",
        fixture="pubmed/esearch_no-results_phrase-not-found.xml",
        query={"term": "electron"},
    )
    upstream.add_route(
        "GET",
        "/crossref/works/10.1038/nature14539",
        fixture="crossref/work_10.1371-journal.pone.0033693.json",
        content_type="application/json",
    )


async def seed(url: str, channel_id: int, guild_id: int) -> None:
    """A channel follow and a channel digest in `channel_id`."""
    await upgrade_to_head_async(url)
    database = Database(url)
    try:
        await follow_author(
            database,
            "Adrian Del Maestro",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            destinations=(Dest("channel", channel_id, "weekly", guild_id),),
        )
        async with database.transaction() as session:
            session.add(
                DigestSchedule(
                    target_kind="channel",
                    target_id=channel_id,
                    guild_id=guild_id,
                    weekday=0,
                    local_time="09:00",
                    timezone="UTC",
                    next_digest_at=datetime(2026, 12, 7, 9, tzinfo=UTC),
                )
            )
    finally:
        await database.dispose()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[FakeDiscord, FakeUpstream, dict[str, str]]]:
    async with FakeDiscord() as fake, FakeUpstream() as upstream:
        route_sources(upstream)
        url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        await seed(url, fake.channel_id, fake.guild_id)
        env = cli_env(
            upstream,
            database_url=url,
            discord_token=fake.token,
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            dev_guild_id=str(fake.guild_id),
            pubmed_api_url=upstream.pubmed_url,
            crossref_api_url=upstream.crossref_url,
            openalex_api_key="oa-key",
            arxiv_min_interval_seconds="0",
        )
        status, out, err = await run_cli(
            "sync", "--guild", str(fake.guild_id), cwd=tmp_path, env=env
        )
        assert status == 0, out + err
        yield fake, upstream, env


def lines(out: str) -> dict[str, str]:
    """Check name -> the rest of its line (problems marked)."""
    found = {}
    for line in out.splitlines():
        if line.startswith(("ok ", "PROBLEM ")):
            mark, rest = line.split(" ", 1)
            name, detail = rest.strip().split(": ", 1)
            found[name] = f"{mark.strip()}: {detail}"
    return found


async def test_a_healthy_setup_is_all_ok(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake, upstream, env = world
    status, out, err = await run_cli("doctor", cwd=tmp_path, env=env)
    assert status == 0, out + err
    found = lines(out)
    assert all(v.startswith("ok") for v in found.values()), out
    assert (
        found["database"].endswith("at the latest migration (0011)")
        or "latest" in found["database"]
    )
    assert "valid: the bot is PaperScout" in found["token"]
    assert found["privileged intents"] == "ok: all off (PaperScout needs none)"
    assert found["commands"].startswith("ok: ") and f"(server {fake.guild_id})" in found["commands"]
    general = f"#general ({fake.channel_id})"
    assert found[general] == "ok: weekly digest and author follows: the bot may post there"
    for source in ("arXiv API", "arXiv listings", "Semantic Scholar", "PubMed", "Crossref"):
        assert found[source] == "ok: answered", (source, out)
    assert found["OpenAlex"] == "ok: answered with its key"
    key = upstream.requests_to("/openalex/authors")[0]
    assert key.query.get("api_key") == "oa-key"
    assert fake.identify_payloads == []  # REST only: never on the gateway
    assert len(fake.find("PUT", r"/applications/\d+/.*commands")) == 1  # the sync above only
    assert "Traceback" not in err and "oa-key" not in out + err


async def test_each_broken_piece_is_named_with_its_fix(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake, upstream, env = world
    # A channel where the bot's role may not send, with a channel follow in it.
    quiet = fake.add_text_channel(fake.guild_id, "quiet")
    bot_role = str(p.GUILD_ID + 1)
    send = discord.Permissions(send_messages=True).value
    quiet["permission_overwrites"] = [{"id": bot_role, "type": 0, "allow": "0", "deny": str(send)}]
    database = Database(env["DATABASE_URL"])
    try:
        await follow_author(
            database,
            "Ada Lovelace",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            destinations=(Dest("channel", int(quiet["id"]), "weekly", fake.guild_id),),
        )
    finally:
        await database.dispose()
    # Intents switched on in the portal; a command Discord no longer has; OpenAlex refuses.
    application = {**fake.application_payload(), "flags": (1 << 18) | (1 << 15)}
    fake.override("GET", r"/oauth2/applications/@me", lambda rec, m: (200, application))
    registered = fake.guild_commands[str(fake.guild_id)]
    registered[:] = [c for c in registered if c["name"] != "status"]
    upstream.add_route(
        "GET",
        "/openalex/authors",
        body=b'{"error": "Invalid API key"}',
        status=403,
        content_type="application/json",
        query={"search": "Einstein"},
    )
    status, out, err = await run_cli("doctor", cwd=tmp_path, env=env)
    assert status == 1, out + err
    found = lines(out)
    assert found[f"#quiet ({quiet['id']})"] == (
        "PROBLEM: author follows: the bot lacks Send Messages"
    ), out
    assert found[f"#general ({fake.channel_id})"].startswith("ok")
    assert found["privileged intents"] == (
        "PROBLEM: on but not needed: Server Members Intent, Message Content Intent"
    )
    assert found["commands"].startswith("PROBLEM: missing: /status")
    assert found["OpenAlex"].startswith("PROBLEM: refused access with its key")
    assert "fix: check OPENALEX_API_KEY" in out
    assert "fix: in the channel's settings -> Permissions" in out
    assert "Traceback" not in err

    # A token Discord refuses: one line for Discord, the rest still checked.
    status, out, err = await run_cli("doctor", cwd=tmp_path, env={**env, "DISCORD_TOKEN": "wrong"})
    assert status == 1, out + err
    found = lines(out)
    assert found["token"] == "PROBLEM: Discord refused DISCORD_TOKEN"
    assert "commands" not in found and found["database"].startswith("ok")
    assert "Traceback" not in err and "wrong" not in out


async def test_a_database_behind_its_migrations(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, env = world
    await downgrade_async(env["DATABASE_URL"], "0009")
    status, out, err = await run_cli("doctor", cwd=tmp_path, env=env)
    assert status == 1, out + err
    found = lines(out)
    assert "database" in found, out + err
    assert "answers, at migration 0009, this release's latest is" in found["database"]
    assert "fix: run `paperscout db upgrade`" in out
    assert found["channels"] == "PROBLEM: not checked"
