"""Why the configured database cannot be used, in one line: driver errors explained.

Start-up runs inside `database_faults(url)` (`db.migrate`), which turns what a wrong URL or an
unusable database raises (no server, an unknown role, a file that is not a database, no write
access, a revision this code does not know) into `DatabaseUnavailable`. Anything else goes
through unchanged: a bug, not a setting. The messages name the host, port, file and the
server's own words, never the password.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.script.revision import ResolutionError
from sqlalchemy.engine import make_url

from db.errors import DatabaseUnavailable
from db.urls import backend_of, sqlite_file

# PostgreSQL error codes a configuration causes, by code or class (the first two characters).
_LOGIN = ("28",)  # invalid authorization: unknown role, wrong password, no pg_hba.conf entry
_NO_DATABASE = "3D000"
_NO_PRIVILEGE = "42501"
_READ_ONLY = "25006"
_CANNOT_SERVE = ("08", "53", "57P03")  # connection failures, too many connections, starting


@contextmanager
def database_faults(url: str) -> Iterator[None]:
    """Raise `DatabaseUnavailable` for the errors `explain` recognises; others unchanged."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as error:
        message = explain(error, url)
        if message is None:
            raise
        raise DatabaseUnavailable(message) from error


def refuse_unopenable(url: str) -> None:
    """`DatabaseUnavailable` when SQLite could not open the file at all (a directory, or a new
    file in a folder it cannot write to), checked before trying: a failed open leaves
    aiosqlite's worker thread answering an event loop that has closed, a traceback at exit."""
    path = sqlite_file(url)
    if path is None:
        return
    missing_unwritable = not path.exists() and not os.access(path.parent, os.W_OK)
    if path.is_dir() or not path.parent.is_dir() or missing_unwritable:
        raise DatabaseUnavailable(_cannot_open(path))


def explain(error: BaseException, url: str) -> str | None:
    """One line saying what is wrong with the database at `url`; None if not a setup fault."""
    chain = _chain(error)
    for cause in chain:
        if isinstance(cause, ResolutionError):
            return unknown_revision(cause.argument)
    if backend_of(url) == "postgresql":
        return _postgres(chain, url)
    return _sqlite(chain, url)


def unknown_revision(revision: object) -> str:
    return (
        f"the database is at revision {str(revision)!r}, which this version of PaperScout does "
        "not know (a newer release migrated it?): run that release, or restore a backup"
    )


def _chain(error: BaseException) -> list[BaseException]:
    """`error`, the driver error SQLAlchemy wraps (`.orig`), and their causes, in that order."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        cause = pending.pop(0)
        if cause is None or any(cause is seen for seen in found):
            continue
        found.append(cause)
        pending += [getattr(cause, "orig", None), cause.__cause__, cause.__context__]
    return found


def _postgres(chain: list[BaseException], url: str) -> str | None:
    parsed = make_url(url)
    where = f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}"
    for cause in chain:
        code = getattr(cause, "sqlstate", None)
        if isinstance(code, str) and code:
            return _postgres_refusal(where, code, str(cause))
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return f"cannot connect to {where} (unknown host name): check the host"
        if isinstance(cause, ConnectionRefusedError):
            return f"cannot connect to {where} (connection refused): is the server running?"
        if isinstance(cause, TimeoutError):
            return f"cannot connect to {where} (timed out): is the server running and reachable?"
        if isinstance(cause, OSError):
            reason = cause.strerror or str(cause)
            return f"cannot connect to {where} ({reason}): is the server running?"
    return None


def _postgres_refusal(where: str, code: str, said: str) -> str | None:
    if code.startswith(_LOGIN):
        return f"{where} refused the login ({said}): check the user name and password"
    if code == _NO_DATABASE:
        return f"{where}: {said}: create it, or fix the database name"
    if code == _NO_PRIVILEGE:
        return f"{where}: {said}: the user needs the right to create tables in that database"
    if code == _READ_ONLY:
        return f"{where} is read-only ({said}): point it at the primary server"
    if code.startswith(_CANNOT_SERVE):
        return f"{where} cannot serve this connection ({said})"
    return None


def _sqlite(chain: list[BaseException], url: str) -> str | None:
    path = sqlite_file(url) or Path(make_url(url).database or "")
    for cause in chain:
        if isinstance(cause, sqlite3.Error):
            return _sqlite_refusal(path, getattr(cause, "sqlite_errorname", ""))
        if isinstance(cause, OSError) and cause.filename is not None:  # making its folder
            return (
                f"cannot create the folder {path.parent} for the SQLite file {path} "
                f"({cause.strerror}): create it, or choose another path"
            )
    return None


def _sqlite_refusal(path: Path, name: str) -> str | None:
    if name == "SQLITE_NOTADB":
        return (
            f"the SQLite file {path} is not a database: point it at PaperScout's database "
            "file, or at a path that does not exist yet to start a new one"
        )
    if name == "SQLITE_CORRUPT":
        return f"the SQLite file {path} is damaged: restore a backup"
    if name == "SQLITE_READONLY_DIRECTORY":
        return _folder_not_writable(path)
    if name.startswith("SQLITE_READONLY"):
        return f"the SQLite file {path} is read-only: give the bot's user write access to it"
    if name == "SQLITE_FULL":
        return f"the disk holding the SQLite file {path} is full"
    if name == "SQLITE_CANTOPEN":
        return _cannot_open(path)
    return None


def _cannot_open(path: Path) -> str:
    """SQLite says only "unable to open database file": the file system says why."""
    if path.is_dir():
        return f"the SQLite path {path} is a directory: name a file (e.g. {path}/paperscout.db)"
    if path.parent.exists() and not path.parent.is_dir():
        return f"{path.parent} is not a folder, so the SQLite file {path} cannot be made there"
    if not path.exists() and not os.access(path.parent, os.W_OK):
        return _folder_not_writable(path)
    if path.exists() and not os.access(path, os.R_OK):
        return f"cannot read the SQLite file {path}: give the bot's user access to it"
    return f"cannot open the SQLite file {path}"


def _folder_not_writable(path: Path) -> str:
    return (
        f"cannot write to the folder {path.parent} of the SQLite file {path} (SQLite creates "
        "the file and its journal there): give the bot's user write access, or choose "
        "another path"
    )
