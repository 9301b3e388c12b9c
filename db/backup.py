"""Backups of a SQLite database, and restoring one (`paperscout db backup` / `db restore`).

SQLite's online backup API copies a consistent snapshot while the bot keeps writing (WAL: a
writer never waits for the copy; a write during it restarts the step that saw it). The copy is
written beside its destination and renamed into place, so a reader of PATH never sees half a
file. PostgreSQL backups are pg_dump's job: the command prints it.

A restore copies the backup into the database file with the same API (the bot must be stopped).
It refuses to overwrite a database that is *newer* than the backup, unless forced: one at a
later migration, or with activity recorded after the backup's newest.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from db.migrate import revision_order

# Columns that move when the bot does anything (a poll, a follow, a delivery, a plan): the
# newest of them dates a database's last activity.
ACTIVITY_COLUMNS = (
    ("papers", "first_seen_at"),
    ("follows", "created_at"),
    ("outbox", "created_at"),
    ("outbox", "sent_at"),
    ("feed_state", "updated_at"),
    ("digest_schedules", "updated_at"),
    ("source_health", "updated_at"),
)
PAGES_PER_STEP = 256  # copied between chances for the bot to write (4 KiB pages: 1 MiB)


class BackupError(Exception):
    """Why a backup or a restore was not made (a message for the operator)."""


@dataclass(frozen=True)
class Snapshot:
    """What a database file holds, in brief."""

    revision: str | None  # its migration; None: never migrated (or not PaperScout's)
    last_activity: str | None  # the newest activity timestamp, as stored
    papers: int
    integrity: str  # PRAGMA integrity_check's verdict: "ok" or the first problem


def describe(path: Path) -> Snapshot:
    """Read `path` (read-only) without changing it."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
            integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
            revision = None
            if "alembic_version" in tables:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
            stamps = [
                connection.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
                for table, column in ACTIVITY_COLUMNS
                if table in tables
            ]
            papers = (
                connection.execute("SELECT count(*) FROM papers").fetchone()[0]
                if "papers" in tables
                else 0
            )
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from None
    known = [s for s in stamps if s is not None]
    return Snapshot(revision, max(known) if known else None, papers, integrity)


def backup(source: Path, destination: Path) -> Snapshot:
    """Copy the live database `source` to `destination` (which must not exist yet)."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if destination.exists():
        raise BackupError(f"{destination} exists already: choose another path")
    destination.parent.mkdir(parents=True, exist_ok=True)
    scratch = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        _copy(source, scratch)
        copied = describe(scratch)
        if copied.integrity != "ok":
            raise BackupError(f"the copy failed its integrity check: {copied.integrity}")
        os.replace(scratch, destination)
    finally:
        scratch.unlink(missing_ok=True)
    return copied


def restore(backup_file: Path, target: Path, *, force: bool = False) -> Snapshot:
    """Copy `backup_file` over the database at `target` (created when missing)."""
    saved = describe(backup_file)
    if saved.integrity != "ok":
        raise BackupError(f"{backup_file} failed its integrity check: {saved.integrity}")
    if saved.revision is None:
        raise BackupError(f"{backup_file} is not a PaperScout database (no migration recorded)")
    order = revision_order()
    if saved.revision not in order:
        raise BackupError(
            f"{backup_file} is at migration {saved.revision}, which this PaperScout does not "
            "know: restore it with the release that made it"
        )
    if target.exists() and not force:
        current = describe(target)
        newer = _newer(current, saved, order)
        if newer:
            raise BackupError(f"{target} is newer than the backup ({newer}); --force overwrites it")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(backup_file, target)
    return describe(target)


def _newer(current: Snapshot, saved: Snapshot, order: list[str]) -> str | None:
    """Why the database `current` is newer than the backup `saved`; None when it is not."""
    if current.revision is not None:
        if current.revision not in order:
            return f"its migration {current.revision} is from a newer release"
        if order.index(current.revision) > order.index(saved.revision or ""):
            return f"migration {current.revision}, the backup's is {saved.revision}"
    if current.last_activity is not None and (
        saved.last_activity is None or current.last_activity > saved.last_activity
    ):
        return f"activity at {current.last_activity}, the backup's newest is {saved.last_activity}"
    return None


def _copy(source: Path, destination: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader,
        contextlib.closing(sqlite3.connect(destination)) as writer,
    ):
        reader.execute(f"PRAGMA busy_timeout={15_000}")
        reader.backup(writer, pages=PAGES_PER_STEP)
