"""Shared test fixtures: the two real databases every DB-touching test runs on, a migrated
`Database` on them (`db`), and the fake upstream (`upstream`).

`database_url` is parametrised over SQLite (always) and PostgreSQL. PostgreSQL is reached through
`TEST_DATABASE_URL` (default: postgresql+asyncpg://postgres@127.0.0.1:5432/test); each test gets a
database of its own, created from template0 and dropped afterwards. When PostgreSQL does not
answer the PostgreSQL cases are skipped with the reason, unless `PAPERSCOUT_REQUIRE_POSTGRES=1`
(set by `.ci/run`), which turns that skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from db.database import Database
from db.migrate import upgrade_to_head_async
from tests.harness.fake_upstream import FakeUpstream

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
FIXTURES = Path(__file__).parent / "fixtures"


def pg_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)


def postgres_required() -> bool:
    return os.environ.get("PAPERSCOUT_REQUIRE_POSTGRES", "") not in ("", "0", "false")


async def _pg_connect(url: str):  # -> asyncpg.Connection
    import asyncpg

    u = make_url(url)
    return await asyncpg.connect(
        user=u.username or "postgres",
        password=u.password,
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        database=u.database or "postgres",
        timeout=5,
    )


_pg_status: dict[str, str | None] = {}


def _postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers; otherwise why not (checked once per process).

    The probe runs its own event loop in a thread, so it works when first called from inside a
    running loop (an async fixture).
    """
    if "reason" not in _pg_status:

        async def probe() -> None:
            conn = await _pg_connect(pg_admin_url())
            await conn.close()

        def check() -> None:
            try:
                asyncio.run(probe())
                _pg_status["reason"] = None
            except Exception as exc:  # any failure to connect means "not available here"
                _pg_status["reason"] = f"PostgreSQL at {pg_admin_url()} does not answer: {exc!r}"

        worker = threading.Thread(target=check, name="postgres-probe")
        worker.start()
        worker.join()
    return _pg_status["reason"]


def require_postgres() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL is not reachable."""
    reason = _postgres_unavailable_reason()
    if reason is None:
        return
    if postgres_required():
        pytest.fail(f"PostgreSQL tests are mandatory here: {reason}")
    pytest.skip(reason)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'paperscout.db'}"


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database (its URL), dropped afterwards."""
    require_postgres()
    admin = pg_admin_url()
    name = f"ps_test_{uuid.uuid4().hex[:12]}"
    conn = await _pg_connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await _pg_connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if backend == "sqlite":
        yield request.getfixturevalue("sqlite_url")
    else:
        async with fresh_postgres_database() as url:
            yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A `Database` on a freshly migrated database (both backends)."""
    await upgrade_to_head_async(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """The fake upstream on loopback with every recorded fixture routed (tests that need other
    routes override it)."""
    async with FakeUpstream() as server:
        yield server


@pytest.fixture
def fixtures_dir() -> Iterator[Path]:
    yield FIXTURES
