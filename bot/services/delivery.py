"""Delivering outbox rows to Discord: claim, send with a deterministic nonce, mark.

The outbox (docs/operations.md#the-outbox) makes delivery survive crashes: a row is claimed in one
transaction, sent with no transaction open, and marked in another. A crash after the claim
leaves a lease that expires, so the row is sent later; a crash after sending and before marking
resends with the same nonce, which Discord (and the fake) turns into the same message.
Discord keeps nonces only for "a few minutes", so a retry also reads before it posts
(read-before-retry): every part carries a marker (`sending.marker_for`, rendered by
`bot.render.outbox`), and a row on its second or later attempt first asks the sender whether
the channel's recent history already holds its part; if so the part is marked sent, not posted.
The Discord side is behind the `Sender` protocol (`sending`), so this module never imports
discord; what each row says is built by `OutboxParts`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.services.outbox_parts import OutboxParts
from bot.services.sending import (
    PermanentDeliveryError,
    Sender,
    TransientDeliveryError,
    marker_for,
    nonce_for,
)
from bot.telemetry import MESSAGES, OUTBOX_DEPTH
from db.database import Database
from db.models import OutboxEntry
from db.repositories.digests import DigestScheduleRepository
from db.repositories.outbox import OutboxRepository

log = logging.getLogger(__name__)

LEASE_SECONDS = 120  # short, so a resend after a crash lands inside Discord's nonce window
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class DeliveryService:
    """Claims due outbox rows and sends them through a `Sender`."""

    def __init__(
        self,
        database: Database,
        sender: Sender,
        parts: OutboxParts,
        clock: Clock,
        worker_id: str,
    ) -> None:
        self._database = database
        self._sender = sender
        self._parts = parts
        self._clock = clock
        self._worker_id = worker_id

    async def deliver_due(self, limit: int = 20) -> DeliveryReport:
        """Claim up to `limit` due rows and deliver each; never raises for a delivery failure."""
        async with self._database.transaction() as session:
            claimed = await OutboxRepository(session).claim(
                self._worker_id, limit=limit, lease_seconds=LEASE_SECONDS, now=self._clock.now()
            )
        sent = retried = failed = 0
        for entry in claimed:
            outcome = await self._deliver(entry)
            MESSAGES.labels(entry.kind, outcome).inc()
            sent += outcome == "sent"
            retried += outcome == "retry"
            failed += outcome == "failed"
        return DeliveryReport(sent=sent, retried=retried, failed=failed)

    async def measure_depth(self) -> None:
        """Set the outbox-depth gauge (for METRICS_PORT): the messages waiting to be sent."""
        async with self._database.reader() as session:
            OUTBOX_DEPTH.set(await OutboxRepository(session).pending_count())

    async def _deliver(self, entry: OutboxEntry) -> str:
        if not await self._still_queued(entry):
            return "withdrawn"
        try:
            parts = await self._parts.of(entry)
            # A retry may follow a crash between posting a part and marking it, possibly after
            # Discord forgot the nonce: look for the part before posting it again. Parts are
            # posted in order, so once one is not found, the later ones were never posted.
            read_first = entry.attempts > 1
            for index in range(entry.parts_sent, len(parts)):
                marker = marker_for(entry.id, index)
                message_id = None
                if read_first:
                    message_id = await self._sender.find_sent(
                        entry.destination_kind, entry.destination_id, marker
                    )
                    read_first = message_id is not None
                    if message_id is not None:
                        log.info(
                            "outbox %s part %d was already posted (%s): not posting again",
                            entry.id,
                            index,
                            message_id,
                        )
                if message_id is None:
                    message_id = await self._sender.send(
                        entry.destination_kind,
                        entry.destination_id,
                        parts[index],
                        nonce=nonce_for(entry.id, index),
                        marker=marker,
                    )
                async with self._database.transaction() as session:
                    recorded = await OutboxRepository(session).mark_part_sent(
                        entry.id,
                        message_id,
                        lease_until=self._clock.now() + timedelta(seconds=LEASE_SECONDS),
                    )
                if recorded is None:  # deleted while this part went: the rest is not sent
                    log.info("outbox %s withdrawn after part %d: stopping", entry.id, index)
                    return "withdrawn"
        except PermanentDeliveryError as error:
            if error.destination_lost:
                log.warning("outbox %s (%s) refused for good: %s", entry.id, entry.kind, error)
            else:
                log.error(
                    "outbox %s (%s): Discord refused the message: %s", entry.id, entry.kind, error
                )
            async with self._database.transaction() as session:
                await OutboxRepository(session).mark_failed(entry.id, error)
                lost = error.destination_lost
                if lost and entry.kind == "digest" and entry.schedule_id is not None:
                    # A deleted channel or lost permission: stop planning for it until
                    # /digest setup resumes it (shown in /status); never retried meanwhile.
                    await DigestScheduleRepository(session).pause(
                        entry.schedule_id, str(error), now=self._clock.now()
                    )
            return "failed"
        except TransientDeliveryError as error:
            return await self._retry_later(entry, error)
        except Exception as error:  # a bug or a DB hiccup: keep the row, retry later, log loudly
            log.exception("outbox %s (%s) failed unexpectedly", entry.id, entry.kind)
            return await self._retry_later(entry, error)
        async with self._database.transaction() as session:
            await OutboxRepository(session).mark_sent(entry.id, now=self._clock.now())
        return "sent"

    async def _still_queued(self, entry: OutboxEntry) -> bool:
        """Whether a claimed row is still to be sent: `/privacy delete` and a server's data
        deleted remove the rows of their destinations, claimed ones included."""
        async with self._database.reader() as session:
            if await OutboxRepository(session).exists(entry.id):
                return True
        log.info(
            "outbox %s (%s) withdrawn: its destination's data was deleted", entry.id, entry.kind
        )
        return False

    async def _retry_later(self, entry: OutboxEntry, error: BaseException) -> str:
        async with self._database.transaction() as session:
            repo = OutboxRepository(session)
            if entry.attempts >= MAX_ATTEMPTS:
                log.error(
                    "outbox %s gave up after %d attempts: %s", entry.id, entry.attempts, error
                )
                await repo.mark_dead(entry.id, error)
                return "failed"
            delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (entry.attempts - 1))
            await repo.mark_retry(
                entry.id, error, not_before=self._clock.now() + timedelta(seconds=delay)
            )
        log.info("outbox %s will retry in %d s: %s", entry.id, delay, error)
        return "retry"
