"""Alembic environment for PaperScout (async engines, URL passed in, never read from the ini).

The URL comes from `config.attributes["database_url"]` (set by `db.migrate`), else from
`alembic -x url=...`, else from the DATABASE_URL environment variable.

Two processes that start migrating at once do not both migrate: on PostgreSQL a session
advisory lock is held around the upgrade; on SQLite the whole upgrade is one BEGIN IMMEDIATE
transaction (SQLite's DDL is transactional once the driver stops managing transactions), so
the second process waits, then finds the database at head.
"""

from __future__ import annotations

import asyncio
import logging
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.locks import MIGRATION_LOCK_KEY
from db.models import Base
from db.sqlite import install_sqlite_hooks
from db.urls import backend_of, ensure_sqlite_parent, redacted

log = logging.getLogger("db.migrations.env")

config = context.config

# Only the alembic CLI configures logging from the ini; a host application keeps its own.
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

CONTEXT_OPTIONS = {
    "target_metadata": target_metadata,
    # Batch mode is a no-op on PostgreSQL and does SQLite's move-and-copy where needed.
    "render_as_batch": True,
    "compare_type": True,
    "compare_server_default": True,
}


def database_url() -> str:
    """The URL to migrate: passed in by db.migrate, `-x url=...`, or DATABASE_URL."""
    url = (
        config.attributes.get("database_url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("DATABASE_URL")
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set DATABASE_URL")
    return str(url)


def run_migrations_offline() -> None:
    """Emit the migration SQL to stdout (`alembic upgrade head --sql`)."""
    context.configure(
        url=database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **CONTEXT_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on `connection`, serialised against other migrating processes."""
    is_postgres = connection.dialect.name == "postgresql"
    if is_postgres:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()  # the lock is session-level; end the implicit transaction
    try:
        context.configure(
            connection=connection,
            # SQLite's DDL is transactional with our hooks: one transaction for the upgrade.
            transactional_ddl=True,
            **CONTEXT_OPTIONS,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if is_postgres:
            _unlock(connection)


def _unlock(connection: Connection) -> None:
    """Release the migration lock; if that fails, closing the connection releases it."""
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
    except Exception:  # never mask the migration's own error
        log.warning("could not release the migration lock explicitly", exc_info=True)


async def run_async_migrations(url: str) -> None:
    """Open one connection with a throwaway engine and run the migrations on it."""
    backend = backend_of(url)
    if backend == "sqlite":
        ensure_sqlite_parent(url)
    engine = create_async_engine(url, poolclass=pool.NullPool)
    if backend == "sqlite":
        # Foreign keys stay off: batch migrations copy and drop tables that others reference.
        install_sqlite_hooks(engine.sync_engine, foreign_keys=False)
    log.info("running migrations on %s", redacted(url))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run the migrations against the database (from a thread with no running event loop)."""
    asyncio.run(run_async_migrations(database_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
