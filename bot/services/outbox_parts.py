"""The messages of an outbox row, built when it is sent: an alert, a planned digest, a notice.

An alert names a stored paper and the followed authors it is for; a citation alert a stored
citing work, the watched papers it cites and their authors; a digest row holds the
planned snapshot (header text and paper ids per message, `digest_content`); a notice one plain
sentence. Each is turned into `MessagePart`s from the stored papers at send time, so a paper's
new version shows its newest title.
"""

from __future__ import annotations

from typing import Any

from bot.services.cards import AlertFor, MessagePart, paper_card
from bot.services.digests import digest_message_parts
from bot.services.notices import notice_text
from bot.services.sending import PermanentDeliveryError
from bot.services.topic_reasons import topic_whys
from db.database import Database
from db.models import OutboxEntry
from db.repositories.authors import AuthorRepository
from db.repositories.papers import PaperRepository


class OutboxParts:
    """Builds the messages of an outbox row (given to `DeliveryService`)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def of(self, entry: OutboxEntry) -> list[MessagePart]:
        """The messages of `entry`, in the order they are posted."""
        if entry.kind == "alert":
            return [await self._alert(entry.payload, personal=entry.destination_kind == "user")]
        if entry.kind == "digest":
            return await digest_message_parts(self._database, entry.payload)
        if entry.kind == "citation":
            return [await self._citation(entry.payload)]
        if entry.kind == "notice":  # an outage or recovery notice: one plain sentence
            return [MessagePart(content=notice_text(entry.payload))]
        raise ValueError(f"outbox kind {entry.kind!r} has no renderer yet")

    async def _alert(self, payload: Any, *, personal: bool) -> MessagePart:
        paper_id = int(payload["paper_id"])
        topic_ids = [int(t) for t in payload.get("topic_ids", [])]
        async with self._database.reader() as session:
            paper = await PaperRepository(session).get(paper_id)
            authors = await AuthorRepository(session).list_by_ids(payload.get("author_ids", []))
            whys = await topic_whys(session, [(t, paper_id) for t in topic_ids])
        topics = [why.text for why in whys.values()]
        if paper is None:
            raise PermanentDeliveryError(f"paper {payload['paper_id']} no longer exists")
        names = [a.display_name for a in authors]
        card = paper_card(paper, names, reasons=topics)
        about = AlertFor(tuple((a.id, a.display_name) for a in authors), personal)
        if names or not topic_ids:
            who = ", ".join(names) or "an author you follow"
            return MessagePart(content=f"New paper by {who}", cards=(card,), alert=about)
        return MessagePart(
            content="New paper on " + "; ".join(topics or ["a topic you follow"]),
            cards=(card,),
            alert=about,
        )

    async def _citation(self, payload: Any) -> MessagePart:
        """The citing work's card under one line naming the cited papers and their author."""
        cited_ids = [int(p) for p in payload.get("cited_paper_ids", [])]
        async with self._database.reader() as session:
            papers = PaperRepository(session)
            citing = await papers.get(int(payload["citing_paper_id"]))
            cited = await papers.list_by_ids(cited_ids)
            authors = await AuthorRepository(session).list_by_ids(payload.get("author_ids", []))
        if citing is None:
            raise PermanentDeliveryError(f"paper {payload['citing_paper_id']} no longer exists")
        names = [a.display_name for a in authors]
        return MessagePart(
            content=citation_alert_text(names, [p.title for p in cited]),
            cards=(paper_card(citing, []),),
        )


def citation_alert_text(author_names: list[str], cited_titles: list[str]) -> str:
    """`New citation of Lucas Beyer's work: cites “PaliGemma”` (outside text: the renderer
    escapes the whole line)."""
    who = " and ".join(author_names) or "an author you follow"
    titles = [f"“{title}”" for title in cited_titles[:3]]
    more = len(cited_titles) - len(titles)
    cites = ", ".join(titles) + (f" and {more} more" if more > 0 else "")
    return f"New citation of {who}'s work" + (f": cites {cites}" if cites else "")
