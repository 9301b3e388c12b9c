"""`paperscout db backup PATH` and `paperscout db restore PATH [--force]` (`db.backup`).

SQLite: a consistent copy while the bot runs; a restore with the bot stopped (its heartbeat
must be stale: `bot.services.heartbeat`). PostgreSQL: the commands print the `pg_dump` or
`pg_restore` line to run, with the password left out (give it as PGPASSWORD)."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from bot.cli_health import STALE_AFTER
from bot.config import Settings
from bot.services.heartbeat import last_beat
from db.backup import BackupError, Snapshot, backup, restore
from db.urls import sqlite_file

EXIT_REFUSED = 1


def _postgres_target(settings: Settings) -> str:
    """The database URL for libpq tools: postgresql://, without the password."""
    url = make_url(settings.database_url)
    bare = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return bare.render_as_string(hide_password=False)


def _summary(snapshot: Snapshot) -> str:
    return (
        f"migration {snapshot.revision or 'none'}, {snapshot.papers:,} papers, "
        f"last activity {snapshot.last_activity or 'none'}, integrity {snapshot.integrity}"
    )


def cmd_db_backup(settings: Settings, args: argparse.Namespace) -> int:
    destination = Path(args.path)
    source = sqlite_file(settings.database_url)
    if settings.database_backend != "sqlite":
        target = shlex.quote(_postgres_target(settings))
        print("PostgreSQL: back up with pg_dump (a consistent snapshot while the bot runs):")
        file = shlex.quote(str(destination))
        print(f"  PGPASSWORD=... pg_dump --format=custom --file {file} {target}")
        return 0
    if source is None:
        print("paperscout db backup: an in-memory database has nothing to back up", file=sys.stderr)
        return EXIT_REFUSED
    try:
        copied = backup(source, destination)
    except BackupError as error:
        print(f"paperscout db backup: {error}", file=sys.stderr)
        return EXIT_REFUSED
    size = destination.stat().st_size
    print(f"backed up {source} to {destination} ({size:,} bytes): {_summary(copied)}")
    return 0


def cmd_db_restore(settings: Settings, args: argparse.Namespace) -> int:
    saved = Path(args.path)
    if settings.database_backend != "sqlite":
        target = shlex.quote(_postgres_target(settings))
        print("PostgreSQL: stop the bot, then restore with pg_restore:")
        print(
            f"  PGPASSWORD=... pg_restore --clean --if-exists --no-owner "
            f"--dbname {target} {shlex.quote(str(saved))}"
        )
        return 0
    target_file = sqlite_file(settings.database_url)
    if target_file is None:
        print("paperscout db restore: DATABASE_URL is an in-memory database", file=sys.stderr)
        return EXIT_REFUSED
    beat = last_beat(settings.heartbeat_file)
    if beat is not None and datetime.now(UTC) - beat[0] <= STALE_AFTER and not args.force:
        print(
            f"paperscout db restore: the bot is running (process {beat[1]} ticked "
            f"{int((datetime.now(UTC) - beat[0]).total_seconds())} s ago): stop it first",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    try:
        restored = restore(saved, target_file, force=args.force)
    except BackupError as error:
        print(f"paperscout db restore: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"restored {saved} to {target_file}: {_summary(restored)}")
    print("the next `paperscout run` applies any newer migration before starting")
    return 0


def add_db_backup_parsers(db_sub: Any) -> None:
    backup_parser = db_sub.add_parser(
        "backup",
        help="copy the SQLite database to PATH while the bot runs (PostgreSQL: print pg_dump)",
    )
    backup_parser.add_argument("path", metavar="PATH", help="where to write the copy (new file)")
    backup_parser.set_defaults(handler=cmd_db_backup)
    restore_parser = db_sub.add_parser(
        "restore",
        help="replace the SQLite database with the backup at PATH (the bot stopped)",
    )
    restore_parser.add_argument("path", metavar="PATH", help="a file `db backup` made")
    restore_parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite even a newer database (or one whose bot seems to run)",
    )
    restore_parser.set_defaults(handler=cmd_db_restore)
