"""Prometheus metrics through the real paths: a poll against the fake upstream, its alerts
delivered to the fake Discord, a slash command; and `paperscout run` with METRICS_PORT serving
them over HTTP (off without it)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from prometheus_client import REGISTRY

from bot.config import Settings
from db.database import Database
from db.migrate import upgrade_to_head_async
from tests.e2e.test_polling_cli import USUAL, route
from tests.harness import payloads as p
from tests.harness.fake_discord import FakeDiscord
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.services.conftest import Dest, follow_author

START_TIMEOUT = 60.0


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_poll_its_alerts_and_a_command_are_counted(
    harness_factory: HarnessFactory, sqlite_url: str
) -> None:
    await upgrade_to_head_async(sqlite_url)
    database = Database(sqlite_url)
    try:
        await follow_author(
            database,
            "Adrian Del Maestro",
            created_at=datetime(2014, 6, 1, tzinfo=UTC),
            categories=USUAL,
            destinations=(Dest("user", p.MEMBER_ID),),
        )
    finally:
        await database.dispose()
    names = (
        ("paperscout_polls_total", {"outcome": "ok"}),
        ("paperscout_papers_stored_total", {}),
        ("paperscout_source_requests_total", {"source": "arxiv_api", "outcome": "ok"}),
        ("paperscout_messages_total", {"kind": "alert", "outcome": "sent"}),
        ("paperscout_interaction_seconds_count", {"command": "help"}),
    )
    before = {name: sample(name, **labels) for name, labels in names}
    async with FakeUpstream() as upstream:
        route(upstream)
        settings = {
            "arxiv_api_url": upstream.arxiv_api_url,
            "arxiv_rss_url": upstream.arxiv_rss_url,
            "openalex_api_url": "",
            "semantic_scholar_api_url": "",
            "arxiv_min_interval_seconds": 0.0,
            "metrics_port": 1,  # the outbox gauge is measured at each delivery tick
        }
        async with harness_factory(database_url=sqlite_url, settings=settings, migrate=False) as h:
            summary = await h.bot.poll_tick()
            assert summary.papers_new == 11 and summary.alerts_enqueued > 0
            report = await h.bot.deliver_tick()
            depth_after_first = sample("paperscout_outbox_depth")
            while report.sent:
                report = await h.bot.deliver_tick()
            await h.slash("help")
    after = {name: sample(name, **labels) for name, labels in names}
    delta = {name: after[name] - before[name] for name, _ in names}
    assert delta["paperscout_polls_total"] == 1
    assert delta["paperscout_papers_stored_total"] == 11
    assert delta["paperscout_source_requests_total"] == len(upstream.requests_to("/api/query"))
    assert delta["paperscout_messages_total"] == summary.alerts_enqueued
    assert delta["paperscout_interaction_seconds_count"] == 1
    # 20 rows a tick: what the first tick left waiting.
    assert depth_after_first == max(summary.alerts_enqueued - 20, 0)
    assert sample("paperscout_outbox_depth") == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_paperscout_run_serves_metrics_on_metrics_port(tmp_path: Path) -> None:
    port = free_port()
    async with FakeDiscord() as fake:
        env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
        env.update(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_URL=fake.api_url,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            DEV_GUILD_ID=str(fake.guild_id),
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            METRICS_PORT=str(port),
            HEARTBEAT_FILE=str(tmp_path / "heartbeat"),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await fake.wait_for_identify(timeout=START_TIMEOUT)
            await fake.wait_for("PUT", r"/applications/\d+/guilds/\d+/commands", timeout=60)
            payload = fake.slash_payload("help")
            await fake.dispatch_interaction(payload)
            await fake.wait_for("POST", rf"/interactions/{payload['id']}/.*/callback", timeout=10)
            async with aiohttp.ClientSession() as session:
                for _ in range(50):  # the completion is counted just after the reply
                    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                        assert response.status == 200
                        text = await response.text()
                    if 'paperscout_interaction_seconds_count{command="help"} 1.0' in text:
                        break
                    await asyncio.sleep(0.1)
            process.terminate()
            output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert 'paperscout_interaction_seconds_count{command="help"} 1.0' in text, text
    for name in ("paperscout_polls_total", "paperscout_outbox_depth", "paperscout_messages"):
        assert name in text
    assert process.returncode == 0, output.decode()
    assert f"Prometheus metrics on port {port}" in output.decode()
