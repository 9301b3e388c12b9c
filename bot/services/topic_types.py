"""What the topic commands answer, as plain data (no database): `bot/render` imports these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.follow_types import Notify, Scope

WARN_ABOVE = 200  # matches in the preview week: saved only after a warning


@dataclass(frozen=True, slots=True)
class TopicPreview:
    """What a query would have matched among the stored papers of the last `days` days."""

    query: str  # as typed
    canonical: str
    categories: tuple[str, ...]
    days: int
    count: int
    titles: tuple[str, ...]  # the first `PREVIEW_TITLES`, newest first
    matched: tuple[tuple[str, tuple[str, ...]], ...]  # (title, terms) of every match

    @property
    def needs_warning(self) -> bool:
        return self.count > WARN_ABOVE


@dataclass(frozen=True, slots=True)
class TopicFollowResult:
    topic_id: int
    query: str
    scope: Scope
    notify: Notify
    created: bool
    has_digest: bool


@dataclass(frozen=True, slots=True)
class FollowedTopic:
    """One topic line of `/following`."""

    topic_id: int
    query: str
    notify: Notify
    since: datetime
