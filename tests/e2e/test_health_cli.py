"""`paperscout health` beside a running bot: the bot stamps its heartbeat file when its scheduler
starts and after every tick; the command (another process, the real clock) exits 0 while the
stamp is fresh and the database answers, and 1 when the scheduler stopped over 3 minutes ago
or the database does not answer.

"Over 3 minutes ago" is a bot whose clock was 4 minutes behind the command's when its scheduler
last ticked, then stopped: the command reads the stamp with the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.heartbeat import last_beat
from tests.harness.cli import cli_env, run_cli
from tests.harness.clock import ManualClock
from tests.harness.fixtures import HarnessFactory


async def test_health_is_ok_while_the_scheduler_ticks_and_fails_once_it_stopped(
    harness_factory: HarnessFactory, tmp_path: Path, sqlite_url: str
) -> None:
    heartbeat = tmp_path / "heartbeat"
    env = cli_env(database_url=sqlite_url, heartbeat_file=str(heartbeat))
    clock = ManualClock(datetime.now(UTC) - timedelta(minutes=4))
    settings = {"heartbeat_file": str(heartbeat)}
    async with harness_factory(database_url=sqlite_url, clock=clock, settings=settings) as h:
        started = last_beat(heartbeat)
        assert started is not None and started[0] == clock.now()  # stamped at the start

        # Four minutes on the bot's clock: a tick ends and stamps the file with the real now.
        clock.advance(timedelta(minutes=4))
        assert h.bot.scheduler is not None
        await h.bot.scheduler.get_job("deliver").func()
        ticked = last_beat(heartbeat)
        assert ticked is not None and ticked[0] == clock.now()
        status, out, err = await run_cli("health", cwd=tmp_path, env=env)
        assert status == 0, out + err
        assert "ok      scheduler: ticked" in out and "ok      database: sqlite answers" in out

        # The bot's clock goes back 4 minutes, its last tick ends, then its scheduler stops.
        clock.advance(timedelta(minutes=-4))
        await h.bot.scheduler.get_job("deliver").func()
        await h.bot._ticks.stop(h.bot.scheduler)  # type: ignore[union-attr]
        status, out, err = await run_cli("health", cwd=tmp_path, env=env)
    assert status == 1, out + err
    assert "PROBLEM scheduler: last tick 24" in out and "more than 3 minutes" in out, out
    assert "the bot is stopped or stuck" in out
    assert "ok      database" in out and "Traceback" not in err


async def test_health_fails_without_a_heartbeat_or_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    unreachable = "postgresql+asyncpg://paperscout@127.0.0.1:9/none"  # nothing listens on 9
    env = cli_env(database_url=unreachable, heartbeat_file=str(missing))
    status, out, err = await run_cli("health", cwd=tmp_path, env=env)
    assert status == 1, out + err
    assert f"PROBLEM scheduler: no heartbeat in {missing}" in out
    assert "fix: start the bot (`paperscout run`)" in out
    assert "PROBLEM database: postgresql did not answer" in out
    assert "Traceback" not in err
    assert not missing.exists()


def test_a_heartbeat_file_that_is_not_one_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    for text in ("", "garbage", "2026-12-06T10:00:00 12", "2026-12-06T10:00:00+00:00 x"):
        path.write_text(text)
        assert last_beat(path) is None, text
    path.write_text("2026-12-06T10:00:00+00:00 12\n")
    assert last_beat(path) == (datetime(2026, 12, 6, 10, tzinfo=UTC), 12)
