"""What delivery needs from Discord: the `Sender` protocol, its two errors and the marks a
posted part carries (the nonce Discord deduplicates on, the marker a retry looks for).

The Discord side (`bot/discord_sender.py`) implements `Sender`; `DeliveryService` uses it, so
no service imports discord.
"""

from __future__ import annotations

from typing import Protocol

from bot.services.cards import MessagePart


class PermanentDeliveryError(Exception):
    """Discord refused for good: never retried.

    `destination_lost`: the channel or DM is gone for us (no access, unknown channel, DMs
    closed), so its digest pauses until `/digest setup`. Otherwise only this delivery fails,
    loudly (a 400 for a body Discord would not take is our bug; parts after the refused one
    are not sent), and the next digest goes out as usual.
    """

    def __init__(self, reason: str, *, destination_lost: bool = False) -> None:
        super().__init__(reason)
        self.destination_lost = destination_lost


class TransientDeliveryError(Exception):
    """Discord or the network failed for now (5xx, 429, timeout): retried with backoff."""


class Sender(Protocol):
    async def send(
        self,
        destination_kind: str,
        destination_id: int,
        part: MessagePart,
        *,
        nonce: str,
        marker: str,
    ) -> str:
        """Post one part carrying `marker`; return the message id. Raise the errors above."""
        ...

    async def find_sent(
        self, destination_kind: str, destination_id: int, marker: str
    ) -> str | None:
        """The id of our own recent message carrying `marker`, or None.

        Reads only the last few messages of the destination. A destination that cannot be read
        (403/404) counts as not found; only a transient failure raises (`TransientDeliveryError`).
        """
        ...


def nonce_for(entry_id: int, part: int) -> str:
    """Deterministic and at most 25 characters (Discord's limit)."""
    return f"ps{entry_id}p{part}"


def marker_for(entry_id: int, part: int) -> str:
    """What a posted part shows to be recognised later: `ref <outbox id>.<part>`."""
    return f"ref {entry_id}.{part}"
