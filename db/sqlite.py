"""SQLite connection setup: WAL, busy timeout, foreign keys, and who takes the write lock.

The sqlite3 driver's legacy transaction handling is switched off (`isolation_level = None`) and
SQLAlchemy emits BEGIN itself: `BEGIN IMMEDIATE` for write transactions, so a read-then-write
unit of work takes the write lock up front and waits for it under `busy_timeout` instead of
failing with SQLITE_BUSY at its first write; a plain deferred `BEGIN` for read-only sessions
(execution option `READONLY_OPTION`), so readers never take the write lock. Readers are also
put in `query_only` mode, so an accidental write fails the same way it does on PostgreSQL.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
READONLY_OPTION = "paperscout_readonly"
_QUERY_ONLY_STATE = "paperscout_query_only"


def install_sqlite_hooks(engine: Engine, *, foreign_keys: bool = True, wal: bool = True) -> None:
    """Register the connect and begin hooks on a (sync) SQLite engine."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the driver, decides when and how a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            if wal:
                _enable_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = bool(conn.get_execution_options().get(READONLY_OPTION, False))
        # The pragma is per connection and outlives the transaction: only send it on change.
        info = conn.connection.info
        if info.get(_QUERY_ONLY_STATE, False) != readonly:
            conn.exec_driver_sql(f"PRAGMA query_only={'ON' if readonly else 'OFF'}")
            info[_QUERY_ONLY_STATE] = readonly
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent) unless it already is.

    Switching needs the database to itself, and SQLite reports "locked" at once, without
    waiting out the busy timeout, while another connection writes (e.g. a second process
    migrating a brand-new file). Then this connection carries on in the current mode; WAL is
    a property of the file, so once a later connection switches it every connection follows.
    """
    cursor.execute("PRAGMA journal_mode")
    row = cursor.fetchone()
    if row and str(row[0]).lower() == "wal":
        return
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.fetchone()
    except Exception as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        log.info("SQLite is busy; WAL will be enabled by a later connection (%s)", exc)
