"""Pytest fixtures for the fake Discord and the bot harness (imported by the conftests using them).

    from tests.harness.fixtures import discord_harness, fake_discord, harness_factory, harness_mode

* `harness_mode`: "direct" and "gateway" (parametrised; pin one with
  `@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)`).
* `fake_discord`: a started `FakeDiscord`, stopped afterwards.
* `harness_factory`: `async with harness_factory(database_url=..., clock=..., settings={...},
  extra_extensions=(...)) as h:` for a harness with custom settings (SQLite by default).
* `discord_harness`: the plain harness on SQLite, in both modes.
* `discord_harness_any_db`: the same on both databases (`database_url`), in both modes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from bot.clock import Clock
from tests.harness.bot_harness import MODES, BotHarness, Mode
from tests.harness.fake_discord import FakeDiscord

HarnessFactory = Callable[..., AbstractAsyncContextManager[BotHarness]]


@pytest.fixture(params=MODES)
def harness_mode(request: pytest.FixtureRequest) -> Mode:
    """Which way the bot receives events: "direct" (parsers) or "gateway" (websocket)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A fake Discord on 127.0.0.1 with the default world (guild, #general, alice, olivia)."""
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
def harness_factory(
    fake_discord: FakeDiscord, harness_mode: Mode, sqlite_url: str
) -> HarnessFactory:
    """Builds harnesses on this test's fake and mode; each is closed when its block ends."""

    @asynccontextmanager
    async def make(
        *,
        database_url: str | None = None,
        clock: Clock | None = None,
        settings: dict[str, Any] | None = None,
        extra_extensions: Sequence[str] = (),
        mode: Mode | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[BotHarness]:
        harness = BotHarness(
            fake_discord,
            database_url=database_url or sqlite_url,
            mode=mode or harness_mode,
            clock=clock,
            settings=settings,
            extra_extensions=extra_extensions,
            **kwargs,
        )
        async with harness:
            yield harness

    return make


@pytest.fixture
async def discord_harness(harness_factory: HarnessFactory) -> AsyncIterator[BotHarness]:
    """The real bot with its production cogs on a migrated SQLite database."""
    async with harness_factory() as harness:
        yield harness


@pytest.fixture
async def discord_harness_any_db(
    harness_factory: HarnessFactory, database_url: str
) -> AsyncIterator[BotHarness]:
    """The real bot on SQLite and on PostgreSQL (a fresh database per test)."""
    async with harness_factory(database_url=database_url) as harness:
        yield harness
