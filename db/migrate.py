"""Apply and check the Alembic migrations shipped inside the `db` package.

`upgrade_to_head(url)` is what start-up and `paperscout db upgrade` call; `confirm_ready(url)`
is the start-up check when the migrations are run as a separate step. Both raise
`DatabaseUnavailable` (one line) for a database that cannot be used as configured. They are
synchronous (Alembic's command API runs its own event loop in env.py); from a running event
loop use `await upgrade_to_head_async(url)`, which runs it in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.errors import DatabaseUnavailable
from db.faults import database_faults, refuse_unopenable
from db.models import Base
from db.sqlite import install_sqlite_hooks
from db.urls import backend_of, ensure_sqlite_parent, redacted

log = logging.getLogger(__name__)

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")

# Alembic's `context` and `op` are process-wide proxies: two commands running at once in one
# process (two threads) would trample each other. Processes are serialised by the database.
_COMMAND_LOCK = threading.Lock()


def alembic_config(url: str) -> Config:
    """An Alembic `Config` for the packaged migrations, aimed at `url`.

    The URL travels in `config.attributes`, not in the ini: no `%` interpolation of passwords,
    and nothing secret written anywhere.
    """
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    return config


def head_revision() -> str:
    """The newest revision id in the packaged migrations."""
    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in the db package")
    return head


def revision_order() -> list[str]:
    """The packaged migrations' revision ids, oldest first."""
    script = ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def upgrade_to_head(url: str) -> None:
    """Migrate the database at `url` to the newest revision (idempotent; safe from a CLI).

    On PostgreSQL an advisory lock is held around the upgrade, on SQLite the upgrade is one
    BEGIN IMMEDIATE transaction: two processes starting at once migrate once. Then a write is
    tried (and rolled back): a database already at head migrates without writing, and a
    read-only one would otherwise fail only at its first real write. `DatabaseUnavailable`
    when the database cannot be used. Must not be called from a thread with a running event
    loop (use `upgrade_to_head_async`).
    """
    with database_faults(url):
        ensure_sqlite_parent(url)
        refuse_unopenable(url)
        log.info("migrating %s to head", redacted(url))
        with _COMMAND_LOCK:
            command.upgrade(alembic_config(url), "head")
        asyncio.run(_run_on(url, _ready, like_the_bot=True))


def confirm_ready(url: str) -> None:
    """`DatabaseUnavailable` unless the database at `url` answers, is at this code's newest
    revision and can be written: the start-up check when migrations run as their own step."""
    with database_faults(url):
        refuse_unopenable(url)
        asyncio.run(_run_on(url, _ready, like_the_bot=True))


async def upgrade_to_head_async(url: str) -> None:
    """`upgrade_to_head` in a worker thread, to await from a running event loop."""
    await asyncio.to_thread(upgrade_to_head, url)


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at `url` down to `revision` ('base' drops every table)."""
    log.info("downgrading %s to %s", redacted(url), revision)
    with _COMMAND_LOCK:
        command.downgrade(alembic_config(url), revision)


async def downgrade_async(url: str, revision: str = "base") -> None:
    """`downgrade` in a worker thread, to await from a running event loop."""
    await asyncio.to_thread(downgrade, url, revision)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True, "render_as_batch": True},
    )
    return list(compare_metadata(context, Base.metadata))


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _ready(connection: Connection) -> None:
    """Raise unless the database is at head and this connection may write to it."""
    current = _current(connection)
    if current is None:
        raise DatabaseUnavailable(
            "the database has no PaperScout tables yet: run `paperscout db upgrade` first"
        )
    scripts = ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))
    scripts.get_revision(current)  # ResolutionError for a revision this code does not know
    head = scripts.get_current_head()
    if current != head:
        raise DatabaseUnavailable(
            f"the database is at revision {current!r}, this version of PaperScout needs "
            f"{head!r}: run `paperscout db upgrade` first"
        )
    connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
    connection.rollback()


async def _run_on(url: str, fn: Any, *, like_the_bot: bool = False) -> Any:
    """`fn(connection)` on one new connection; `like_the_bot` opens SQLite as `Database`
    does (busy timeout, WAL, BEGIN IMMEDIATE for writes)."""
    engine = create_async_engine(url, poolclass=pool.NullPool)
    if like_the_bot and backend_of(url) == "sqlite":
        install_sqlite_hooks(engine.sync_engine)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


async def check_no_drift_async(url: str) -> list[Any]:
    """The differences between the models and the database at `url`; [] means none."""
    return await _run_on(url, _diff)  # type: ignore[no-any-return]


def check_no_drift(url: str) -> list[Any]:
    """Alembic's autogenerate diff between `db.models` and the migrated database at `url`.

    An empty list means the migrations produce exactly the models: tables, columns, types,
    nullability, server defaults, indexes, unique and foreign keys (Alembic does not compare
    CHECK constraints). Each entry is one of Alembic's diff tuples, e.g.
    ('add_column', None, 'papers', Column(...)). Not callable from a running event loop:
    use `check_no_drift_async` there.
    """
    return asyncio.run(check_no_drift_async(url))


async def current_revision_async(url: str) -> str | None:
    """The revision the database at `url` is at; None when it was never migrated."""
    return await _run_on(url, _current)  # type: ignore[no-any-return]
