"""The Discord side of delivery: posts a `MessagePart` to a channel or a user's DMs."""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.render.paper import paper_embed
from bot.render.text import safe_cut
from bot.services.delivery import MessagePart, PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

MAX_EMBEDS = 10
CONTENT_LIMIT = 2000


class DiscordSender:
    """Sends through discord.py's REST client; needs no gateway and no cache."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(
        self, destination_kind: str, destination_id: int, part: MessagePart, *, nonce: str
    ) -> str:
        if len(part.cards) > MAX_EMBEDS:
            raise ValueError(f"a message holds at most {MAX_EMBEDS} embeds")
        try:
            target = await self._target(destination_kind, destination_id)
            message = await target.send(
                content=safe_cut(part.content, CONTENT_LIMIT) or None,
                embeds=[paper_embed(card) for card in part.cards],
                nonce=nonce,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            reason = f"HTTP {error.status} (Discord code {error.code}): {error.text or error}"
            if error.status >= 500 or error.status == 429:
                raise TransientDeliveryError(reason) from error
            # 403/404 and other 4xx: retrying would only add to Discord's invalid-request count.
            raise PermanentDeliveryError(reason) from error
        except (TimeoutError, discord.RateLimited, aiohttp.ClientError) as error:
            raise TransientDeliveryError(repr(error)) from error
        return str(message.id)

    async def _target(self, destination_kind: str, destination_id: int) -> discord.abc.Messageable:
        if destination_kind == "user":
            return await self._client.create_dm(discord.Object(id=destination_id))
        return self._client.get_partial_messageable(destination_id)
