"""Database URL facts: a loggable form and the password texts the log scrubber removes."""

from __future__ import annotations

from db.urls import password_texts, redacted


def test_redacted_hides_the_whole_password_even_with_an_unencoded_at() -> None:
    assert redacted("postgresql+asyncpg://bot:pw%40x@db:5432/ps") == (
        "postgresql+asyncpg://bot:***@db:5432/ps"
    )
    # SQLAlchemy reads password "hunter", host "2@SECRET@db": no part of it may show.
    assert redacted("postgresql+asyncpg://bot:hunter@2@SECRET@db/ps") == (
        "postgresql+asyncpg://bot:***@db/ps"
    )


def test_password_texts_as_written_and_decoded() -> None:
    assert password_texts("postgresql+asyncpg://bot:p%40ss%2Fw@db/ps?ssl=require") == {
        "p%40ss%2Fw",
        "p@ss/w",
    }
    assert password_texts("postgresql+asyncpg://bot:hunter@2@SECRET@db/ps") == {"hunter@2@SECRET"}
    assert password_texts("postgresql+asyncpg://bot@db/ps") == set()
    assert password_texts("sqlite+aiosqlite:////srv/a:bcdefg@h/paperscout.db") == set()
