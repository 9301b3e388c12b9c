"""Builds the services once, from the resources the bot owns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiohttp

from bot.clock import Clock
from bot.config import Settings
from bot.services.status import StatusService
from db.database import Database


@dataclass(frozen=True)
class Services:
    """Every service a cog or a scheduled job may call."""

    status: StatusService


def build_services(
    *,
    settings: Settings,
    database: Database,
    http_session: aiohttp.ClientSession,
    clock: Clock,
    started_at: datetime,
) -> Services:
    """Wire the services; no I/O happens here."""
    return Services(status=StatusService(database, clock, started_at))
