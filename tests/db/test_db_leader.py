"""Leader election: one leader at a time on SQLite (lease row) and PostgreSQL (advisory lock)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from db.database import Database
from db.migrate import upgrade_to_head_async
from db.repositories.leader import (
    PgAdvisoryLeader,
    SqliteLeaseLeader,
    default_holder_id,
    make_leader,
)


class Clock:
    """A settable clock for the lease leader."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_sqlite_lease_one_leader_on_one_file(sqlite_url: str, t0: datetime) -> None:
    """Two processes (two Database objects) on one SQLite file: only one leads."""
    await upgrade_to_head_async(sqlite_url)
    first_db, second_db = Database(sqlite_url), Database(sqlite_url)
    clock = Clock(t0)
    first = SqliteLeaseLeader(first_db, "host:1", lease_seconds=90, clock=clock)
    second = SqliteLeaseLeader(second_db, "host:2", lease_seconds=90, clock=clock)
    try:
        assert await first.is_leader() is True
        assert await second.is_leader() is False
        clock.now += timedelta(seconds=60)
        assert await first.is_leader() is True  # renewed until t0 + 150 s
        clock.now += timedelta(seconds=60)
        assert await second.is_leader() is False  # the renewed lease still holds
        clock.now += timedelta(seconds=31)
        assert await second.is_leader() is True  # first stopped renewing: taken over
        assert await first.is_leader() is False
        await second.release()
        assert await first.is_leader() is True  # released: no need to wait for expiry
        await second.release()  # releasing a lease we do not hold changes nothing
        assert await second.is_leader() is False
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_postgres_advisory_lock_one_leader_and_handover(postgres_url: str) -> None:
    first_db, second_db = Database(postgres_url), Database(postgres_url)
    first = PgAdvisoryLeader(first_db, "host:1", name="test")
    second = PgAdvisoryLeader(second_db, "host:2", name="test")
    try:
        assert await first.is_leader() is True
        assert await second.is_leader() is False
        assert await first.is_leader() is True  # re-checked on the same connection
        assert await second.is_leader() is False
        await first.release()
        assert await second.is_leader() is True
        assert await first.is_leader() is False
    finally:
        await first.release()
        await second.release()
        await first_db.dispose()
        await second_db.dispose()


async def test_postgres_leader_dies_and_another_takes_over(postgres_url: str) -> None:
    """A dead leader's session ends, the server frees the lock, the next tick takes over."""
    first_db, second_db = Database(postgres_url), Database(postgres_url)
    first = PgAdvisoryLeader(first_db, "host:1", name="test")
    second = PgAdvisoryLeader(second_db, "host:2", name="test")
    try:
        assert await first.is_leader() is True
        assert await second.is_leader() is False
        # The leader's backend dies. Only this database's advisory locks: pg_locks is
        # cluster-wide and other tests (other databases) may hold leases of their own.
        this_database = (
            "locktype = 'advisory' AND granted AND "
            "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        async with second_db.transaction() as session:
            killed = await session.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_locks WHERE {this_database}")
            )
            assert killed.scalars().all() == [True]
        # pg_terminate_backend only signals: wait (bounded) until the server freed the lock.
        for _ in range(500):
            async with second_db.reader() as session:
                held = await session.scalar(
                    text(f"SELECT count(*) FROM pg_locks WHERE {this_database}")
                )
            if held == 0:
                break
            await asyncio.sleep(0.01)
        assert await second.is_leader() is True
        assert await first.is_leader() is False  # its SELECT 1 fails; it cannot retake it
    finally:
        await first.release()
        await second.release()
        await first_db.dispose()
        await second_db.dispose()


async def test_make_leader_picks_by_backend(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    database = Database(database_url)
    try:
        leader = make_leader(database)
        expected = PgAdvisoryLeader if database.backend == "postgresql" else SqliteLeaseLeader
        assert isinstance(leader, expected)
        assert await leader.is_leader() is True
        await leader.release()
    finally:
        await database.dispose()


def test_holder_ids_are_unique() -> None:
    assert default_holder_id() != default_holder_id()


async def test_advisory_leader_refuses_sqlite(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        with pytest.raises(ValueError, match="PostgreSQL"):
            PgAdvisoryLeader(database, "x")
    finally:
        await database.dispose()
