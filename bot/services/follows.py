"""Following authors: suggest, resolve, follow, unfollow, list (docs/product.md#following-authors).

Plain async Python: no `import discord`. The cog validates a typed name with `check_name`
(pure, so bad input is answered at once: `author_query.parse_author_query`, the one validator),
defers, then calls `resolve` (the shared `AuthorResolver`, as profiles resolve names) and
`follow`.

Identity: an author is stored with their OpenAlex id (stable), display name, the name variants
used to match arXiv author strings, affiliations, their earlier arXiv papers and the usual
categories of those (`paper_history`, as profiles store theirs: homonyms' papers are left out)
and the match keys of every variant (`bot.names.name_keys`: the union of the `full`, `first`
and `initial` keys, so a paper author string's keys find the candidates with
`AuthorRepository.find_by_name_keys`).
It is stored by `author_fetch.store_identity`, as profiles store theirs: initial-only forms
(`H. Piwowar`) are never stored as variants.

Choice values identify a candidate exactly: `openalex:A5048491430` for an OpenAlex author,
`author:<local id>` for a stored author without one.

Messages built here go to the user as is (the tree's error handler sends `user_message`), so
outside text in them is made inert with `bot.plain_text.plain` (the user's own text is
validated first).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from bot.clock import Clock
from bot.errors import BadInput, NotFoundError
from bot.names import matches_query, names_match
from bot.plain_text import plain
from bot.services.author_fetch import store_identity
from bot.services.author_query import LOCAL_PREFIX, OPENALEX_PREFIX, parse_author_query
from bot.services.author_resolver import (
    AuthorResolver,
    Viewer,
    author_value,
    candidate_from_author,
)
from bot.services.candidates import MAX_CHOICES, Candidate, Resolution, choice_label, first
from bot.services.cutoff_fence import CutoffFence
from bot.services.follow_types import (
    AuthorChoice,
    FollowedAuthor,
    FollowResult,
    MuteResult,
    Notify,
    Scope,
    UnfollowResult,
)
from bot.services.paper_history import History, PaperHistory
from bot.sources.budget import call_budget
from db.database import Database
from db.models import Author, Follow
from db.repositories.authors import AuthorRepository
from db.repositories.digests import DigestScheduleRepository
from db.repositories.follows import FollowRepository
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

# Fetching the author's earlier papers must not hold a follow hostage (arXiv wants 3 s
# between calls); what does not arrive in time is fetched by the next poll.
HISTORY_BUDGET_SECONDS = 12.0
# Autocomplete reads a server's followed authors and matches their names in Python (folded
# keys: `remy` finds `Rémy`); a server follows few authors, this bounds the read anyway.
GUILD_AUTHORS_LIMIT = 1000


# --- plain data the cog renders -----------------------------------------------------------


# --- pure helpers ---------------------------------------------------------------------------


def check_name(text: str | None) -> str:
    """The stripped text, or `BadInput` saying what is wrong with it and how to fix it.

    The rules are `author_query.parse_author_query`'s (the one validator of author text).
    """
    parse_author_query(text)
    return (text or "").strip()


def query_for_suggestions(text: str) -> str | None:
    """What autocomplete may look up: None when the text could never be a name."""
    try:
        return check_name(text)
    except BadInput:
        return "" if not (text or "").strip() else None


def _names_of(author: Author) -> tuple[str, ...]:
    return (author.display_name, *(author.name_variants or ()))


def is_named(author: Author, query: str) -> bool:
    """Whether a picked value (`author:<id>`, `openalex:<id>`) or a typed name means `author`."""
    if query.startswith(LOCAL_PREFIX):
        return query[len(LOCAL_PREFIX) :].strip() == str(author.id)
    if query.startswith(OPENALEX_PREFIX):
        return query[len(OPENALEX_PREFIX) :].strip() == author.openalex_id
    return names_match(query, _names_of(author))


def _followed(follow: Follow) -> FollowedAuthor:
    author = follow.author
    return FollowedAuthor(
        author_id=author.id,
        display_name=author.display_name,
        openalex_id=author.openalex_id,
        affiliations=tuple(author.affiliations or ()),
        usual_categories=tuple(author.usual_categories or ()),
        notify="instant" if follow.notify == "instant" else "weekly",
        since=follow.created_at,
    )


async def author_row(
    authors: AuthorRepository, candidate: Candidate, stored: Author | None, *, now: datetime
) -> Author:
    """The author row a follow of `candidate` points at: its identity stored (or refreshed),
    or the stored row as it is when it has no OpenAlex id to upsert on."""
    if candidate.openalex_id is None and stored is not None:
        return stored
    return await store_identity(
        authors,
        display_name=candidate.display_name,
        now=now,
        openalex_id=candidate.openalex_id,
        orcid=candidate.orcid,
        s2_id=candidate.s2_id,
        name_variants=candidate.name_variants,
        affiliations=candidate.affiliations,
    )


def repo_scope(scope: Scope) -> Literal["user", "channel"]:
    if scope not in ("me", "channel"):
        raise ValueError(f"scope must be 'me' or 'channel', not {scope!r}")
    return "user" if scope == "me" else "channel"


def target_of(scope: Scope, user_id: int, channel_id: int | None) -> int:
    if scope == "channel":
        if channel_id is None:
            raise BadInput("Channel follows only work in a server channel.")
        return channel_id
    return user_id


# --- the service ----------------------------------------------------------------------------


class FollowService:
    """Follow and unfollow authors for a user or a channel; suggest and resolve names."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        resolver: AuthorResolver,
        history: PaperHistory,
        fence: CutoffFence,
        history_budget_seconds: float = HISTORY_BUDGET_SECONDS,
    ) -> None:
        """`resolver`: the one shared with the profiles; `fence`: papers a follow stores are
        digest candidates, stamped like the poller's."""
        self._database = database
        self._clock = clock
        self.resolver = resolver
        self._history = history
        self._fence = fence
        self.history_budget_seconds = history_budget_seconds

    def check_name(self, text: str | None) -> str:
        """The stripped name, or `BadInput` (pure: call it before deferring)."""
        return check_name(text)

    # --- autocomplete --------------------------------------------------------------------

    async def suggest(self, guild_id: int | None, user_id: int, query: str) -> list[AuthorChoice]:
        """Choices for `/follow author name`: this server's authors and the invoker's first.

        Then OpenAlex autocomplete candidates. Never another server's data; an upstream
        failure or slowness leaves the local choices alone (never an error).
        """
        text = query_for_suggestions(query)
        if text is None:
            return []
        local = await self._local_authors(guild_id, user_id, text)
        choices: list[AuthorChoice] = []
        seen_openalex: set[str] = set()
        for author, note in local:
            if author.openalex_id:
                seen_openalex.add(author.openalex_id)
            hint = first(author.affiliations or ())
            label = choice_label(author.display_name, hint, author.works_count, note)
            choices.append(AuthorChoice(label, author_value(author)))
        if len(text) >= 2 and len(choices) < MAX_CHOICES:
            for candidate in await self.resolver.autocomplete(text):
                if candidate.id in seen_openalex:
                    continue
                seen_openalex.add(candidate.id)
                label = choice_label(candidate.name, candidate.hint, candidate.works_count)
                choices.append(AuthorChoice(label, f"{OPENALEX_PREFIX}{candidate.id}"))
        return choices[:MAX_CHOICES]

    async def suggest_followed(
        self, user_id: int, channel_id: int | None, query: str
    ) -> list[AuthorChoice]:
        """Choices for `/unfollow author name`: what the invoker and this channel follow."""
        text = query_for_suggestions(query)
        if text is None:
            return []
        async with self._database.reader() as session:
            repo = FollowRepository(session)
            mine = await repo.list_for_user(user_id)
            channel = await repo.list_for_channel(channel_id) if channel_id is not None else []
        choices: list[AuthorChoice] = []
        seen: set[str] = set()
        for follows, note in ((mine, "you follow"), (channel, "this channel follows")):
            for follow in follows:
                author = follow.author
                value = author_value(author)
                if value in seen or not matches_query(text, _names_of(author)):
                    continue
                seen.add(value)
                hint = first(author.affiliations or ())
                label = choice_label(author.display_name, hint, author.works_count, note)
                choices.append(AuthorChoice(label, value))
        return choices[:MAX_CHOICES]

    async def _local_authors(
        self, guild_id: int | None, user_id: int, text: str
    ) -> list[tuple[Author, str]]:
        """Authors followed in this server, then the invoker's own follows, de-duplicated.

        Both lists are matched the same way (`matches_query`, on folded names).
        """
        async with self._database.reader() as session:
            repo = FollowRepository(session)
            in_guild = (
                await repo.authors_in_guild(guild_id, limit=GUILD_AUTHORS_LIMIT)
                if guild_id is not None
                else []
            )
            mine = [f.author for f in await repo.list_for_user(user_id)]
        found: list[tuple[Author, str]] = []
        ids: set[int] = set()
        for authors, note in ((in_guild, "followed here"), (mine, "you follow")):
            for author in authors:
                if author.id in ids or not matches_query(text, _names_of(author)):
                    continue
                ids.add(author.id)
                found.append((author, note))
        return found[:MAX_CHOICES]

    # --- resolving -----------------------------------------------------------------------

    async def resolve(
        self, text: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> Resolution:
        """What the typed or picked `text` stands for, as the invoker may see it.

        The shared `AuthorResolver`: stored authors this server or the invoker follow (or
        nobody follows) by name, together with what OpenAlex (else Semantic Scholar) finds,
        so a name shared by several people always gets a choice. No result: `NotFoundError`
        with the closest suggestions. One plausible candidate: that one. Several: an
        ambiguous `Resolution` with up to 25 candidates, exact name matches first.
        """
        return await self.resolver.resolve(
            parse_author_query(text), Viewer(guild_id, user_id), search_beyond_stored=True
        )

    # --- following -----------------------------------------------------------------------

    async def follow(
        self,
        candidate: Candidate,
        *,
        scope: Scope,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        notify: Notify | None = None,
        now: datetime | None = None,
    ) -> FollowResult:
        """Store the author (identity, variants, keys, their earlier papers) and the follow.

        The follow's `created_at` is `now`: papers older than that are never announced to it.
        An author whose papers were never fetched completely gets them now (`PaperHistory`:
        their usual categories come from them); an arXiv outage does not stop the follow, and
        the next poll fetches them. Following again changes nothing but `notify` (when given)
        and says so. `notify` None means weekly for a new follow and "keep" for an existing one.
        """
        stored_scope = repo_scope(scope)
        target = target_of(scope, user_id, channel_id)
        now = now or self._clock.now()
        stored, history = await self.prepare_author(candidate)
        async with self._fence.storing(self._database) as (session, stamp):
            authors = AuthorRepository(session)
            author = await author_row(authors, candidate, stored, now=now)
            follows = FollowRepository(session)
            existing = await self._existing_notify(follows, author.id, scope, target)
            wanted: Notify = notify or existing or "weekly"
            _, created = await follows.add(
                author_id=author.id,
                scope=stored_scope,
                user_id=user_id,
                now=now,
                channel_id=channel_id if scope == "channel" else None,
                guild_id=guild_id,
                notify=wanted,
            )
            if history is not None:  # after the follow: a paper newer than it is announced
                await self._history.store(session, author.id, history, stamp=stamp)
            author = await authors.get(author.id, fresh=True) or author
            digest = await DigestScheduleRepository(session).get_for_target(
                "dm" if scope == "me" else "channel", target
            )
            papers = await PaperRepository(session).count_for_author(author.id)
            result = FollowResult(
                author_id=author.id,
                display_name=author.display_name,
                openalex_id=author.openalex_id,
                affiliations=tuple(author.affiliations or ()),
                usual_categories=tuple(author.usual_categories or ()),
                scope=scope,
                notify=wanted,
                created=created,
                notify_changed=existing is not None and existing != wanted,
                papers_checked=author.papers_fetched_at is not None,
                papers_tracked=papers,
                has_digest=digest is not None,
                sources_down=history.down if history is not None else (),
            )
        log.info(
            "follow %s: author %s (%s) scope=%s target=%s notify=%s",
            "added" if created else "kept",
            author.id,
            author.openalex_id,
            stored_scope,
            target,
            wanted,
        )
        return result

    async def follow_stored_author(
        self,
        author_id: int,
        *,
        user_id: int,
        guild_id: int | None,
        now: datetime | None = None,
    ) -> FollowResult:
        """The user follows a stored author for themselves, weekly unless they chose otherwise.

        For the Follow button under a profile: the author is already stored, nothing to resolve.
        """
        async with self._database.reader() as session:
            author = await AuthorRepository(session).get(author_id)
            if author is None:
                raise NotFoundError("That author is no longer stored. Run the command again.")
            candidate = candidate_from_author(author)
        return await self.follow(
            candidate, scope="me", user_id=user_id, guild_id=guild_id, channel_id=None, now=now
        )

    @staticmethod
    async def _existing_notify(
        follows: FollowRepository, author_id: int, scope: Scope, target: int
    ) -> Notify | None:
        follow = await follows.find(author_id=author_id, scope=repo_scope(scope), target_id=target)
        if follow is None:
            return None
        return "instant" if follow.notify == "instant" else "weekly"

    async def prepare_author(self, candidate: Candidate) -> tuple[Author | None, History | None]:
        """What following `candidate` (for papers or citations) needs before its write: the
        stored row it stands for, and their earlier papers when never fetched completely
        (None: fetched already). `NotFoundError` when a stored author picked is gone."""
        stored = await self._stored_author(candidate)
        if candidate.openalex_id is None and candidate.local_id is not None and stored is None:
            raise NotFoundError("That author is gone. Type the name and pick again.")
        if stored is None or stored.papers_fetched_at is None:
            return stored, await self._fetch_history(candidate)
        return stored, None

    async def _stored_author(self, candidate: Candidate) -> Author | None:
        """The stored row the candidate stands for, if any (by local id, else OpenAlex id)."""
        async with self._database.reader() as session:
            authors = AuthorRepository(session)
            if candidate.local_id is not None:
                return await authors.get(candidate.local_id)
            if candidate.openalex_id:
                return await authors.get_by_openalex_id(candidate.openalex_id)
        return None

    async def _fetch_history(self, candidate: Candidate) -> History:
        """Their earlier papers within the follow's budget: a call past it fails (a typed
        timeout, counted in health), the history stays incomplete and the next poll fetches it.
        """
        with call_budget(self.history_budget_seconds):
            return await self._history.fetch(
                candidate.display_name, candidate.name_variants, candidate.openalex_id
            )

    # --- unfollowing and listing ---------------------------------------------------------

    async def unfollow(
        self, text: str, *, scope: Scope, user_id: int, channel_id: int | None
    ) -> UnfollowResult:
        """Stop following the author named by `text` (a picked value or a typed name).

        Only the invoker's own follows (scope me) or this channel's (scope channel) are
        looked at, so nobody can touch another user's or server's follows.
        """
        query = check_name(text)
        stored_scope = repo_scope(scope)
        target = target_of(scope, user_id, channel_id)
        where = "you follow" if scope == "me" else "this channel follows"
        async with self._database.transaction() as session:
            follows = FollowRepository(session)
            current = await follows.list_for_target(repo_scope(scope), target)
            matches = [f for f in current if is_named(f.author, query)]
            if not matches:
                raise NotFoundError(
                    f"“{plain(query)}” is not among the authors {where}. See `/following"
                    + (" scope:channel" if scope == "channel" else "")
                    + "` for the list, or pick the author from the list as you type."
                )
            if len(matches) > 1:
                names = ", ".join(plain(f.author.display_name) for f in matches[:10])
                raise BadInput(
                    f"“{plain(query)}” matches several authors {where}: {names}. Pick the one "
                    "you mean from the list as you type."
                )
            author = matches[0].author
            await follows.remove(author_id=author.id, scope=stored_scope, target_id=target)
        log.info("unfollow: author %s scope=%s target=%s", author.id, stored_scope, target)
        return UnfollowResult(author.id, author.display_name, scope)

    async def unfollow_by_id(
        self, author_id: int, *, scope: Scope, user_id: int, channel_id: int | None
    ) -> UnfollowResult:
        """Stop the invoker's (scope me) or this channel's (scope channel) follow of a stored
        author (the Unfollow button under an alert); nobody else's follow is looked at."""
        target = target_of(scope, user_id, channel_id)
        async with self._database.transaction() as session:
            follows = FollowRepository(session)
            follow = await follows.find(
                author_id=author_id, scope=repo_scope(scope), target_id=target
            )
            if follow is None:
                where = "You do not" if scope == "me" else "This channel does not"
                raise NotFoundError(f"{where} follow this author any more.")
            name = follow.author.display_name
            await follows.remove(author_id=author_id, scope=repo_scope(scope), target_id=target)
        log.info("unfollow: author %s scope=%s target=%s", author_id, scope, target)
        return UnfollowResult(author_id, name, scope)

    async def mute(self, author_id: int, *, user_id: int) -> MuteResult:
        """The member's own follow of the author: their papers wait for the weekly digest
        instead of a DM each (the Mute button under an alert). Nobody else's follow changes."""
        async with self._database.transaction() as session:
            follow = await FollowRepository(session).find(
                author_id=author_id, scope="user", target_id=user_id
            )
            if follow is None:
                raise NotFoundError("You no longer follow this author: there is nothing to mute.")
            changed = follow.notify != "weekly"
            follow.notify = "weekly"
            author = await AuthorRepository(session).get(author_id)
            digest = await DigestScheduleRepository(session).get_for_target("dm", user_id)
        log.info("mute: author %s for user %s (changed=%s)", author_id, user_id, changed)
        name = author.display_name if author is not None else "this author"
        return MuteResult(author_id, name, changed, has_digest=digest is not None)

    async def list_follows(
        self, scope: Scope, user_id: int, channel_id: int | None
    ) -> list[FollowedAuthor]:
        """The invoker's own follows (scope me) or this channel's (scope channel), by name."""
        target = target_of(scope, user_id, channel_id)
        async with self._database.reader() as session:
            repo = FollowRepository(session)
            follows = await repo.list_for_target(repo_scope(scope), target)
        return [_followed(f) for f in follows]
