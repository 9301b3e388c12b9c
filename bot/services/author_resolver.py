"""Which author a typed name or a picked value stands for: the one resolver of the bot.

`/follow author`, `/author profile|papers|compare` and `paperscout author` all turn what the
user typed (already checked by `author_query.parse_author_query`) into one author, or
candidates to pick from, or "not found" with the closest suggestions, the same way:

1. `author:<id>` is a stored author, `openalex:A…`, a bare OpenAlex id or an ORCID an exact id
   (a stored author with that OpenAlex id, else OpenAlex's record).
2. A name is first looked up among the stored authors by its full-name keys
   (`bot.names.name_keys`), then searched on OpenAlex, then on Semantic Scholar when OpenAlex
   is not configured or not answering.

Privacy (docs/product.md#privacy-of-follows): a stored author is found by name or local id only when
the asker may see them: followed by one of this server's channels, followed by the asker, or
followed by nobody (an author stored by a profile view is public data). An author known only
through another server's or another member's follows is never shown; a name that also names
them is searched upstream instead (landing on the same row when OpenAlex gives its id, which
is fine: the id came from OpenAlex, not from the other server). `Viewer` None (the terminal
command, run by the operator) sees every stored author.

Plain async Python: no `import discord`.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.arxiv_categories import category_name
from bot.clock import Clock
from bot.errors import Choices, NotFoundError, UpstreamDown
from bot.names import name_keys, names_match, normalize_text
from bot.plain_text import plain
from bot.services.author_query import LOCAL_PREFIX, OPENALEX_PREFIX, AuthorQuery
from bot.services.candidates import MAX_CHOICES, Candidate, Resolution
from bot.sources.budget import call_budget
from bot.sources.errors import NotFound, SourceError
from bot.sources.models import AuthorCandidate, AuthorRecord
from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource
from db.database import Database
from db.models import Author, Follow
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository

log = logging.getLogger(__name__)

T = TypeVar("T")

SEARCH_PER_PAGE = 25
SUGGESTION_COUNT = 5
# Autocomplete must be answered within Discord's 3 s, retries included.
AUTOCOMPLETE_BUDGET_SECONDS = 2.0
UPSTREAM_BUDGET_SECONDS = 25.0  # an interaction token lives 15 min; the user waits less
DOWN_SECONDS = 60.0  # after a failure, a source is not asked again for this long

# --- plain data -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks: what this server's channels and the asker follow is theirs to see."""

    guild_id: int | None
    user_id: int | None

    @property
    def key(self) -> str:
        """Part of a cache key: two viewers may resolve one name differently."""
        return f"{self.guild_id or 0}:{self.user_id or 0}"


class AuthorNotFound(NotFoundError):
    """No author answers to the name; `notices` say which source could not be asked."""

    def __init__(
        self, user_message: str, notices: Sequence[str] = (), choices: Choices = ()
    ) -> None:
        super().__init__(user_message, choices)
        self.notices = tuple(notices)


class SearchUnavailable(UpstreamDown):
    """No configured source could be asked about the name."""

    def __init__(self, user_message: str, notices: Sequence[str] = ()) -> None:
        super().__init__(user_message)
        self.notices = tuple(notices)


def author_value(author: Author) -> str:
    """The choice value of a stored author: its OpenAlex id when known, else its local id."""
    if author.openalex_id:
        return f"{OPENALEX_PREFIX}{author.openalex_id}"
    return f"{LOCAL_PREFIX}{author.id}"


def candidate_from_author(author: Author) -> Candidate:
    """A stored author as a candidate (`local_id` set)."""
    return Candidate(
        value=author_value(author),
        display_name=author.display_name,
        openalex_id=author.openalex_id,
        local_id=author.id,
        orcid=author.orcid,
        name_variants=tuple(author.name_variants or (author.display_name,)),
        affiliations=tuple(author.affiliations or ()),
        works_count=author.works_count,
        usual_categories=tuple(author.usual_categories or ()),
        s2_id=author.s2_id,
        research_field=_field_of(author),
    )


def _field_of(author: Author) -> str | None:
    """A stored author's field: their usual arXiv category's name, else OpenAlex's topics'."""
    categories = author.usual_categories or ()
    named = category_name(categories[0]) if categories else None
    return named or author.topic_field


def candidate_from_record(record: AuthorRecord) -> Candidate:
    """A metrics source's record as a candidate (not stored yet)."""
    openalex_id = record.openalex_id
    s2_id = record.external_ids.get("s2")
    if openalex_id:
        value = f"{OPENALEX_PREFIX}{openalex_id}"
    else:  # unique within a candidate list (a select menu needs distinct values)
        value = f"s2:{s2_id}" if s2_id else record.display_name
    return Candidate(
        value=value,
        display_name=record.display_name,
        openalex_id=openalex_id,
        orcid=record.orcid,
        name_variants=record.name_variants or (record.display_name,),
        affiliations=record.affiliations,
        works_count=record.works_count,
        s2_id=s2_id,
        research_field=record.primary_field,
        record=record,
    )


def visible_to(viewer: Viewer | None, follows: Iterable[Follow]) -> bool:
    """May `viewer` see an author with these follows? (See the module docstring.)"""
    if viewer is None:
        return True
    found = False
    for follow in follows:
        found = True
        if follow.scope == "channel" and viewer.guild_id is not None:
            if follow.guild_id == viewer.guild_id:
                return True
        if follow.scope == "user" and viewer.user_id is not None:
            if follow.target_id == viewer.user_id:
                return True
    return not found


def pick(query: str, candidates: Sequence[Candidate]) -> tuple[Candidate | None, list[Candidate]]:
    """(the one plausible candidate or None, every candidate with exact name matches first).

    One plausible: the only candidate, or the only one whose name is the typed name.
    """
    exact = [c for c in candidates if names_match(query, (c.display_name, *c.name_variants))]
    ordered = [*exact, *(c for c in candidates if c not in exact)]
    if len(candidates) == 1:
        return candidates[0], ordered
    if len(exact) == 1:
        return exact[0], ordered
    return None, ordered


# --- upstream calls -------------------------------------------------------------------------


class UpstreamGuard:
    """One upstream call within a time budget; a failing source is skipped for a minute."""

    def __init__(
        self,
        clock: Clock,
        *,
        budget_seconds: float = UPSTREAM_BUDGET_SECONDS,
        down_seconds: float = DOWN_SECONDS,
    ) -> None:
        self._clock = clock
        self.budget_seconds = budget_seconds
        self.down_seconds = down_seconds
        self._down_until: dict[str, float] = {}

    async def call(self, source: str, call: Awaitable[T]) -> T:
        """Await `call` for `source`; `SourceError` at once while the source is marked down."""
        if self._clock.monotonic() < self._down_until.get(source, 0.0):
            if asyncio.iscoroutine(call):
                call.close()  # never awaited: avoid the "was never awaited" warning
            raise SourceError("skipped: failed moments ago", source=source)
        try:
            with call_budget(self.budget_seconds):  # a typed timeout, counted in health
                result = await call
        except NotFound:
            raise
        except SourceError:
            self._down_until[source] = self._clock.monotonic() + self.down_seconds
            raise
        self._down_until.pop(source, None)
        return result


# --- the resolver ---------------------------------------------------------------------------


class AuthorResolver:
    """Typed text or a picked value -> one author, candidates, or not found with suggestions."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        openalex: OpenAlexSource | None = None,
        semantic_scholar: SemanticScholarSource | None = None,
        guard: UpstreamGuard,
        autocomplete_budget_seconds: float = AUTOCOMPLETE_BUDGET_SECONDS,
    ) -> None:
        """`guard` times and paces the upstream calls; shared with everything that asks the
        same sources for a user (a source that just failed is skipped by all for a minute)."""
        self._database = database
        self.openalex = openalex
        self.semantic_scholar = semantic_scholar
        self.guard = guard
        self.autocomplete_budget_seconds = autocomplete_budget_seconds

    async def resolve(
        self,
        query: AuthorQuery,
        viewer: Viewer | None,
        *,
        suggest: bool = True,
        search_beyond_stored: bool = False,
    ) -> Resolution:
        """What `query` stands for, as `viewer` may see it.

        A name that names stored authors is answered from them alone (fast: a profile view),
        unless `search_beyond_stored`: then the upstream search is asked too and its other
        candidates join the stored ones, so a name shared by several people gets a choice
        whatever someone stored before (`/follow`).

        Raises `NotFoundError` (`AuthorNotFound` for a name: with up to five close names from
        OpenAlex autocomplete when `suggest`), `SearchUnavailable` when no source could be
        asked about a name, `UpstreamDown` when an id cannot be looked up.
        """
        if query.kind == "local":
            return Resolution(query.value, await self._local(int(query.value), viewer))
        if query.kind in ("openalex", "orcid"):
            return Resolution(query.value, await self._by_id(query))
        return await self._by_name(
            query.value, viewer, suggest=suggest, search_beyond_stored=search_beyond_stored
        )

    # --- stored authors -------------------------------------------------------------------

    async def stored_by_name(self, name: str, viewer: Viewer | None) -> list[Author]:
        """Stored authors sharing a full-name key with `name`, visible to `viewer`.

        Best documented first (an OpenAlex id, then cached metrics, then the oldest row).
        """
        keys = name_keys(name)
        if not keys.full:
            return []
        async with self._database.reader() as session:
            authors = AuthorRepository(session)
            matches = await authors.find_by_name_keys(sorted(keys.full))
            ids = sorted({i for found in matches.values() for i in found})
            if not ids:
                return []
            rows = await authors.list_by_ids(ids)
            if viewer is not None:
                follows: dict[int, list[Follow]] = {}
                for follow in await FollowRepository(session).follows_of(ids):
                    follows.setdefault(follow.author_id, []).append(follow)
                rows = [r for r in rows if visible_to(viewer, follows.get(r.id, ()))]
        rows.sort(key=lambda a: (a.openalex_id is None, a.metrics_as_of is None, a.id))
        return rows

    async def _local(self, author_id: int, viewer: Viewer | None) -> Candidate:
        """`author:<id>`: only an author the viewer may see (never another server's)."""
        async with self._database.reader() as session:
            author = await AuthorRepository(session).get(author_id)
            follows = await FollowRepository(session).follows_of([author_id]) if author else []
        if author is None or not visible_to(viewer, follows):
            raise NotFoundError(
                "I do not know that author here. Type the name and pick the author from the list."
            )
        return candidate_from_author(author)

    # --- by id ----------------------------------------------------------------------------

    async def _by_id(self, query: AuthorQuery) -> Candidate:
        if query.kind == "openalex":
            async with self._database.reader() as session:
                stored = await AuthorRepository(session).get_by_openalex_id(query.value)
            if stored is not None:  # exact id: no privacy question, nothing to ask upstream
                return candidate_from_author(stored)
        if self.openalex is None:
            raise UpstreamDown(
                "Looking authors up by id needs OpenAlex, which is not configured here. Type "
                "the author's name instead."
            )
        try:
            record = await self.guard.call("openalex", self.openalex.get_author(query.value))
        except NotFound as error:
            raise NotFoundError(
                f"OpenAlex has no author `{plain(query.value)}`. Type the name and pick the "
                "author from the list."
            ) from error
        except SourceError as error:
            log.warning("OpenAlex get_author(%s) failed: %s", query.value, error)
            raise UpstreamDown(
                "I cannot look that author up right now: OpenAlex is not answering. Try again "
                "in a few minutes, or type the author's name."
            ) from error
        if record.openalex_id:  # an ORCID of an author stored under their OpenAlex id
            async with self._database.reader() as session:
                stored = await AuthorRepository(session).get_by_openalex_id(record.openalex_id)
            if stored is not None:
                return candidate_from_author(stored)
        return candidate_from_record(record)

    # --- by name --------------------------------------------------------------------------

    async def _by_name(
        self, name: str, viewer: Viewer | None, *, suggest: bool, search_beyond_stored: bool
    ) -> Resolution:
        stored = [candidate_from_author(a) for a in await self.stored_by_name(name, viewer)]
        if stored and not search_beyond_stored:
            if len(stored) == 1:
                return Resolution(name, stored[0])
            return Resolution(name, None, tuple(stored[:MAX_CHOICES]))
        if stored:
            return await self._stored_and_searched(name, stored)
        records, notices = await self.search(name)
        candidates = [candidate_from_record(r) for r in records]
        if not candidates:
            if suggest:
                raise await self.not_found(name, notices)
            raise AuthorNotFound(f"No author found for “{plain(name)}”.", notices)
        match, ordered = pick(name, candidates)
        return Resolution(name, match, tuple(ordered[:MAX_CHOICES]), tuple(notices))

    async def _stored_and_searched(self, name: str, stored: list[Candidate]) -> Resolution:
        """The stored candidates, then the searched ones that are other people (by OpenAlex
        id); one plausible (`pick`) is the match. A failed search leaves the stored ones."""
        try:
            records, notices = await self.search(name)
        except SearchUnavailable as down:
            records, notices = [], list(down.notices)
        known = {c.openalex_id for c in stored if c.openalex_id}
        others = [candidate_from_record(r) for r in records if r.openalex_id not in known]
        candidates = [*stored, *others]
        if not others and len(stored) > 1:  # several stored people share the name
            return Resolution(name, None, tuple(stored[:MAX_CHOICES]), tuple(notices))
        match, ordered = pick(name, candidates)
        return Resolution(name, match, tuple(ordered[:MAX_CHOICES]), tuple(notices))

    async def search(self, name: str) -> tuple[list[AuthorRecord], list[str]]:
        """OpenAlex search, else Semantic Scholar: (records, notices of sources that failed).

        `SearchUnavailable` when a configured source failed and none answered.
        """
        notices: list[str] = []
        failed: list[str] = []
        if self.openalex is not None:
            try:
                records = await self.guard.call(
                    "openalex", self.openalex.search_authors(name, per_page=SEARCH_PER_PAGE)
                )
            except SourceError as error:
                log.warning("OpenAlex author search failed for %r: %s", name, error)
                notices.append("OpenAlex is not answering right now.")
                failed.append("OpenAlex")
            else:
                return [r for r in records if r.openalex_id], notices
        if self.semantic_scholar is not None:
            try:
                records = await self.guard.call(
                    "semantic_scholar",
                    self.semantic_scholar.search_authors(name, limit=SEARCH_PER_PAGE),
                )
            except SourceError as error:
                log.warning("Semantic Scholar author search failed for %r: %s", name, error)
                notices.append("Semantic Scholar is not answering right now.")
                failed.append("Semantic Scholar")
            else:
                # S2 search is loose: without a name match, no record beats a wrong one.
                matching = [
                    r for r in records if names_match(name, (r.display_name, *r.name_variants))
                ]
                return matching, notices
        if failed:
            verb = "is" if len(failed) == 1 else "are"
            raise SearchUnavailable(
                f"I cannot search authors right now: {' and '.join(failed)} {verb} not "
                "answering. Try again in a few minutes.",
                notices,
            )
        return [], notices

    # --- suggestions ----------------------------------------------------------------------

    async def autocomplete(self, text: str) -> list[AuthorCandidate]:
        """OpenAlex autocomplete within the budget; [] on any failure (logged) or no OpenAlex."""
        if self.openalex is None:
            return []
        try:
            async with asyncio.timeout(self.autocomplete_budget_seconds):
                return await self.openalex.autocomplete_authors(text)
        except TimeoutError:
            log.warning(
                "OpenAlex autocomplete took over %.1fs; local choices only",
                self.autocomplete_budget_seconds,
            )
        except SourceError as error:
            log.warning("OpenAlex autocomplete failed (%s); local choices only", error)
        return []

    async def not_found(self, query: str, notices: Sequence[str] = ()) -> AuthorNotFound:
        """ "No author found" with up to five close names from OpenAlex autocomplete, named in
        the message and offered as choices (their OpenAlex ids)."""
        found: dict[str, AuthorCandidate] = {}
        # Autocomplete matches prefixes: the surname, then the surname without its last
        # letter, catch a typo at the end (`Piwowarz` -> `piwowar`).
        surname = name_keys(query).surname
        probes = list(dict.fromkeys(p for p in (query, surname, surname[:-1]) if len(p) >= 3))
        for probe in probes:
            for candidate in await self.autocomplete(probe):
                found.setdefault(candidate.id, candidate)
            if found:
                break
        wanted = normalize_text(query)
        ranked = sorted(
            found.values(),
            key=lambda c: difflib.SequenceMatcher(None, wanted, normalize_text(c.name)).ratio(),
            reverse=True,
        )[:SUGGESTION_COUNT]
        head = f"No author found for “{plain(query)}”."
        if not ranked:
            return AuthorNotFound(
                head + " Check the spelling, or type part of the name and pick from the list.",
                notices,
            )
        labels = [plain(c.name) + (f" ({plain(c.hint)})" if c.hint else "") for c in ranked]
        return AuthorNotFound(
            f"{head} Did you mean: {', '.join(labels)}? Pick one below, or from the list as "
            "you type.",
            notices,
            tuple(
                (label, f"{OPENALEX_PREFIX}{c.id}") for label, c in zip(labels, ranked, strict=True)
            ),
        )
