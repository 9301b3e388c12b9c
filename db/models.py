"""The database schema of PaperScout, as typed SQLAlchemy 2 models.

Conventions (the Alembic migrations must match these exactly; `check_no_drift` proves it):

- Every datetime is `TZDateTime` (aware UTC in and out); every JSON value is `JSONType` (JSONB on
  PostgreSQL). JSON columns hold lists unless said otherwise and are never NULL.
- Discord ids (guilds, channels, users) are `BigInteger`: snowflakes exceed 32 bits.
- Closed sets of values are VARCHAR + CHECK constraints, not PostgreSQL ENUMs (portable, no
  type to migrate when a value is added).
- Python-side defaults fill values on INSERT (also for Core inserts); repositories still pass
  explicit times so tests can travel in time.
- Constraint names come from `NAMING_CONVENTION`, so batch migrations on SQLite can drop them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import JSONType, TZDateTime, utcnow

log = logging.getLogger(__name__)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Closed value sets, shared by the CHECK constraints and the code that writes them.
FOLLOW_SCOPES = ("user", "channel")
NOTIFY_MODES = ("weekly", "instant")
DIGEST_TARGET_KINDS = ("channel", "dm")
# `compact`: lines grouped by followed author, a paper's card one click away; `full`: a card each.
DIGEST_STYLES = ("compact", "full")
OUTBOX_KINDS = ("digest", "alert", "notice", "citation")
OUTBOX_DESTINATION_KINDS = ("channel", "user")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dead")
IDENTIFIER_SCHEMES = ("arxiv", "doi", "pmid", "pmcid", "openalex")
SUGGESTION_VOTES = ("up", "down")


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint `column IN (...)` over a closed set of strings."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base; its metadata is what Alembic compares against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: TZDateTime()}


class Author(Base):
    """A person we can follow: stable external ids, name variants, cached metrics."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openalex_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    orcid: Mapped[str | None] = mapped_column(String(32), index=True)
    s2_id: Mapped[str | None] = mapped_column(String(32), index=True)
    arxiv_author_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(300))
    name_variants: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Primary arXiv categories this author usually publishes in: the homonym guard.
    usual_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    affiliations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The subfield of their main OpenAlex topic (`Ecology`): the primary field of an author
    # with few arXiv papers.
    topic_field: Mapped[str | None] = mapped_column(String(200))

    h_index: Mapped[int | None] = mapped_column(Integer)
    citations: Mapped[int | None] = mapped_column(Integer)
    works_count: Mapped[int | None] = mapped_column(Integer)
    # [{"year": 2024, "works_count": 3, "cited_by_count": 120}, ...]
    counts_by_year: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    metrics_source: Mapped[str | None] = mapped_column(String(32))
    metrics_as_of: Mapped[datetime | None]
    # When their arXiv papers were last fetched completely; NULL: never (an outage), so the
    # next profile view, follow or poll fetches them (`bot.services.paper_history`).
    papers_fetched_at: Mapped[datetime | None]
    # How many fetched papers the identity source confirmed then; NULL: it did not answer.
    # 0: the papers under their name are someone else's (the homonym guard takes none).
    arxiv_confirmed: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthorNameKey(Base):
    """A normalised name key of an author: matching an arXiv name is an index lookup."""

    __tablename__ = "author_name_keys"
    __table_args__ = (UniqueConstraint("author_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300), index=True)


class Paper(Base):
    """A work: one paper however many places it appears (an arXiv preprint, a bioRxiv preprint,
    its journal version), found again by any of its identifiers (`PaperIdentifier`).

    `arxiv_id` (without version) and `doi` are the ones shown: the arXiv id when there is one,
    the DOI of the published version when known. A new arXiv version updates the paper.
    """

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    # arXiv's primary category; None for a work that is not on arXiv.
    primary_category: Mapped[str | None] = mapped_column(String(32))
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # When the work first appeared anywhere (its arXiv v1, else its earliest publication).
    published: Mapped[datetime]
    updated: Mapped[datetime]
    doi: Mapped[str | None] = mapped_column(String(255))
    journal_ref: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    openalex_id: Mapped[str | None] = mapped_column(String(32), index=True)
    pmid: Mapped[str | None] = mapped_column(String(16))
    # Where it was published (a journal, proceedings, a preprint server) and its page there.
    venue: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    # When a venue was first known for a work already stored without one: "now published".
    venue_seen_at: Mapped[datetime | None] = mapped_column(index=True)
    citations: Mapped[int | None] = mapped_column(Integer)
    citations_as_of: Mapped[datetime | None]
    # When the citations job last asked OpenAlex for the id of this paper without one (an
    # arXiv paper found by name): one OpenAlex does not know is asked again a month later.
    openalex_checked_at: Mapped[datetime | None]
    # Which feed first delivered it ('arxiv_api', 'arxiv_rss', 'openalex', ...): for debugging.
    source: Mapped[str | None] = mapped_column(String(32))
    # When the bot first stored it: digests cut off on this, never on `published`.
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    authors: Mapped[list[PaperAuthor]] = relationship(
        order_by="PaperAuthor.position",
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class PaperIdentifier(Base):
    """One identifier of a stored work (`arxiv`, `doi`, `pmid`, `pmcid`, `openalex`): a new
    record with any identifier already stored is merged into that work."""

    __tablename__ = "paper_identifiers"
    __table_args__ = (
        UniqueConstraint("scheme", "value"),
        CheckConstraint(_in("scheme", IDENTIFIER_SCHEMES), name="scheme"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))


class PaperAuthor(Base):
    """One author line of a paper, in arXiv's order, as printed (not necessarily followed)."""

    __tablename__ = "paper_authors"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    affiliations: Mapped[list[str]] = mapped_column(JSONType, default=list)


class AuthorPaper(Base):
    """A followed author matched a paper ('name', 'openalex', ...): the link is made once."""

    __tablename__ = "author_papers"
    # Digests window on `linked_at` per followed author (`DigestScheduleRepository.candidates`).
    __table_args__ = (Index(None, "author_id", "linked_at"),)

    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    matched_by: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


def _destination_rules() -> tuple[CheckConstraint | Index, ...]:
    """The rules every kind of follow keeps (`FollowDestination`), named per table."""
    return (
        CheckConstraint(_in("scope", FOLLOW_SCOPES), name="scope"),
        CheckConstraint(_in("notify", NOTIFY_MODES), name="notify"),
        # The target is the user for scope user and the channel for scope channel.
        CheckConstraint(
            "(scope = 'user' AND target_id = user_id) OR "
            "(scope = 'channel' AND channel_id IS NOT NULL AND target_id = channel_id)",
            name="target",
        ),
        Index(None, "scope", "target_id"),
    )


class FollowDestination:
    """Where a follow (of an author, an author's citations, a topic) delivers: a member for
    themselves (scope user) or a channel's digest (scope channel, `user_id` set it up)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The member (scope user), or who set up the channel's follow: None once they deleted
    # their data (`/privacy delete`; the follow stays the channel's).
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    target_id: Mapped[int] = mapped_column(BigInteger)
    notify: Mapped[str] = mapped_column(String(16), default="weekly")
    # Priming: what was published or found before this is never announced to it.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(FollowDestination, Base):
    """Someone follows an author's new papers."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("author_id", "scope", "target_id"), *_destination_rules())

    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))

    author: Mapped[Author] = relationship(lazy="joined", innerjoin=True)


class CitationFollow(FollowDestination, Base):
    """Someone follows the citations of an author's tracked papers: who cites them (a new work
    citing one is alerted or put in the digest)."""

    __tablename__ = "citation_follows"
    __table_args__ = (UniqueConstraint("author_id", "scope", "target_id"), *_destination_rules())

    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), index=True)
    # Self-citations (the author's own new work citing their older one) are left out unless set.
    include_self: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    author: Mapped[Author] = relationship(lazy="joined", innerjoin=True)


class CitationLink(Base):
    """A stored work cites a paper of a watched author: found once, by the citations job.

    One row per (citing work, cited paper, watched author on the cited paper), so "who cited
    this author's work" and "is it a self-citation" (the citing work names that author) are
    plain reads. `found_at` is the store's fenced stamp: digests window on it.
    """

    __tablename__ = "citation_links"
    __table_args__ = (Index(None, "author_id", "found_at"),)

    citing_paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    cited_paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True
    )
    self_citation: Mapped[bool] = mapped_column(Boolean, default=False)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopicFollow(FollowDestination, Base):
    """Someone follows a topic query (`bot.topics`)."""

    __tablename__ = "topic_follows"
    __table_args__ = (
        UniqueConstraint("scope", "target_id", "query_key"),
        *_destination_rules(),
    )

    # As typed (shown), and its canonical form (`TopicQuery.canonical`: one row per query).
    query: Mapped[str] = mapped_column(String(300))
    query_key: Mapped[str] = mapped_column(String(1000))
    # The arXiv categories and archives it names: their listing feeds are read for it.
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)


class TopicPaper(Base):
    """A paper matched a topic follow (the terms that matched: its *why*); made once."""

    __tablename__ = "topic_papers"
    __table_args__ = (Index(None, "topic_follow_id", "linked_at"),)

    topic_follow_id: Mapped[int] = mapped_column(
        ForeignKey("topic_follows.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    matched: Mapped[list[str]] = mapped_column(JSONType, default=list)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestSchedule(Base):
    """When and where a weekly digest goes: a channel, or a user's DMs."""

    __tablename__ = "digest_schedules"
    __table_args__ = (
        UniqueConstraint("target_kind", "target_id"),
        CheckConstraint(_in("target_kind", DIGEST_TARGET_KINDS), name="target_kind"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(_in("style", DIGEST_STYLES), name="style"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as datetime.weekday()
    local_time: Mapped[str] = mapped_column(String(5))  # 'HH:MM' in `timezone`
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name
    next_digest_at: Mapped[datetime] = mapped_column(index=True)
    # Papers first seen after this (and up to the next cut-off) go into the next digest.
    last_cutoff_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None]
    post_when_empty: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    style: Mapped[str] = mapped_column(String(16), default="compact", server_default="compact")
    # Up to 3 unfollowed papers of the week close to the followed authors' (docs/product.md).
    suggestions: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    dm_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEntry(Base):
    """One delivery to Discord (digest, alert or notice), planned once and sent once."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(_in("destination_kind", OUTBOX_DESTINATION_KINDS), name="destination_kind"),
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index(None, "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # 'digest:<schedule_id>:<period>', 'alert:<dest>:<paper_id>', ...: the idempotency key.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    destination_kind: Mapped[str] = mapped_column(String(16))
    destination_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("digest_schedules.id", ondelete="SET NULL"), index=True
    )
    # The rendered snapshot: a list of message parts, sent in order.
    payload: Mapped[list[Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    # Discord message ids of the parts already sent, as strings (snowflakes exceed 2**53).
    message_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class DigestItem(Base):
    """A paper that went into a destination's digest: never put in a second one."""

    __tablename__ = "digest_items"

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("digest_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestCitationItem(Base):
    """A citing work that went into a destination's "New citations": never in a second one."""

    __tablename__ = "digest_citation_items"

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("digest_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    citing_paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListingItem(Base):
    """A new or cross-listed announcement of an arXiv listing the poll read, kept two weeks:
    what digest suggestions are drawn from (most are never stored as papers)."""

    __tablename__ = "listing_items"

    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    authors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    announced: Mapped[datetime] = mapped_column(index=True)


class SuggestionVote(Base):
    """A 👍 or 👎 on a suggested paper, per digest destination: a 👎 paper is never suggested
    there again."""

    __tablename__ = "suggestion_votes"
    __table_args__ = (CheckConstraint(_in("vote", SUGGESTION_VOTES), name="vote"),)

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("digest_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vote: Mapped[str] = mapped_column(String(8))
    voted_by: Mapped[int] = mapped_column(BigInteger)
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuildDeparture(Base):
    """The bot was removed from a server: its channel follows, digest schedules and queued
    messages are deleted `SERVER_DATA_GRACE_DAYS` later, unless it is added back first."""

    __tablename__ = "guild_departures"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    left_at: Mapped[datetime]


class SourceHealth(Base):
    """Health of one upstream source (arXiv API, RSS, OpenAlex, ...), shown in /status."""

    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_try_at: Mapped[datetime | None]
    # An outage notice went out and no recovery notice yet.
    outage_notified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Which outage was announced (the key in its notices' dedupe keys: the last success before
    # it, ISO, or 'never'); set with `outage_notified`, cleared with it.
    outage_key: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedState(Base):
    """Poll cursor of one source/query: since when, conditional GET validators, next poll."""

    __tablename__ = "feed_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_success_at: Mapped[datetime | None]
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    next_poll_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderLease(Base):
    """The SQLite leader lease: one row per role, taken when expired or already ours."""

    __tablename__ = "leader_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
