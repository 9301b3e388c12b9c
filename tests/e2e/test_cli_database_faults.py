"""`paperscout` against a database it cannot use: one line naming DATABASE_URL, status 2.

Each case runs the real CLI as a process. The line says what is wrong and how to fix it, with no
traceback and never the password. File-permission cases run the CLI without root's override.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from db.migrate import upgrade_to_head_async
from tests.conftest import fresh_postgres_database, pg_admin_url, require_postgres

PASSWORD = f"pw-{uuid.uuid4().hex[:8]}-secret"  # PostgreSQL's trust auth lets it through
TOKEN = "t0k3n-for-the-fault-table"
UNREACHABLE = "http://127.0.0.1:9/"  # no source is ever reached: the database fails first

Prepare = Callable[[Path, AsyncExitStack], Awaitable[str]]


@dataclass(frozen=True)
class Fault:
    prepare: Prepare  # builds the broken database, returns DATABASE_URL
    says: str  # expected in the line
    unprivileged: bool = False  # a file-permission case: run without root's override


def with_password(url: str | URL) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


async def stamp(url: str, revision: str) -> None:
    """Migrate `url`, then pretend a release this code does not know migrated it further."""
    await upgrade_to_head_async(url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
            )
    finally:
        await engine.dispose()


async def postgres(stack: AsyncExitStack) -> str:
    return with_password(await stack.enter_async_context(fresh_postgres_database()))


async def unreachable_postgres(_tmp: Path, _stack: AsyncExitStack) -> str:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:{port}/paperscout"


async def unknown_role(_tmp: Path, _stack: AsyncExitStack) -> str:
    require_postgres()
    return with_password(make_url(pg_admin_url()).set(username=f"nobody_{uuid.uuid4().hex[:8]}"))


async def unknown_database(_tmp: Path, _stack: AsyncExitStack) -> str:
    require_postgres()
    return with_password(make_url(pg_admin_url()).set(database="no_such_db"))


async def non_numeric_port(_tmp: Path, _stack: AsyncExitStack) -> str:
    return f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:five/paperscout"


async def unknown_revision_postgres(_tmp: Path, stack: AsyncExitStack) -> str:
    url = await postgres(stack)
    await stamp(url, "abc123")
    return url


async def unknown_revision_sqlite(tmp: Path, _stack: AsyncExitStack) -> str:
    url = f"sqlite+aiosqlite:///{tmp / 'newer.db'}"
    await stamp(url, "abc123")
    return url


async def not_a_database(tmp: Path, _stack: AsyncExitStack) -> str:
    (tmp / "notes.db").write_text("these are my notes, not a database\n" * 100)
    return "sqlite+aiosqlite:///notes.db"  # relative: as written in .env


async def a_directory(tmp: Path, _stack: AsyncExitStack) -> str:
    (tmp / "data.db").mkdir()
    return "sqlite+aiosqlite:///data.db"


async def unwritable_folder(tmp: Path, _stack: AsyncExitStack) -> str:
    (tmp / "locked").mkdir(mode=0o555)
    return f"sqlite+aiosqlite:///{tmp / 'locked' / 'paperscout.db'}"


async def read_only_file(tmp: Path, _stack: AsyncExitStack) -> str:
    url = f"sqlite+aiosqlite:///{tmp / 'paperscout.db'}"
    await upgrade_to_head_async(url)  # at head: the upgrade itself has nothing to write
    (tmp / "paperscout.db").chmod(0o444)
    return url


def fixed(url: str) -> Prepare:
    async def prepare(_tmp: Path, _stack: AsyncExitStack) -> str:
        return url

    return prepare


FAULTS = {
    "postgres-unreachable": Fault(unreachable_postgres, "(connection refused): is the server"),
    "postgres-unknown-role": Fault(unknown_role, 'refused the login (role "nobody_'),
    "postgres-unknown-database": Fault(unknown_database, 'database "no_such_db" does not exist'),
    "non-numeric-port": Fault(non_numeric_port, "DATABASE_URL is invalid: cannot be read as a URL"),
    "unwritable-folder": Fault(unwritable_folder, "cannot write to the folder", unprivileged=True),
    "read-only-file": Fault(read_only_file, "paperscout.db is read-only", unprivileged=True),
    "not-a-database": Fault(not_a_database, "the SQLite file notes.db is not a database"),
    "a-directory": Fault(a_directory, "the SQLite path data.db is a directory"),
    "unknown-revision-sqlite": Fault(unknown_revision_sqlite, "at revision 'abc123', which this"),
    "unknown-revision-postgres": Fault(unknown_revision_postgres, "at revision 'abc123', which"),
    "in-memory": Fault(fixed("sqlite+aiosqlite://"), "is an in-memory SQLite database"),
    "in-memory-named": Fault(fixed("sqlite+aiosqlite:///:memory:"), "in-memory SQLite"),
}
POSTGRES = {"postgres-unknown-role", "postgres-unknown-database", "unknown-revision-postgres"}

DB_UPGRADE = ("db", "upgrade")
COMMANDS = {
    "run": ("run",),
    "run-no-migrate": ("run", "--no-migrate"),
    "db-upgrade": DB_UPGRADE,
    "poll": ("poll", "--once"),
    "author": ("author", "Ada Lovelace", "--json"),
    "digest-preview": ("digest", "preview", "1234"),
}
# Every fault through `db upgrade`; every command through one fault (and two more where they
# fail differently: a read-only file only at the first write, a newer revision without migrating).
CASES = [(fault, "db-upgrade") for fault in FAULTS] + [
    ("not-a-database", command) for command in COMMANDS if command != "db-upgrade"
]
CASES += [("read-only-file", "author"), ("unknown-revision-sqlite", "run-no-migrate")]


def case_param(fault: str, command: str) -> object:
    marks = [pytest.mark.postgres] if fault in POSTGRES else []
    return pytest.param(fault, command, id=f"{fault}-{command}", marks=marks)


def unprivileged_prefix() -> list[str]:
    """Root ignores file permissions; inside a new user namespace it does not."""
    if os.geteuid() != 0:
        return []
    if shutil.which("unshare") is None or subprocess.run(["unshare", "--user", "true"]).returncode:
        pytest.skip("running as root without user namespaces: file permissions do not apply")
    return ["unshare", "--user"]


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as exits:
        yield exits


@pytest.mark.parametrize(("fault", "command"), [case_param(*case) for case in CASES])
async def test_a_database_fault_is_one_line_naming_database_url(
    tmp_path: Path, stack: AsyncExitStack, fault: str, command: str
) -> None:
    case = FAULTS[fault]
    url = await case.prepare(tmp_path, stack)
    prefix = unprivileged_prefix() if case.unprivileged else []
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        DATABASE_URL=url,
        DISCORD_TOKEN=TOKEN,
        LOG_LEVEL="WARNING",
        ARXIV_API_URL=UNREACHABLE,
        ARXIV_RSS_URL=UNREACHABLE,
        OPENALEX_API_URL=UNREACHABLE,
        SEMANTIC_SCHOLAR_API_URL=UNREACHABLE,
        DISCORD_API_URL=UNREACHABLE,
    )
    process = await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "bot.cli",
        *COMMANDS[command],
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = (part.decode() for part in await asyncio.wait_for(process.communicate(), 60))

    assert process.returncode == 2, err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith("paperscout: configuration error: DATABASE_URL"), line
    assert case.says in line, line
    assert PASSWORD not in out + err and TOKEN not in out + err
    assert out == ""
