"""`paperscout health`: is the bot running here alive? For a container's HEALTHCHECK or a systemd
watchdog: exit 0 when this host's bot process ticked in the last 3 minutes (its heartbeat file,
`bot.services.heartbeat`) and the database answers, 1 otherwise, with a line per check."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.checks import Check, report
from bot.config import Settings
from bot.services.heartbeat import last_beat

# The deliver tick ends every 10 s in every process; 3 minutes of silence is a stuck bot.
STALE_AFTER = timedelta(minutes=3)
DATABASE_TIMEOUT_SECONDS = 5.0


def scheduler_check(path: str, now: datetime) -> Check:
    beat = last_beat(path)
    if beat is None:
        return Check.failed(
            "scheduler",
            f"no heartbeat in {path}",
            "start the bot (`paperscout run`) with the same HEARTBEAT_FILE; it writes the "
            "file when its scheduler starts and after every tick",
        )
    at, pid = beat
    age = max(now - at, timedelta(0))
    ago = f"{int(age.total_seconds())} s ago (process {pid})"
    if age > STALE_AFTER:
        return Check.failed(
            "scheduler",
            f"last tick {ago}, more than {int(STALE_AFTER.total_seconds() // 60)} minutes",
            "the bot is stopped or stuck: read its log, then restart it",
        )
    return Check.passed("scheduler", f"ticked {ago}")


async def database_check(settings: Settings) -> Check:
    from db.database import Database

    database = Database(settings.database_url, pool_size=1, max_overflow=0)
    try:
        answered = await database.ping(DATABASE_TIMEOUT_SECONDS)
    finally:
        await database.dispose()
    if answered:
        return Check.passed("database", f"{settings.database_backend} answers")
    return Check.failed(
        "database",
        f"{settings.database_backend} did not answer within {DATABASE_TIMEOUT_SECONDS:.0f} s",
        "check that the database is up and DATABASE_URL points at it (`paperscout doctor`)",
    )


def cmd_health(settings: Settings, args: argparse.Namespace) -> int:
    checks = [scheduler_check(settings.heartbeat_file, datetime.now(UTC))]
    checks.append(asyncio.run(database_check(settings)))
    return report(checks, sys.stdout)


def add_health_parser(sub: Any) -> None:
    health = sub.add_parser(
        "health",
        help="exit 0 when the bot running here ticked in the last 3 minutes and the database "
        "answers (for a HEALTHCHECK or a watchdog)",
    )
    health.set_defaults(handler=cmd_health)
