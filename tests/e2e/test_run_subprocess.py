"""`paperscout run` as a process: migrate, log in to the fake Discord, sync, answer, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.config import Settings
from tests.harness.fake_discord import FakeDiscord
from tests.harness.payloads import MODERATOR_PERMISSIONS

START_TIMEOUT = 60.0  # a cold interpreter importing discord.py + SQLAlchemy on a loaded 2-core box


async def test_paperscout_run_logs_in_syncs_answers_and_exits_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    async with FakeDiscord() as fake:
        env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
        env.update(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_URL=fake.api_url,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            DEV_GUILD_ID=str(fake.guild_id),
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
            LOG_LEVEL="INFO",
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
            identify = await fake.wait_for_identify(timeout=START_TIMEOUT)
            assert identify["token"] == fake.token
            sync = await fake.wait_for(
                "PUT", rf"/applications/\d+/guilds/{fake.guild_id}/commands", timeout=START_TIMEOUT
            )
            assert {c["name"] for c in sync.json} >= {"help", "status"}

            payload = fake.slash_payload("status", permissions=MODERATOR_PERMISSIONS)
            await fake.dispatch_interaction(payload)
            followup = await fake.wait_for("POST", rf"/webhooks/\d+/{payload['token']}", timeout=10)
            (embed,) = followup.json["embeds"]
            fields = {f["name"]: f["value"] for f in embed["fields"]}
            assert "sqlite (answering)" in fields["Database"]

            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = output.decode()
    assert process.returncode == 0, log
    assert "received SIGTERM, shutting down" in log and "shut down cleanly" in log, log
    assert "Traceback" not in log, log
    assert fake.token not in log  # the token never reaches the logs
    assert (tmp_path / "data" / "bot.db").exists()  # migrated on SQLite under the given path


async def test_paperscout_sync_registers_the_commands_and_exits(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
        env.update(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_URL=fake.api_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "sync",
            "--guild",
            str(fake.guild_id),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=START_TIMEOUT)
    text = output.decode()
    assert process.returncode == 0, text
    names = {c["name"] for c in fake.registered_commands(fake.guild_id)}
    assert {"help", "status", "follow", "author", "digest"} <= names
    assert f"commands to guild {fake.guild_id}" in text
    assert fake.find("PUT", r"/applications/\d+/commands") == []  # nothing global
    assert fake.identify_payloads == []  # a one-shot sync never opens the gateway
