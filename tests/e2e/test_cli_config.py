"""`paperscout` refuses a bad configuration: one line, exit status 2, nothing written."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from tests.conftest import fresh_postgres_database


def run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_token_names_it_and_exits_2(tmp_path: Path) -> None:
    result = run_cli(["run"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing created before the check


@pytest.mark.parametrize(
    ("name", "value"),
    [("POLL_INTERVAL_MINUTES", "hourly"), ("DATABASE_URL", "mysql://x/y"), ("DEV_GUILD_ID", "abc")],
)
def test_malformed_setting_names_it_and_exits_2(tmp_path: Path, name: str, value: str) -> None:
    result = run_cli(["run"], tmp_path, DISCORD_TOKEN="t0k3n-secret-value", **{name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0]
    assert "t0k3n-secret-value" not in result.stderr + result.stdout


def test_dotenv_token_missing_in_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n")
    result = run_cli(["sync"], tmp_path)
    assert result.returncode == 2 and "DISCORD_TOKEN" in result.stderr


def test_a_password_with_an_unencoded_at_is_refused_and_never_logged(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres:hunter@2@SECRET@127.0.0.1:5432/paperscout"
    result = run_cli(["db", "upgrade"], tmp_path, DATABASE_URL=url, LOG_LEVEL="DEBUG")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("paperscout: configuration error: DATABASE_URL is invalid")
    for part in ("hunter", "2@SECRET", "SECRET"):
        assert part not in result.stderr + result.stdout


@pytest.mark.postgres
async def test_an_encoded_password_migrates_and_stays_out_of_debug_logs(tmp_path: Path) -> None:
    async with fresh_postgres_database() as plain:  # trust auth: any password gets in
        url = make_url(plain).set(password="hunter@2@SECRET").render_as_string(False)
        assert "hunter%402%40SECRET" in url
        result = await asyncio.to_thread(
            run_cli, ["db", "upgrade"], tmp_path, DATABASE_URL=url, LOG_LEVEL="DEBUG"
        )
    assert result.returncode == 0, result.stderr
    assert "postgresql+asyncpg://postgres:***@127.0.0.1" in result.stderr
    for part in ("hunter", "2@SECRET", "%402%40", "SECRET"):
        assert part not in result.stderr + result.stdout
