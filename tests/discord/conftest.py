"""Fixtures for the tests that drive the real bot through the fake Discord."""

from __future__ import annotations

from tests.harness.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    discord_harness,
    discord_harness_any_db,
    fake_discord,
    harness_factory,
    harness_mode,
)
