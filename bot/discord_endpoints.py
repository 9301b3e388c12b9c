"""Pointing discord.py at another REST/gateway endpoint (a rate-limit proxy or the test fake).

discord.py builds every REST URL, interaction callbacks included, from the class attribute
`Route.BASE`, and opens the gateway at `DiscordWebSocket.DEFAULT_GATEWAY`. Both are process-wide.
"""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl


def point_discord_at(api_url: str | None, gateway_url: str | None) -> None:
    """Redirect discord.py's REST and gateway traffic; `None` leaves a side as it is."""
    if api_url:
        discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
