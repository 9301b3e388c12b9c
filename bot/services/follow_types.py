"""What `/follow`, `/unfollow` and `/following` answer, as plain data (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Scope = Literal["me", "channel"]
Notify = Literal["weekly", "instant"]


@dataclass(frozen=True, slots=True)
class AuthorChoice:
    """One autocomplete choice: `name` is what the user sees, `value` what comes back."""

    name: str
    value: str


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
    # False when a source could not be asked (an outage): their earlier papers come with the
    # next poll. True with 0 papers tracked: nothing found yet.
    papers_checked: bool
    papers_tracked: int
    # The weekly digest the follow feeds (the user's DM one, or the channel's) is set up.
    has_digest: bool
    sources_down: tuple[str, ...] = ()  # those not answering this time, as users name them


@dataclass(frozen=True, slots=True)
class FollowedAuthor:
    """One line of `/following`: an author's papers, or (`citations` set) who cites them."""

    author_id: int
    display_name: str
    openalex_id: str | None
    affiliations: tuple[str, ...]
    usual_categories: tuple[str, ...]
    notify: Notify
    since: datetime
    citations: CitationWatching | None = None


@dataclass(frozen=True, slots=True)
class CitationWatching:
    """What a citation follow watches: the `watched` most cited of `tracked` papers."""

    watched: int
    tracked: int
    include_self: bool


@dataclass(frozen=True, slots=True)
class CitationFollowResult:
    """The outcome of `/follow citations` (`created` False: it existed; options updated)."""

    author_id: int
    display_name: str
    scope: Scope
    notify: Notify
    include_self: bool
    created: bool
    watching: CitationWatching
    has_digest: bool


@dataclass(frozen=True, slots=True)
class UnfollowResult:
    """The author that was unfollowed."""

    author_id: int
    display_name: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class MuteResult:
    """A member's follow moved from an alert each to their weekly digest (`changed` False:
    it was weekly already); `has_digest`: whether they have a weekly DM digest."""

    author_id: int
    display_name: str
    changed: bool
    has_digest: bool
