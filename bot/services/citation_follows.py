"""Following an author's citations: `/follow citations`, `/unfollow citations`, and their lines
in `/following` (docs/product.md#citation-alerts).

Names are resolved exactly as `/follow author` resolves them (the `FollowService`'s shared
resolver, autocomplete and candidate menu); the author is stored the same way, with their
earlier papers fetched when they never were. What is watched are the author's tracked papers:
an author with none gets "nothing to watch yet" and nothing is stored. An author with more
than `CitationWatch.papers_per_author` tracked papers has their most cited ones watched, and
`/following` says how many of how many.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.clock import Clock
from bot.errors import BadInput, NotFoundError
from bot.names import matches_query
from bot.plain_text import plain
from bot.services.author_resolver import author_value
from bot.services.candidates import MAX_CHOICES, Candidate, choice_label, first
from bot.services.cutoff_fence import CutoffFence
from bot.services.follow_types import (
    AuthorChoice,
    CitationFollowResult,
    CitationWatching,
    FollowedAuthor,
    Notify,
    Scope,
    UnfollowResult,
)
from bot.services.follows import (
    FollowService,
    author_row,
    check_name,
    is_named,
    query_for_suggestions,
    repo_scope,
    target_of,
)
from bot.services.paper_history import History, PaperHistory
from db.database import Database
from db.models import CitationFollow
from db.repositories.authors import AuthorRepository
from db.repositories.citation_follows import CitationFollowRepository
from db.repositories.citations import CitationRepository
from db.repositories.digests import DigestScheduleRepository
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)


class NothingToWatch(BadInput):
    """The author has no tracked papers: there is nothing whose citations could be watched."""


class CitationFollowService:
    """Follow, unfollow and list the citations of authors' papers."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        follows: FollowService,
        history: PaperHistory,
        fence: CutoffFence,
        papers_per_author: int,
        enabled: bool = True,
    ) -> None:
        """`follows`: resolves and stores authors as `/follow author` does;
        `papers_per_author`: how many of an author's papers the citations job watches;
        `enabled` False: OpenAlex is not configured, so no citation could ever be found."""
        self._database = database
        self.enabled = enabled
        self._clock = clock
        self._follows = follows
        self._history = history
        self._fence = fence
        self.papers_per_author = papers_per_author

    async def follow(
        self,
        candidate: Candidate,
        *,
        scope: Scope,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        notify: Notify | None = None,
        include_self: bool | None = None,
        now: datetime | None = None,
    ) -> CitationFollowResult:
        """Store the author (as `/follow author` does) and follow their papers' citations.

        Raises `NothingToWatch` (and stores nothing) when they have no tracked papers.
        `notify` / `include_self` None: weekly / without self-citations for a new follow, kept
        for an existing one.
        """
        if not self.enabled:
            raise BadInput(
                "Citation alerts need OpenAlex, which this bot's operator has not configured "
                "(OPENALEX_API_URL is empty): nothing was followed."
            )
        target = target_of(scope, user_id, channel_id)
        now = now or self._clock.now()
        stored, history = await self._follows.prepare_author(candidate)
        async with self._fence.storing(self._database) as (session, stamp):
            author = await author_row(AuthorRepository(session), candidate, stored, now=now)
            if history is not None:
                await self._history.store(session, author.id, history, stamp=stamp)
            tracked = await PaperRepository(session).count_for_author(author.id)
            if tracked == 0:  # leaving the block by raising rolls the author back too
                raise _nothing_to_watch(candidate.display_name, history)
            repo = CitationFollowRepository(session)
            existing = await repo.find(
                author_id=author.id, scope=repo_scope(scope), target_id=target
            )
            follow, created = await repo.add(
                author_id=author.id,
                scope=repo_scope(scope),
                user_id=user_id,
                now=now,
                channel_id=channel_id if scope == "channel" else None,
                guild_id=guild_id,
                notify=notify or _notify(existing) or "weekly",
                include_self=(
                    include_self
                    if include_self is not None
                    else bool(existing is not None and existing.include_self)
                ),
            )
            digest = await DigestScheduleRepository(session).get_for_target(
                "dm" if scope == "me" else "channel", target
            )
            result = CitationFollowResult(
                author_id=author.id,
                display_name=author.display_name,
                scope=scope,
                notify=_notify(follow) or "weekly",
                include_self=follow.include_self,
                created=created,
                watching=self._watching(tracked, follow.include_self),
                has_digest=digest is not None,
            )
        log.info(
            "citation follow %s: author %s scope=%s target=%s notify=%s",
            "added" if created else "kept",
            author.id,
            scope,
            target,
            result.notify,
        )
        return result

    async def unfollow(
        self, text: str, *, scope: Scope, user_id: int, channel_id: int | None
    ) -> UnfollowResult:
        """Stop following the citations of the author named by `text`, among the invoker's
        own (scope me) or this channel's (scope channel) citation follows only."""
        query = check_name(text)
        target = target_of(scope, user_id, channel_id)
        where = "you follow" if scope == "me" else "this channel follows"
        async with self._database.transaction() as session:
            repo = CitationFollowRepository(session)
            current = await repo.list_for_target(repo_scope(scope), target)
            matches = [f for f in current if is_named(f.author, query)]
            if not matches:
                raise NotFoundError(
                    f"“{plain(query)}” is not among the authors whose citations {where}. See "
                    "`/following` for the list."
                )
            if len(matches) > 1:
                names = ", ".join(plain(f.author.display_name) for f in matches[:10])
                raise BadInput(
                    f"“{plain(query)}” matches several authors whose citations {where}: "
                    f"{names}. Pick the one you mean from the list as you type."
                )
            author = matches[0].author
            await repo.remove(author_id=author.id, scope=repo_scope(scope), target_id=target)
        log.info("citation unfollow: author %s scope=%s target=%s", author.id, scope, target)
        return UnfollowResult(author.id, author.display_name, scope)

    async def suggest_followed(
        self, user_id: int, channel_id: int | None, query: str
    ) -> list[AuthorChoice]:
        """Choices for `/unfollow citations`: the citations the invoker and this channel
        follow, matched on folded names."""
        text = query_for_suggestions(query)
        if text is None:
            return []
        async with self._database.reader() as session:
            repo = CitationFollowRepository(session)
            mine = await repo.list_for_target("user", user_id)
            channel = await repo.list_for_target("channel", channel_id) if channel_id else []
        choices: list[AuthorChoice] = []
        for follows, note in ((mine, "you follow"), (channel, "this channel follows")):
            for follow in follows:
                author = follow.author
                value = author_value(author)
                names = (author.display_name, *(author.name_variants or ()))
                if any(c.value == value for c in choices) or not matches_query(text, names):
                    continue
                hint = first(author.affiliations or ())
                label = choice_label(author.display_name, hint, author.works_count, note)
                choices.append(AuthorChoice(label, value))
        return choices[:MAX_CHOICES]

    async def list_follows(
        self, scope: Scope, user_id: int, channel_id: int | None
    ) -> list[FollowedAuthor]:
        """The invoker's own citation follows (scope me) or this channel's, by name."""
        target = target_of(scope, user_id, channel_id)
        async with self._database.reader() as session:
            follows = await CitationFollowRepository(session).list_for_target(
                repo_scope(scope), target
            )
            tracked = await CitationRepository(session).tracked_counts(f.author_id for f in follows)
        return [
            FollowedAuthor(
                author_id=f.author.id,
                display_name=f.author.display_name,
                openalex_id=f.author.openalex_id,
                affiliations=tuple(f.author.affiliations or ()),
                usual_categories=tuple(f.author.usual_categories or ()),
                notify=_notify(f) or "weekly",
                since=f.created_at,
                citations=self._watching(tracked.get(f.author_id, 0), f.include_self),
            )
            for f in follows
        ]

    def _watching(self, tracked: int, include_self: bool) -> CitationWatching:
        return CitationWatching(min(tracked, self.papers_per_author), tracked, include_self)


def _notify(follow: CitationFollow | None) -> Notify | None:
    if follow is None:
        return None
    return "instant" if follow.notify == "instant" else "weekly"


def _nothing_to_watch(name: str, history: History | None) -> BadInput:
    down = history.down if history is not None else ()
    if down:
        return BadInput(
            f"PaperScout could not fetch the papers of **{plain(name)}** just now "
            f"({', '.join(down)} not answering), so there is nothing to watch yet. Try again "
            "in a few minutes."
        )
    return NothingToWatch(
        f"PaperScout tracks no papers of **{plain(name)}**, so there is nothing to watch yet. "
        "Once they have papers here (see `/author papers`), follow their citations again."
    )


__all__ = ["CitationFollowService", "NothingToWatch"]
