"""The container image, built and run for real (marked `container`; skipped with the reason when
this machine has no engine): built from the Dockerfile on a Debian base made from Debian's
packages, run with the host's network against the local PostgreSQL, the fake Discord and the
fake upstream; it migrates, logs in, syncs, turns healthy by its own HEALTHCHECK
(`paperscout health`), `paperscout doctor` inside it finds nothing wrong, and it stops cleanly.
`compose.yaml` is checked by `docker-compose config` (it resolves with a .env)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from tests.container.engine import IMAGE, REPO, build_image, engine_or_skip, run
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
            await run(docker, "rm", "--force", name)
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
