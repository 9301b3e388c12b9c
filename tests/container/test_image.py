"""The container image, built and run for real (marked `container`; skipped with the reason when
this machine has no engine): built from the Dockerfile on a Debian base made from Debian's
packages, run with the host's network against the local PostgreSQL, the fake Discord and the
fake upstream; it migrates, logs in, syncs, turns healthy by its own HEALTHCHECK
(`paperscout health`), `paperscout doctor` inside it finds nothing wrong, and it stops cleanly.
And `compose.yaml` itself: `docker-compose up` with a .env starts PostgreSQL, then the bot once
the database is healthy (its own check), the bot turns healthy, `paperscout doctor` inside it
finds nothing wrong, and `down --volumes` removes it all. No registry here: the images are
built first (PostgreSQL from Debian's packages, `tests/container/postgres/`), and
`tests/container/compose.test.yaml` puts both services on the host's network."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from tests.container.engine import (
    BASE_IMAGE,
    IMAGE,
    REPO,
    build_image,
    engine_or_skip,
    run,
    skip_when_registries_fail,
)
from tests.e2e.test_doctor_cli import lines, route_sources
from tests.harness.fake_discord import FakeDiscord
from tests.harness.fake_upstream import FakeUpstream

pytestmark = pytest.mark.container

HEALTHY_TIMEOUT = 180.0


async def state(docker: str, name: str, field: str) -> str:
    status, out = await run(docker, "inspect", "--format", f"{{{{{field}}}}}", name)
    assert status == 0, out
    return out.strip()


async def test_the_image_runs_healthy_passes_doctor_and_stops_cleanly(postgres_url: str) -> None:
    docker = engine_or_skip()
    await build_image(docker)
    name = f"paperscout-test-{uuid.uuid4().hex[:8]}"
    async with FakeDiscord() as fake, FakeUpstream() as upstream:
        route_sources(upstream)
        settings = {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_URL": fake.api_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DEV_GUILD_ID": str(fake.guild_id),
            "DATABASE_URL": postgres_url,
            "CONTACT_EMAIL": "ops@paperscout.example",
            "ARXIV_API_URL": upstream.arxiv_api_url,
            "ARXIV_RSS_URL": upstream.arxiv_rss_url,
            "OPENALEX_API_URL": upstream.openalex_url,
            "SEMANTIC_SCHOLAR_API_URL": upstream.semantic_scholar_url,
            "PUBMED_API_URL": upstream.pubmed_url,
            "CROSSREF_API_URL": upstream.crossref_url,
            "ARXIV_MIN_INTERVAL_SECONDS": "0",
        }
        env_args = [arg for key, value in settings.items() for arg in ("-e", f"{key}={value}")]
        status, out = await run(
            docker,
            "run",
            "--detach",
            "--name",
            name,
            "--network",
            "host",
            "--health-interval",
            "2s",  # the Dockerfile's check (`paperscout health`), asked more often
            *env_args,
            IMAGE,
        )
        assert status == 0, out
        try:
            await fake.wait_for_identify(timeout=HEALTHY_TIMEOUT)
            async with asyncio.timeout(HEALTHY_TIMEOUT):
                while (health := await state(docker, name, ".State.Health.Status")) != "healthy":
                    assert health in ("starting", ""), await run(docker, "logs", name)
                    await asyncio.sleep(1)
            user = await run(docker, "exec", name, "id", "-u")
            assert user == (0, "10001\n")  # not root
            status, out = await run(docker, "exec", name, "paperscout", "doctor", seconds=180)
            assert status == 0, out
            found = lines(out)
            assert all(v.startswith("ok") for v in found.values()), out
            assert {"database", "token", "commands", "arXiv API", "OpenAlex"} <= set(found)
            status, out = await run(docker, "stop", "--time", "30", name, seconds=60)
            assert status == 0, out
            assert await state(docker, name, ".State.ExitCode") == "0"
            _, log = await run(docker, "logs", name)
        finally:
            await run(docker, "rm", "--force", "--volumes", name)
    assert "shut down cleanly" in log, log[-3000:]
    assert "Traceback" not in log and fake.token not in log


POSTGRES_IMAGE = "paperscout-postgres:container-test"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no docker-compose here")
async def test_the_compose_stack_starts_the_bot_after_a_healthy_database(tmp_path: Path) -> None:
    docker = engine_or_skip()
    await build_image(docker)
    status, out = await run(
        docker,
        "build",
        "--network",
        "host",
        "--build-arg",
        f"BASE={BASE_IMAGE}",
        "-t",
        POSTGRES_IMAGE,
        str(REPO / "tests" / "container" / "postgres"),
        seconds=900,
    )
    if status != 0:
        skip_when_registries_fail(out)
    assert status == 0, out[-3000:]
    project = f"pscompose{uuid.uuid4().hex[:8]}"
    async with FakeDiscord() as fake, FakeUpstream() as upstream:
        route_sources(upstream)
        (tmp_path / ".env").write_text(
            "\n".join(
                [
                    f"DISCORD_TOKEN={fake.token}",
                    f"DISCORD_API_URL={fake.api_url}",
                    f"DISCORD_GATEWAY_URL={fake.gateway_url}",
                    f"DEV_GUILD_ID={fake.guild_id}",
                    "POSTGRES_PASSWORD=composetest1",
                    "CONTACT_EMAIL=ops@paperscout.example",
                    f"ARXIV_API_URL={upstream.arxiv_api_url}",
                    f"ARXIV_RSS_URL={upstream.arxiv_rss_url}",
                    f"OPENALEX_API_URL={upstream.openalex_url}",
                    f"SEMANTIC_SCHOLAR_API_URL={upstream.semantic_scholar_url}",
                    f"PUBMED_API_URL={upstream.pubmed_url}",
                    f"CROSSREF_API_URL={upstream.crossref_url}",
                    "ARXIV_MIN_INTERVAL_SECONDS=0",
                ]
            )
            + "\n"
        )
        compose = [
            "docker-compose",
            "--project-name",
            project,
            "--project-directory",
            str(tmp_path),
            "-f",
            str(REPO / "compose.yaml"),
            "-f",
            str(REPO / "tests" / "container" / "compose.test.yaml"),
        ]
        try:
            status, out = await run(*compose, "up", "--detach", "--no-build", seconds=300)
            assert status == 0, out
            bot = f"{project}_bot_1"
            await fake.wait_for_identify(timeout=HEALTHY_TIMEOUT)
            async with asyncio.timeout(HEALTHY_TIMEOUT):
                while (health := await state(docker, bot, ".State.Health.Status")) != "healthy":
                    assert health in ("starting", ""), await run(*compose, "logs")
                    await asyncio.sleep(1)
            db_started = await state(docker, f"{project}_db_1", ".State.StartedAt")
            bot_started = await state(docker, bot, ".State.StartedAt")
            assert bot_started > db_started  # the bot waited for the database
            status, out = await run(
                *compose, "exec", "-T", "bot", "paperscout", "doctor", seconds=180
            )
            assert status == 0, out
            found = lines(out)
            assert all(v.startswith("ok") for v in found.values()), out
            compose_database = "postgresql+asyncpg://paperscout:***@127.0.0.1:55432/paperscout"
            assert compose_database in found["database"]
        finally:
            await run(*compose, "stop", "--timeout", "30", seconds=120)
            _, log = await run(*compose, "logs", "--no-color", "bot")
            await run(*compose, "down", "--volumes", seconds=120)
    assert "shut down cleanly" in log, log[-3000:]
    assert "Traceback" not in log and fake.token not in log


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no docker-compose here")
async def test_the_compose_file_resolves(tmp_path: Path) -> None:
    engine_or_skip()
    (tmp_path / ".env").write_text("DISCORD_TOKEN=x\nPOSTGRES_PASSWORD=s3cret\n")
    compose = str(REPO / "compose.yaml")
    status, out = await run(
        "docker-compose", "--project-directory", str(tmp_path), "-f", compose, "config"
    )
    assert status == 0, out
    assert "condition: service_healthy" in out and "pgdata" in out
    assert "postgresql+asyncpg://paperscout:s3cret@db:5432/paperscout" in out
