"""Following a topic: check and preview a query, save it, list and remove topic follows
(docs/product.md#topic-follows).

A query is parsed and validated (`bot.topics.parse_query`) before anything else: a bad one is
answered with the position and the reason, and nothing is written. The preview matches the
query against the stored papers published in the last `days` days; `/follow topic` shows it
with a Save button, and a query matching more than `WARN_ABOVE` of them is saved only once the
member has seen that warning.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import BadInput, NotFoundError
from bot.plain_text import plain
from bot.services.follow_types import AuthorChoice, Notify, Scope
from bot.services.follows import repo_scope, target_of
from bot.services.topic_types import FollowedTopic, TopicFollowResult, TopicPreview
from bot.topics import PaperText, QueryError, TopicQuery, parse_query
from db.database import Database
from db.models import TopicFollow
from db.repositories.digests import DigestScheduleRepository
from db.repositories.papers import PaperRepository
from db.repositories.topics import TopicRepository

log = logging.getLogger(__name__)

MAX_TOPICS_PER_DESTINATION = 25
PREVIEW_DAYS = 7
PREVIEW_TITLES = 3
PREVIEW_SCAN_LIMIT = 50_000  # stored papers a preview reads at most
TOPIC_PREFIX = "topic:"  # an autocomplete value names the follow by id


def check_query(text: str | None) -> TopicQuery:
    """The parsed query, or `BadInput` naming the position and the reason (pure)."""
    try:
        return parse_query(text)
    except QueryError as error:
        where = f"At character {error.position}: " if error.position is not None else ""
        reason = error.reason if where else error.reason[:1].upper() + error.reason[1:]
        raise BadInput(f"That topic query cannot be used. {where}{reason}.") from error


class TopicFollowService:
    """Topic follows for a member or a channel."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    def check(self, text: str | None) -> TopicQuery:
        return check_query(text)

    async def preview(self, query: TopicQuery, *, days: int = PREVIEW_DAYS) -> TopicPreview:
        """The stored papers published in the last `days` days that `query` matches."""
        since = self._clock.now() - timedelta(days=days)
        async with self._database.reader() as session:
            papers = await PaperRepository(session).texts_since(since, limit=PREVIEW_SCAN_LIMIT)
        matched = []
        for _paper_id, title, abstract, categories in papers:
            hits = query.match(PaperText.of(title, abstract, categories))
            if hits is not None:
                matched.append((title, hits))
        return TopicPreview(
            query=query.written,
            canonical=query.canonical,
            categories=query.categories,
            days=days,
            count=len(matched),
            titles=tuple(title for title, _ in matched[:PREVIEW_TITLES]),
            matched=tuple(matched),
        )

    async def follow(
        self,
        query: TopicQuery,
        *,
        scope: Scope,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        notify: Notify | None = None,
        now: datetime | None = None,
    ) -> TopicFollowResult:
        """Save the topic follow (the same query again: its `notify` changes, nothing else);
        at most `MAX_TOPICS_PER_DESTINATION` per member or channel."""
        target = target_of(scope, user_id, channel_id)
        stored_scope = repo_scope(scope)
        now = now or self._clock.now()
        async with self._database.transaction() as session:
            repo = TopicRepository(session)
            existing = await repo.find(
                scope=stored_scope, target_id=target, query_key=query.canonical
            )
            if existing is None and (
                await repo.count_for_target(stored_scope, target) >= MAX_TOPICS_PER_DESTINATION
            ):
                who = "You follow" if scope == "me" else "This channel follows"
                raise BadInput(
                    f"{who} {MAX_TOPICS_PER_DESTINATION} topics, the most allowed: remove one "
                    "with `/unfollow topic` first."
                )
            wanted = notify or (_notify(existing) if existing else None) or "weekly"
            follow, created = await repo.add(
                scope=stored_scope,
                user_id=user_id,
                now=now,
                query=query.written,
                query_key=query.canonical,
                categories=query.categories,
                channel_id=channel_id if scope == "channel" else None,
                guild_id=guild_id,
                notify=wanted,
            )
            digest = await DigestScheduleRepository(session).get_for_target(
                "dm" if scope == "me" else "channel", target
            )
        log.info(
            "topic follow %s: %r scope=%s target=%s", follow.id, query.canonical, scope, target
        )
        return TopicFollowResult(
            follow.id, follow.query, scope, wanted, created, has_digest=digest is not None
        )

    async def unfollow(
        self, text: str, *, scope: Scope, user_id: int, channel_id: int | None
    ) -> str:
        """Stop following the topic named by `text` (a picked `topic:<id>` or the query typed
        again, in any spelling); only the invoker's own or this channel's. Returns its query."""
        target = target_of(scope, user_id, channel_id)
        where = "you follow" if scope == "me" else "this channel follows"
        async with self._database.transaction() as session:
            repo = TopicRepository(session)
            current = await repo.list_for_target(repo_scope(scope), target)
            chosen = _named(current, text)
            if chosen is None:
                raise NotFoundError(
                    f"“{plain(text.strip()[:300])}” is not among the topics {where}. See "
                    "`/following` for the list, or pick the topic as you type."
                )
            await repo.remove(chosen.id)
        log.info("topic unfollow %s scope=%s target=%s", chosen.id, scope, target)
        return chosen.query

    async def list_follows(
        self, scope: Scope, user_id: int, channel_id: int | None
    ) -> list[FollowedTopic]:
        target = target_of(scope, user_id, channel_id)
        async with self._database.reader() as session:
            follows = await TopicRepository(session).list_for_target(repo_scope(scope), target)
        return [FollowedTopic(f.id, f.query, _notify(f), f.created_at) for f in follows]

    async def suggest_followed(
        self, user_id: int, channel_id: int | None, typed: str
    ) -> list[AuthorChoice]:
        """Choices for `/unfollow topic`: the invoker's topics, then this channel's."""
        needle = typed.strip().casefold()
        async with self._database.reader() as session:
            repo = TopicRepository(session)
            mine = await repo.list_for_target("user", user_id)
            channel = await repo.list_for_target("channel", channel_id) if channel_id else []
        choices = []
        for follows, note in ((mine, "you follow"), (channel, "this channel follows")):
            for follow in follows:
                if needle in follow.query.casefold():
                    label = f"{follow.query[:80]} ({note})"
                    choices.append(AuthorChoice(label[:100], f"{TOPIC_PREFIX}{follow.id}"))
        return choices[:25]


def _notify(follow: TopicFollow) -> Notify:
    return "instant" if follow.notify == "instant" else "weekly"


def _named(follows: list[TopicFollow], text: str) -> TopicFollow | None:
    value = text.strip()
    if value.startswith(TOPIC_PREFIX) and value[len(TOPIC_PREFIX) :].isdigit():
        wanted = int(value[len(TOPIC_PREFIX) :])
        return next((f for f in follows if f.id == wanted), None)
    try:
        key = parse_query(value).canonical
    except QueryError:
        return None
    return next((f for f in follows if f.query_key == key), None)


__all__ = [
    "MAX_TOPICS_PER_DESTINATION",
    "FollowedTopic",
    "TopicFollowResult",
    "TopicFollowService",
    "TopicPreview",
    "check_query",
]
