"""Fixtures of the fault-injection suite: fast databases and sources with short timeouts.

The suite runs ~100 cases. Creating and migrating a PostgreSQL database per case (the `db` of
tests/conftest.py) costs about 3 s each, so here each test process migrates one database per
backend once, and every case starts from it empty: a copy of the migrated SQLite file, or the
PostgreSQL database with every table truncated (identities restarted). Same schema, same
isolation between cases, a fraction of the time.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.services.health import DatabaseHealthRecorder
from bot.sources.factory import Sources, build_sources
from bot.sources.http_policy import HttpOptions, RetryPolicy, default_user_agent
from db.database import Database
from db.migrate import upgrade_to_head
from db.models import Base
from tests.conftest import _pg_connect, pg_admin_url, require_postgres
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import settings_on

TIMEOUT_SECONDS = 0.3  # one attempt at a hanging upstream
MAX_BODY_BYTES = 1024 * 1024  # the largest recorded body is ~100 KB


def _in_own_loop(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion in a thread of its own (callable from inside a loop)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="faults-db-setup")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied by each case."""
    path = tmp_path_factory.mktemp("faults") / "migrated.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """A migrated PostgreSQL database for this test process, emptied by each case."""
    require_postgres()
    admin = pg_admin_url()
    name = f"ps_faults_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await _pg_connect(admin)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await _pg_connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    _in_own_loop(create())
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        _in_own_loop(drop())


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """This case's database: a fresh copy (SQLite) or the process's one (PostgreSQL)."""
    if backend == "sqlite":
        path = tmp_path / "paperscout.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("migrated_postgres"))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The case's database, migrated and empty."""
    database = Database(database_url)
    if database.backend == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with database.transaction() as session:
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield database
    finally:
        await database.dispose()


@asynccontextmanager
async def fault_sources(
    db: Database, upstream: FakeUpstream, clock: ManualClock
) -> AsyncIterator[Sources]:
    """Every source on the fake upstream, health in the database, short timeouts, 2 attempts,
    and waits (rate limits, backoffs) that move the test clock instead of taking time."""
    settings = settings_on(upstream)
    options = HttpOptions(
        user_agent=default_user_agent(settings.contact_email),
        timeout_seconds=TIMEOUT_SECONDS,
        max_body_bytes=MAX_BODY_BYTES,
        retry=RetryPolicy(max_attempts=2, base_delay=1.0, max_delay=4.0),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
    )
    async with aiohttp.ClientSession() as session:
        yield build_sources(
            settings, session, health=DatabaseHealthRecorder(db), clock=clock, options=options
        )
