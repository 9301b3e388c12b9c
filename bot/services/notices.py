"""Outage and recovery notices: tell the digest channels when a polled source keeps failing.

docs/product.md#outage-notices: every source keeps a health record (`source_health`); after
`threshold` consecutive failures a notice goes to the affected digest channels once, and
again when the source works again. `OutageNotifier.check` runs after each poll tick in the
leader and turns health transitions into 'notice' outbox rows:

- outage: `consecutive_failures >= threshold` and no outage notice yet. One row per un-paused
  channel digest (DM digests are not told: a weekly DM is no place for operations chatter),
  keyed `notice:outage:<source>:<last success or 'never'>:<channel id>`. The last success
  does not move during a failure streak, so the key names the outage.
- recovery: an outage notice went out and `consecutive_failures` is 0 again. One row per
  channel that got THIS outage's notice (found by the outage key stored in
  `source_health.outage_key` with the flag) and still has an un-paused digest, keyed
  `notice:recovered:<source>:<last failure>:<channel id>` (the outage's last failure).

The rows and the `outage_notified` flag are written in one transaction, with the health row
locked (PostgreSQL: FOR UPDATE; SQLite: the write lock), so each outage is announced once and
recovers once, whatever runs concurrently. Payloads are plain JSON; `notice_text` renders them
at send time (the sender escapes the text, and no mention is ever allowed).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.clock import Clock
from bot.plain_text import cut
from bot.services.arxiv_feeds import API_SOURCE, RSS_SOURCE
from bot.services.source_labels import source_label
from db.database import Database
from db.models import SourceHealth
from db.repositories.digests import DigestScheduleRepository
from db.repositories.health import SourceHealthRepository
from db.repositories.outbox import OutboxRepository, OutboxRow

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 3
# The sources the feeds depend on: only their outages delay digests and alerts (OpenAlex: the
# works feed; PubMed: its feed). Semantic Scholar serves profiles only.
DIGEST_SOURCES: tuple[str, ...] = (API_SOURCE, RSS_SOURCE, "openalex", "pubmed")
ERROR_CHARS = 200

NoticeKind = Literal["outage", "recovered"]


@dataclass(frozen=True)
class NoticeReport:
    """What one check did: sources newly announced down / up, and rows planned."""

    outages: list[str] = field(default_factory=list)
    recoveries: list[str] = field(default_factory=list)
    enqueued: int = 0


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _when(iso: str) -> str:
    """'2024-05-04T06:00:00+00:00' -> '4 May 06:00 UTC' (plain text, no Discord markup)."""
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return f"{moment.day} {moment:%b %H:%M} UTC"


def notice_text(payload: Any) -> str:
    """The message of a 'notice' outbox row. Raises ValueError for a payload it cannot read."""
    if not isinstance(payload, dict) or "source" not in payload:
        raise ValueError(f"not a notice payload: {payload!r}")
    label = source_label(str(payload["source"]))
    kind = payload.get("kind")
    if kind == "recovered":
        return f"{label} works again; papers missed meanwhile will be caught up."
    if kind != "outage":
        raise ValueError(f"unknown notice kind {kind!r}")
    failures = int(payload.get("failures") or 0)
    text = f"{label} has failed {failures} time{'s' if failures != 1 else ''} in a row"
    if payload.get("since"):
        text += f" since {_when(payload['since'])}"
    if payload.get("last_error"):
        text += f" (last error: {payload['last_error']})"
    return text + ". New papers may arrive late; I will say when it works again."


class OutageNotifier:
    """Plans outage and recovery notices from `source_health` (call `check` after a poll)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        threshold: int = DEFAULT_THRESHOLD,
        sources: Collection[str] | None = DIGEST_SOURCES,
    ) -> None:
        """`sources`: the sources whose outages concern digests (None: every source)."""
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self._database = database
        self._clock = clock
        self.threshold = threshold
        self._sources = frozenset(sources) if sources is not None else None

    def _due(self, row: SourceHealth | None) -> NoticeKind | None:
        if row is None or (self._sources is not None and row.source not in self._sources):
            return None
        if not row.outage_notified and row.consecutive_failures >= self.threshold:
            return "outage"
        if row.outage_notified and row.consecutive_failures == 0:
            return "recovered"
        return None

    async def check(self) -> NoticeReport:
        """Plan the notices due now; when none is due it takes no write lock."""
        async with self._database.reader() as session:
            rows = await SourceHealthRepository(session).list_all()
            due = [row.source for row in rows if self._due(row) is not None]
        outages: list[str] = []
        recoveries: list[str] = []
        enqueued = 0
        for source in due:
            kind, planned = await self._plan(source)
            if kind == "outage":
                outages.append(source)
            elif kind == "recovered":
                recoveries.append(source)
            enqueued += planned
        return NoticeReport(outages, recoveries, enqueued)

    async def _plan(self, source: str) -> tuple[NoticeKind | None, int]:
        """Re-read `source`'s health under lock and plan its notice if still due."""
        now = self._clock.now()
        async with self._database.transaction() as session:
            row = await session.get(
                SourceHealth, source, with_for_update=True, populate_existing=True
            )
            kind = self._due(row)
            if row is None or kind is None:
                return None, 0
            schedules = await DigestScheduleRepository(session).list_active("channel")
            active = {s.target_id: s.guild_id for s in schedules}
            outbox = OutboxRepository(session)
            if kind == "outage":
                anchor = _iso(row.last_success_at) or "never"
                destinations = list(active.items())
                payload = {
                    "kind": "outage",
                    "source": source,
                    "failures": row.consecutive_failures,
                    "last_error": cut(row.last_error, ERROR_CHARS) if row.last_error else None,
                    "since": _iso(row.last_success_at),
                    "at": _iso(now),
                }
            else:
                anchor = _iso(row.last_failure_at) or "never"
                # Only the channels told of THIS outage (its key was stored with the flag): an
                # outage announced to nobody recovers silently, whoever heard of earlier ones.
                told = (
                    await outbox.latest_destinations(
                        "notice", f"notice:outage:{source}:{row.outage_key}:"
                    )
                    if row.outage_key is not None
                    else []
                )
                destinations = [
                    (dest_id, active[dest_id])
                    for dest_kind, dest_id, _ in told
                    if dest_kind == "channel" and dest_id in active
                ]
                payload = {
                    "kind": "recovered",
                    "source": source,
                    "last_failure": _iso(row.last_failure_at),
                    "at": _iso(now),
                }
            created = await outbox.enqueue_many(
                [
                    OutboxRow(
                        kind="notice",
                        dedupe_key=f"notice:{kind}:{source}:{anchor}:{dest_id}",
                        destination_kind="channel",
                        destination_id=dest_id,
                        payload=payload,
                        guild_id=guild_id,
                    )
                    for dest_id, guild_id in destinations
                ],
                now=now,
            )
            await SourceHealthRepository(session).set_outage_notified(
                source,
                kind == "outage",
                at=now,
                outage_key=anchor if kind == "outage" else None,
            )
        log.log(
            logging.WARNING if kind == "outage" else logging.INFO,
            "%s %s: %d notice(s) planned",
            source,
            "is down" if kind == "outage" else "is back",
            len(created),
        )
        return kind, len(created)
