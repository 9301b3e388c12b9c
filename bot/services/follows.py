"""Following authors: suggest, resolve, follow, unfollow and list (PRODUCT.md section 3).

Plain async Python: no `import discord`. The cog validates a typed name with `check_name`
(pure, so bad input is answered at once), defers, then calls `resolve` and `follow`.

Identity: an author is stored with their OpenAlex id (stable), display name, the name variants
used to match arXiv author strings, affiliations, usual arXiv categories and the match keys of
every variant (`bot.names.name_keys`: the union of the `full`, `first` and `initial` keys, so a
paper author string's keys find the candidates with `AuthorRepository.find_by_name_keys`).
It is stored by `author_fetch.store_identity`, as profiles store theirs: initial-only forms
(`H. Piwowar`) are never stored as variants.

Choice values identify a candidate exactly: `openalex:A5048491430` for an OpenAlex author,
`author:<local id>` for a stored author without one.

Messages built here go to the user as is (the tree's error handler sends `user_message`), so
outside text in them is made inert with `bot.plain_text.plain` (the user's own text is
validated first).
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.clock import Clock
from bot.errors import BadInput, NotFoundError, UpstreamDown
from bot.names import NameIndex, name_keys, normalize_text
from bot.plain_text import one_line, plain
from bot.services.author_fetch import match_variants, store_identity
from bot.services.author_query import LOCAL_PREFIX, MAX_NAME_LENGTH, OPENALEX_PREFIX
from bot.sources.arxiv_query import author_term
from bot.sources.errors import NotFound, SourceError
from bot.sources.factory import Sources
from bot.sources.models import AuthorCandidate, AuthorRecord
from bot.sources.openalex_parsing import bare_orcid, short_openalex_id
from db.database import Database
from db.models import Author, Follow
from db.repositories.authors import AuthorRepository
from db.repositories.digests import DigestScheduleRepository
from db.repositories.follows import FollowRepository

log = logging.getLogger(__name__)

Scope = Literal["me", "channel"]
Notify = Literal["weekly", "instant"]

MAX_CHOICES = 25  # Discord's limit for autocomplete choices and select options
CHOICE_TEXT_LIMIT = 100  # Discord's limit for a choice's name and value, a select label
SEARCH_PER_PAGE = 25
# Autocomplete must be answered within Discord's 3 s, retries included: past this budget the
# upstream part is dropped and the local choices are shown alone.
AUTOCOMPLETE_BUDGET_SECONDS = 2.0
# The usual-categories lookup must not hold a follow hostage (arXiv wants 3 s between calls).
CATEGORY_BUDGET_SECONDS = 12.0
CATEGORY_SAMPLE = 50
USUAL_CATEGORY_COUNT = 3
SUGGESTION_COUNT = 5

_OPENALEX_AUTHOR_RE = re.compile(r"^A\d{4,}$")
_LOCAL_ID_RE = re.compile(r"^\d{1,18}$")
_MENTION_RE = re.compile(r"@(everyone|here)\b|<@[!&]?\d+>|<#\d+>|@", re.IGNORECASE)
# Characters that Discord renders as markdown: author names never need them.
_MARKDOWN_RE = re.compile(r"[*_`~|]|\[[^\]]*\]\([^)]*\)|^\s*(?:>|#{1,3}\s|-#\s)")


# --- plain data the cog renders -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorChoice:
    """One autocomplete choice: `name` is what the user sees, `value` what comes back."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """An author the user may follow, with everything needed to store them."""

    value: str
    display_name: str
    openalex_id: str | None = None
    local_id: int | None = None
    orcid: str | None = None
    name_variants: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    works_count: int | None = None
    usual_categories: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """`Joseph Mearman · Bangor University · 9 works`, at most 100 characters."""
        return choice_label(self.display_name, _first(self.affiliations), self.works_count)

    @property
    def detail(self) -> str:
        """What tells homonyms apart, without the name: `Bangor University · 9 works`."""
        parts = [p for p in (_first(self.affiliations), _works(self.works_count)) if p]
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a typed name or a picked value stands for: one `match`, or `candidates` to pick."""

    query: str
    match: Candidate | None
    candidates: tuple[Candidate, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.match is None


@dataclass(frozen=True, slots=True)
class FollowResult:
    """The outcome of a follow. `created` False: it existed (notify may have changed)."""

    author_id: int
    display_name: str
    openalex_id: str | None
    affiliations: tuple[str, ...]
    usual_categories: tuple[str, ...]
    scope: Scope
    notify: Notify
    created: bool
    notify_changed: bool
    categories_checked: bool  # False when arXiv could not be asked (outage): none stored
    # The weekly digest the follow feeds (the user's DM one, or the channel's) is set up.
    has_digest: bool


@dataclass(frozen=True, slots=True)
class FollowedAuthor:
    """One line of `/following`."""

    author_id: int
    display_name: str
    openalex_id: str | None
    affiliations: tuple[str, ...]
    usual_categories: tuple[str, ...]
    notify: Notify
    since: datetime


@dataclass(frozen=True, slots=True)
class UnfollowResult:
    """The author that was unfollowed."""

    author_id: int
    display_name: str
    scope: Scope


# --- pure helpers ---------------------------------------------------------------------------


def _first(values: Sequence[str]) -> str | None:
    return values[0] if values else None


def _works(count: int | None) -> str | None:
    if count is None:
        return None
    return f"{count:,} work" + ("" if count == 1 else "s")


def choice_label(name: str, hint: str | None, works_count: int | None, note: str = "") -> str:
    """`Name · hint · 9 works (note)` within Discord's 100 characters; the name is kept first."""
    extras = [p for p in (hint, _works(works_count)) if p]
    tail = "".join(f" · {p}" for p in extras) + (f" ({note})" if note else "")
    if len(name) + len(tail) <= CHOICE_TEXT_LIMIT:
        return name + tail
    name = one_line(name, 60) if len(name) > 60 else name
    return one_line(name + tail, CHOICE_TEXT_LIMIT)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def check_name(text: str | None) -> str:
    """The stripped name, or `BadInput` saying what is wrong with it and how to fix it."""
    stripped = (text or "").strip()
    if not stripped:
        raise BadInput(
            "The author name is empty. Type a name (e.g. `Heather Piwowar`) and pick the "
            "author from the list."
        )
    if len(stripped) > MAX_NAME_LENGTH:
        raise BadInput(
            f"That name is {len(stripped):,} characters long; an author name has at most "
            f"{MAX_NAME_LENGTH}. Type just the author's name and pick them from the list."
        )
    if _has_control(stripped):
        raise BadInput(
            "The name contains control characters (a line break, a tab or an invisible "
            "character). Type the author's name on one line."
        )
    if _MENTION_RE.search(stripped):
        raise BadInput(
            "Author names cannot contain mentions (`@everyone`, `@here`, `@user`, `#channel`). "
            "Type the author's name only, e.g. `Heather Piwowar`."
        )
    if _MARKDOWN_RE.search(stripped):
        raise BadInput(
            "Author names cannot contain formatting (`*`, `_`, `` ` ``, `~`, `|`, links or "
            "headings). Type the plain name, e.g. `Heather Piwowar`."
        )
    return stripped


def _query_for_suggestions(text: str) -> str | None:
    """What autocomplete may look up: None when the text could never be a name."""
    try:
        return check_name(text)
    except BadInput:
        return "" if not (text or "").strip() else None


def usual_categories(
    papers: Iterable[tuple[Sequence[str], str | None]], variants: Sequence[str]
) -> tuple[str, ...]:
    """The most frequent primary categories of the papers that name one of `variants`.

    `papers` are (author names, primary category), newest first; ties go to the category
    seen first (the more recent). An `au:` query also returns other people: papers whose
    author list has no match for the variants are ignored.
    """
    index: NameIndex[int] = NameIndex()
    for variant in variants:
        index.add(0, variant)
    counts: Counter[str] = Counter()
    for authors, category in papers:
        if category and any(index.match(name) for name in authors):
            counts[category] += 1
    return tuple(category for category, _ in counts.most_common(USUAL_CATEGORY_COUNT))


def _candidate_from_record(record: AuthorRecord) -> Candidate:
    openalex_id = record.openalex_id
    return Candidate(
        value=f"{OPENALEX_PREFIX}{openalex_id}" if openalex_id else record.display_name,
        display_name=record.display_name,
        openalex_id=openalex_id,
        orcid=record.orcid,
        name_variants=record.name_variants or (record.display_name,),
        affiliations=record.affiliations,
        works_count=record.works_count,
    )


def _candidate_from_author(author: Author) -> Candidate:
    return Candidate(
        value=_author_value(author),
        display_name=author.display_name,
        openalex_id=author.openalex_id,
        local_id=author.id,
        orcid=author.orcid,
        name_variants=tuple(author.name_variants or (author.display_name,)),
        affiliations=tuple(author.affiliations or ()),
        works_count=author.works_count,
        usual_categories=tuple(author.usual_categories or ()),
    )


def _author_value(author: Author) -> str:
    if author.openalex_id:
        return f"{OPENALEX_PREFIX}{author.openalex_id}"
    return f"{LOCAL_PREFIX}{author.id}"


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


def _names_match(query: str, names: Iterable[str]) -> bool:
    """True when the typed `query` is one of `names` (same full-name key, or same folded text)."""
    keys = name_keys(query)
    folded = normalize_text(query)
    for name in names:
        other = name_keys(name)
        if keys.full & other.full or (folded and folded == normalize_text(name)):
            return True
    return False


def _repo_scope(scope: Scope) -> Literal["user", "channel"]:
    if scope not in ("me", "channel"):
        raise ValueError(f"scope must be 'me' or 'channel', not {scope!r}")
    return "user" if scope == "me" else "channel"


def _target(scope: Scope, user_id: int, channel_id: int | None) -> int:
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
        sources: Sources,
        clock: Clock,
        *,
        autocomplete_budget_seconds: float = AUTOCOMPLETE_BUDGET_SECONDS,
        category_budget_seconds: float = CATEGORY_BUDGET_SECONDS,
    ) -> None:
        self._database = database
        self._sources = sources
        self._clock = clock
        self.autocomplete_budget_seconds = autocomplete_budget_seconds
        self.category_budget_seconds = category_budget_seconds

    def check_name(self, text: str | None) -> str:
        """The stripped name, or `BadInput` (pure: call it before deferring)."""
        return check_name(text)

    # --- autocomplete --------------------------------------------------------------------

    async def suggest(self, guild_id: int | None, user_id: int, query: str) -> list[AuthorChoice]:
        """Choices for `/follow author name`: this server's authors and the invoker's first.

        Then OpenAlex autocomplete candidates. Never another server's data; an upstream
        failure or slowness leaves the local choices alone (never an error).
        """
        text = _query_for_suggestions(query)
        if text is None:
            return []
        local = await self._local_authors(guild_id, user_id, text)
        choices: list[AuthorChoice] = []
        seen_openalex: set[str] = set()
        for author, note in local:
            if author.openalex_id:
                seen_openalex.add(author.openalex_id)
            hint = _first(author.affiliations or ())
            label = choice_label(author.display_name, hint, author.works_count, note)
            choices.append(AuthorChoice(label, _author_value(author)))
        if len(text) >= 2 and len(choices) < MAX_CHOICES:
            for candidate in await self._autocomplete(text):
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
        text = _query_for_suggestions(query)
        if text is None:
            return []
        folded = normalize_text(text)
        async with self._database.reader() as session:
            repo = FollowRepository(session)
            mine = await repo.list_for_user(user_id)
            channel = await repo.list_for_channel(channel_id) if channel_id is not None else []
        choices: list[AuthorChoice] = []
        seen: set[str] = set()
        for follows, note in ((mine, "you follow"), (channel, "this channel follows")):
            for follow in follows:
                author = follow.author
                value = _author_value(author)
                if value in seen or folded not in normalize_text(author.display_name):
                    continue
                seen.add(value)
                hint = _first(author.affiliations or ())
                label = choice_label(author.display_name, hint, author.works_count, note)
                choices.append(AuthorChoice(label, value))
        return choices[:MAX_CHOICES]

    async def _local_authors(
        self, guild_id: int | None, user_id: int, text: str
    ) -> list[tuple[Author, str]]:
        """Authors followed in this server, then the invoker's own follows, de-duplicated."""
        folded = normalize_text(text)
        async with self._database.reader() as session:
            repo = FollowRepository(session)
            in_guild = (
                await repo.authors_in_guild(guild_id, text, limit=MAX_CHOICES)
                if guild_id is not None
                else []
            )
            mine = await repo.list_for_user(user_id)
        found: list[tuple[Author, str]] = []
        ids: set[int] = set()
        for author in in_guild:
            ids.add(author.id)
            found.append((author, "followed here"))
        for follow in mine:
            author = follow.author
            if author.id in ids or folded not in normalize_text(author.display_name):
                continue
            ids.add(author.id)
            found.append((author, "you follow"))
        return found[:MAX_CHOICES]

    async def _autocomplete(self, text: str) -> list[AuthorCandidate]:
        """OpenAlex autocomplete within the budget; [] on any failure (logged)."""
        try:
            async with asyncio.timeout(self.autocomplete_budget_seconds):
                return await self._sources.openalex.autocomplete_authors(text)
        except TimeoutError:
            log.warning(
                "OpenAlex autocomplete took over %.1fs; local choices only",
                self.autocomplete_budget_seconds,
            )
        except SourceError as error:
            log.warning("OpenAlex autocomplete failed (%s); local choices only", error)
        return []

    # --- resolving -----------------------------------------------------------------------

    async def resolve(
        self, text: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> Resolution:
        """A picked value resolves exactly; a typed name is searched on OpenAlex.

        No result: `NotFoundError` with the closest suggestions. One plausible candidate (the
        only result, or the only one whose name is the typed name): that one. Several: an
        ambiguous `Resolution` with up to 25 candidates, exact name matches first.
        """
        query = check_name(text)
        if query.startswith(LOCAL_PREFIX):
            return Resolution(query, await self._local_candidate(query, guild_id, user_id))
        openalex_id = self._openalex_id_in(query)
        if openalex_id is not None:
            return Resolution(query, await self._openalex_candidate(openalex_id))
        try:
            records = await self._sources.openalex.search_authors(query, per_page=SEARCH_PER_PAGE)
        except SourceError as error:
            log.warning("OpenAlex author search failed for %r: %s", query, error)
            raise UpstreamDown(
                "I cannot search authors right now: OpenAlex is not answering. Try again in a "
                "few minutes."
            ) from error
        candidates = [_candidate_from_record(r) for r in records if r.openalex_id]
        if not candidates:
            raise NotFoundError(await self._not_found_message(query))
        exact = [c for c in candidates if _names_match(query, c.name_variants)]
        if len(candidates) == 1:
            return Resolution(query, candidates[0])
        if len(exact) == 1:
            return Resolution(query, exact[0])
        others = [c for c in candidates if c not in exact]
        return Resolution(query, None, tuple([*exact, *others][:MAX_CHOICES]))

    @staticmethod
    def _openalex_id_in(query: str) -> str | None:
        """`openalex:A1`, `A1`, an OpenAlex URL or an ORCID -> what `get_author` takes."""
        if query.startswith(OPENALEX_PREFIX):
            value = query[len(OPENALEX_PREFIX) :].strip()
            if not _OPENALEX_AUTHOR_RE.match(value):
                raise BadInput(
                    "That is not an OpenAlex author id. Pick the author from the list, or type "
                    "their name."
                )
            return value
        short = short_openalex_id(query) if " " not in query else None
        if short and short.startswith("A") and _OPENALEX_AUTHOR_RE.match(short):
            return short
        orcid = bare_orcid(query) if " " not in query else None
        return orcid

    async def _openalex_candidate(self, author_id: str) -> Candidate:
        try:
            record = await self._sources.openalex.get_author(author_id)
        except NotFound as error:
            raise NotFoundError(
                f"OpenAlex has no author `{plain(author_id)}`. Type the name and pick the "
                "author from the list."
            ) from error
        except SourceError as error:
            log.warning("OpenAlex get_author(%s) failed: %s", author_id, error)
            raise UpstreamDown(
                "I cannot look that author up right now: OpenAlex is not answering. Try again "
                "in a few minutes."
            ) from error
        return _candidate_from_record(record)

    async def _local_candidate(
        self, value: str, guild_id: int | None, user_id: int | None
    ) -> Candidate:
        """`author:<id>`, only when the author is followed in this server or by the invoker."""
        raw = value[len(LOCAL_PREFIX) :].strip()
        unknown = NotFoundError(
            "I do not know that author here. Type the name and pick the author from the list."
        )
        if not _LOCAL_ID_RE.match(raw):
            raise unknown
        author_id = int(raw)
        async with self._database.reader() as session:
            repo = FollowRepository(session)
            visible = list(await repo.list_for_user(user_id)) if user_id is not None else []
            if guild_id is not None:
                visible += await repo.list_for_guild(guild_id)
            authors = [f.author for f in visible if f.author_id == author_id]
        if not authors:
            raise unknown  # never reveal an author known only to another server
        return _candidate_from_author(authors[0])

    async def _not_found_message(self, query: str) -> str:
        """ "No author found" with up to five close names from OpenAlex autocomplete."""
        found: dict[str, AuthorCandidate] = {}
        # Autocomplete matches prefixes: the surname, then the surname without its last
        # letter, catch a typo at the end (`Piwowarz` -> `piwowar`).
        surname = name_keys(query).surname
        probes = list(dict.fromkeys(p for p in (query, surname, surname[:-1]) if len(p) >= 3))
        for probe in probes:
            for candidate in await self._autocomplete(probe):
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
            return head + " Check the spelling, or type part of the name and pick from the list."
        names = ", ".join(plain(c.name) + (f" ({plain(c.hint)})" if c.hint else "") for c in ranked)
        return f"{head} Did you mean: {names}? Pick one from the list as you type."

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
        """Store the author (identity, variants, keys, categories) and the follow.

        The follow's `created_at` is `now`: papers older than that are never announced to it.
        Following again changes nothing but `notify` (when given) and says so. `notify` None
        means weekly for a new follow and "keep" for an existing one.
        """
        repo_scope = _repo_scope(scope)
        target = _target(scope, user_id, channel_id)
        now = now or self._clock.now()
        variants = match_variants(candidate.display_name, candidate.name_variants)
        categories = await self._categories_for(candidate, variants or (candidate.display_name,))
        async with self._database.transaction() as session:
            authors = AuthorRepository(session)
            if candidate.openalex_id is None and candidate.local_id is not None:
                # Nothing stable to upsert on: follow the stored row as it is.
                stored = await authors.get(candidate.local_id)
                if stored is None:
                    raise NotFoundError("That author is gone. Type the name and pick again.")
                author = stored
            else:
                author = await store_identity(
                    authors,
                    display_name=candidate.display_name,
                    now=now,
                    openalex_id=candidate.openalex_id,
                    orcid=candidate.orcid,
                    name_variants=candidate.name_variants,
                    affiliations=candidate.affiliations,
                    usual_categories=categories,
                )
            follows = FollowRepository(session)
            existing = await self._existing_notify(follows, author.id, scope, target)
            wanted: Notify = notify or existing or "weekly"
            _, created = await follows.add(
                author_id=author.id,
                scope=repo_scope,
                user_id=user_id,
                now=now,
                channel_id=channel_id if scope == "channel" else None,
                guild_id=guild_id,
                notify=wanted,
            )
            digest = await DigestScheduleRepository(session).get_for_target(
                "dm" if scope == "me" else "channel", target
            )
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
                categories_checked=categories is not None,
                has_digest=digest is not None,
            )
        log.info(
            "follow %s: author %s (%s) scope=%s target=%s notify=%s",
            "added" if created else "kept",
            author.id,
            author.openalex_id,
            repo_scope,
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
            candidate = _candidate_from_author(author)
        return await self.follow(
            candidate, scope="me", user_id=user_id, guild_id=guild_id, channel_id=None, now=now
        )

    @staticmethod
    async def _existing_notify(
        follows: FollowRepository, author_id: int, scope: Scope, target: int
    ) -> Notify | None:
        current = (
            await follows.list_for_user(target)
            if scope == "me"
            else await follows.list_for_channel(target)
        )
        for follow in current:
            if follow.author_id == author_id:
                return "instant" if follow.notify == "instant" else "weekly"
        return None

    async def _categories_for(
        self, candidate: Candidate, variants: Sequence[str]
    ) -> tuple[str, ...] | None:
        """Usual arXiv categories: stored ones when known, else a small arXiv query.

        None when arXiv could not be asked (the follow goes on; nothing is stored for them).
        """
        if candidate.usual_categories or (candidate.local_id and not candidate.openalex_id):
            return candidate.usual_categories
        if candidate.openalex_id:
            async with self._database.reader() as session:
                stored = await AuthorRepository(session).get_by_openalex_id(candidate.openalex_id)
            if stored is not None and stored.usual_categories:
                return tuple(stored.usual_categories)
        term = author_term(candidate.display_name)
        if not term:
            return ()
        try:
            async with asyncio.timeout(self.category_budget_seconds):
                result = await self._sources.arxiv_api.search(
                    term, max_results=CATEGORY_SAMPLE, sort_by="submittedDate"
                )
        except (SourceError, TimeoutError) as error:
            log.warning(
                "arXiv did not answer for %s (%s): following without usual categories",
                candidate.openalex_id or candidate.display_name,
                error or "timeout",
            )
            return None
        return usual_categories(
            ((p.author_names, p.primary_category) for p in result.papers), variants
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
        repo_scope = _repo_scope(scope)
        target = _target(scope, user_id, channel_id)
        where = "you follow" if scope == "me" else "this channel follows"
        async with self._database.transaction() as session:
            follows = FollowRepository(session)
            current = (
                await follows.list_for_user(target)
                if scope == "me"
                else await follows.list_for_channel(target)
            )
            matches = [f for f in current if self._is_named(f.author, query)]
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
            await follows.remove(author_id=author.id, scope=repo_scope, target_id=target)
        log.info("unfollow: author %s scope=%s target=%s", author.id, repo_scope, target)
        return UnfollowResult(author.id, author.display_name, scope)

    @staticmethod
    def _is_named(author: Author, query: str) -> bool:
        if query.startswith(LOCAL_PREFIX):
            return query[len(LOCAL_PREFIX) :].strip() == str(author.id)
        if query.startswith(OPENALEX_PREFIX):
            return query[len(OPENALEX_PREFIX) :].strip() == author.openalex_id
        return _names_match(query, [author.display_name, *(author.name_variants or ())])

    async def list_follows(
        self, scope: Scope, user_id: int, channel_id: int | None
    ) -> list[FollowedAuthor]:
        """The invoker's own follows (scope me) or this channel's (scope channel), by name."""
        target = _target(scope, user_id, channel_id)
        async with self._database.reader() as session:
            repo = FollowRepository(session)
            follows = (
                await repo.list_for_user(target)
                if scope == "me"
                else await repo.list_for_channel(target)
            )
        return [_followed(f) for f in follows]
