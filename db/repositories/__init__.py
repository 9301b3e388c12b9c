"""Repositories: one per aggregate, each wrapping an `AsyncSession` it does not own.

They never commit: the caller's unit of work (`Database.transaction()`) does. Every time that
matters is passed in (`now=`), aware UTC, so tests can travel in time.
"""

from __future__ import annotations

from db.repositories.authors import AuthorRepository
from db.repositories.digests import DigestCandidate, DigestScheduleRepository
from db.repositories.feeds import FeedStateRepository
from db.repositories.follows import FollowRepository
from db.repositories.health import SourceHealthRepository
from db.repositories.leader import (
    Leader,
    PgAdvisoryLeader,
    SqliteLeaseLeader,
    default_holder_id,
    make_leader,
)
from db.repositories.outbox import OutboxRepository, OutboxRow
from db.repositories.papers import (
    PaperAuthorRecord,
    PaperRecord,
    PaperRepository,
    UpsertResult,
)

__all__ = [
    "AuthorRepository",
    "DigestCandidate",
    "DigestScheduleRepository",
    "FeedStateRepository",
    "FollowRepository",
    "Leader",
    "OutboxRepository",
    "OutboxRow",
    "PaperAuthorRecord",
    "PaperRecord",
    "PaperRepository",
    "PgAdvisoryLeader",
    "SourceHealthRepository",
    "SqliteLeaseLeader",
    "UpsertResult",
    "default_holder_id",
    "make_leader",
]
