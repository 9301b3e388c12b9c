"""The Discord side of delivery: posts a `MessagePart` to a channel or a user's DMs, and finds
one it posted before (read-before-retry, docs/operations.md#the-outbox)."""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.render.outbox import carries_marker, message_kwargs
from bot.services.cards import MessagePart
from bot.services.sending import PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

MAX_EMBEDS = 10
HISTORY_LIMIT = 20  # a retry comes minutes after the crash: our part is among the last few


class DiscordSender:
    """Sends through discord.py's REST client; needs no gateway and no cache."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(
        self,
        destination_kind: str,
        destination_id: int,
        part: MessagePart,
        *,
        nonce: str,
        marker: str,
    ) -> str:
        kwargs = message_kwargs(part, marker)
        if len(kwargs["embeds"]) > MAX_EMBEDS:
            raise ValueError(f"a message holds at most {MAX_EMBEDS} embeds")
        try:
            target = await self._target(destination_kind, destination_id)
            message = await target.send(
                **kwargs,
                nonce=nonce,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            reason = f"HTTP {error.status} (Discord code {error.code}): {error.text or error}"
            if error.status >= 500 or error.status == 429:
                raise TransientDeliveryError(reason) from error
            # Any other 4xx: retrying would only add to Discord's invalid-request count. A 403 or
            # 404 means the destination is gone for us; another 4xx refused this message alone.
            raise PermanentDeliveryError(
                reason, destination_lost=error.status in (403, 404)
            ) from error
        except (TimeoutError, discord.RateLimited, aiohttp.ClientError) as error:
            raise TransientDeliveryError(repr(error)) from error
        return str(message.id)

    async def find_sent(
        self, destination_kind: str, destination_id: int, marker: str
    ) -> str | None:
        """Our own message among the destination's last `HISTORY_LIMIT` carrying `marker`.

        A destination that cannot be read (403, 404, any other 4xx) counts as not found: the
        part is then posted, with its nonce as the remaining guard. 5xx, 429 and network
        failures raise `TransientDeliveryError`, so the row is retried later instead.
        """
        me = self._client.user.id if self._client.user else self._client.application_id
        if me is None:  # not logged in: we cannot tell our messages from others'
            log.warning("cannot look for %r before retrying: the client is not logged in", marker)
            return None
        try:
            target = await self._target(destination_kind, destination_id)
            async for message in target.history(limit=HISTORY_LIMIT):
                if message.author.id == me and carries_marker(message, marker):
                    return str(message.id)
        except discord.HTTPException as error:
            if error.status >= 500 or error.status == 429:
                raise TransientDeliveryError(
                    f"reading history: HTTP {error.status} (Discord code {error.code})"
                ) from error
            log.info(
                "cannot read %s %s to look for %r (HTTP %s): posting",
                destination_kind,
                destination_id,
                marker,
                error.status,
            )
            return None
        except (TimeoutError, discord.RateLimited, aiohttp.ClientError) as error:
            raise TransientDeliveryError(f"reading history: {error!r}") from error
        return None

    async def _target(self, destination_kind: str, destination_id: int) -> discord.abc.Messageable:
        if destination_kind == "user":
            return await self._client.create_dm(discord.Object(id=destination_id))
        return self._client.get_partial_messageable(destination_id)
