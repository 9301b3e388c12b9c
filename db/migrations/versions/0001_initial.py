"""Initial schema: authors, papers, follows, digests, outbox, source health, feeds, leader.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Self-contained on purpose (no import of db.models or db.types): later model changes must not
rewrite history. TZDateTime is DateTime(timezone=True) underneath, JSONType is JSON/JSONB.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def tz() -> sa.DateTime:
    """db.types.TZDateTime's storage type: timestamptz on PostgreSQL, DATETIME on SQLite."""
    return sa.DateTime(timezone=True)


def json_type() -> sa.types.TypeEngine:
    """db.types.JSONType's storage type: JSONB on PostgreSQL, JSON elsewhere."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create every table of the initial schema."""
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openalex_id", sa.String(length=32), nullable=True),
        sa.Column("orcid", sa.String(length=32), nullable=True),
        sa.Column("s2_id", sa.String(length=32), nullable=True),
        sa.Column("arxiv_author_id", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=300), nullable=False),
        sa.Column("name_variants", json_type(), nullable=False),
        sa.Column("usual_categories", json_type(), nullable=False),
        sa.Column("affiliations", json_type(), nullable=False),
        sa.Column("h_index", sa.Integer(), nullable=True),
        sa.Column("citations", sa.Integer(), nullable=True),
        sa.Column("works_count", sa.Integer(), nullable=True),
        sa.Column("counts_by_year", json_type(), nullable=False),
        sa.Column("metrics_source", sa.String(length=32), nullable=True),
        sa.Column("metrics_as_of", tz(), nullable=True),
        sa.Column("created_at", tz(), nullable=False),
        sa.Column("updated_at", tz(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("openalex_id", name=op.f("uq_authors_openalex_id")),
    )
    op.create_index(op.f("ix_authors_orcid"), "authors", ["orcid"])
    op.create_index(op.f("ix_authors_s2_id"), "authors", ["s2_id"])

    op.create_table(
        "author_name_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_author_name_keys_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_name_keys")),
        sa.UniqueConstraint("author_id", "key", name=op.f("uq_author_name_keys_author_id_key")),
    )
    op.create_index(op.f("ix_author_name_keys_key"), "author_name_keys", ["key"])

    op.create_table(
        "papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("primary_category", sa.String(length=32), nullable=False),
        sa.Column("categories", json_type(), nullable=False),
        sa.Column("published", tz(), nullable=False),
        sa.Column("updated", tz(), nullable=False),
        sa.Column("doi", sa.String(length=255), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("openalex_id", sa.String(length=32), nullable=True),
        sa.Column("citations", sa.Integer(), nullable=True),
        sa.Column("citations_as_of", tz(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("first_seen_at", tz(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_papers")),
        sa.UniqueConstraint("arxiv_id", name=op.f("uq_papers_arxiv_id")),
    )
    op.create_index(op.f("ix_papers_first_seen_at"), "papers", ["first_seen_at"])
    op.create_index(op.f("ix_papers_openalex_id"), "papers", ["openalex_id"])

    op.create_table(
        "paper_authors",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("affiliations", json_type(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_paper_authors_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_id", "position", name=op.f("pk_paper_authors")),
    )

    op.create_table(
        "author_papers",
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("matched_by", sa.String(length=16), nullable=False),
        sa.Column("linked_at", tz(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_author_papers_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_author_papers_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("author_id", "paper_id", name=op.f("pk_author_papers")),
    )
    op.create_index(op.f("ix_author_papers_paper_id"), "author_papers", ["paper_id"])

    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("notify", sa.String(length=16), nullable=False),
        sa.Column("created_at", tz(), nullable=False),
        sa.CheckConstraint("scope IN ('user', 'channel')", name=op.f("ck_follows_scope")),
        sa.CheckConstraint("notify IN ('weekly', 'instant')", name=op.f("ck_follows_notify")),
        sa.CheckConstraint(
            "(scope = 'user' AND target_id = user_id) OR "
            "(scope = 'channel' AND channel_id IS NOT NULL AND target_id = channel_id)",
            name=op.f("ck_follows_target"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_follows_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint(
            "author_id", "scope", "target_id", name=op.f("uq_follows_author_id_scope_target_id")
        ),
    )
    op.create_index(op.f("ix_follows_guild_id"), "follows", ["guild_id"])
    op.create_index(op.f("ix_follows_scope_target_id"), "follows", ["scope", "target_id"])

    op.create_table(
        "digest_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("next_digest_at", tz(), nullable=False),
        sa.Column("last_cutoff_at", tz(), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("paused_at", tz(), nullable=True),
        sa.Column("post_when_empty", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("dm_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tz(), nullable=False),
        sa.Column("updated_at", tz(), nullable=False),
        sa.CheckConstraint(
            "target_kind IN ('channel', 'dm')", name=op.f("ck_digest_schedules_target_kind")
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_digest_schedules_weekday")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_schedules")),
        sa.UniqueConstraint(
            "target_kind", "target_id", name=op.f("uq_digest_schedules_target_kind_target_id")
        ),
    )
    op.create_index(op.f("ix_digest_schedules_guild_id"), "digest_schedules", ["guild_id"])
    op.create_index(
        op.f("ix_digest_schedules_next_digest_at"), "digest_schedules", ["next_digest_at"]
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("destination_kind", sa.String(length=16), nullable=False),
        sa.Column("destination_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("lease_until", tz(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("not_before", tz(), nullable=False),
        sa.Column("message_ids", json_type(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", tz(), nullable=False),
        sa.Column("sent_at", tz(), nullable=True),
        sa.CheckConstraint("kind IN ('digest', 'alert', 'notice')", name=op.f("ck_outbox_kind")),
        sa.CheckConstraint(
            "destination_kind IN ('channel', 'user')", name=op.f("ck_outbox_destination_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'dead')",
            name=op.f("ck_outbox_status"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["digest_schedules.id"],
            name=op.f("fk_outbox_schedule_id_digest_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    op.create_index(op.f("ix_outbox_schedule_id"), "outbox", ["schedule_id"])
    op.create_index(op.f("ix_outbox_status_not_before"), "outbox", ["status", "not_before"])

    op.create_table(
        "digest_items",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("added_at", tz(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["digest_schedules.id"],
            name=op.f("fk_digest_items_schedule_id_digest_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_digest_items_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_digest_items_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "paper_id", name=op.f("pk_digest_items")),
    )
    op.create_index(op.f("ix_digest_items_outbox_id"), "digest_items", ["outbox_id"])
    op.create_index(op.f("ix_digest_items_paper_id"), "digest_items", ["paper_id"])

    op.create_table(
        "source_health",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", tz(), nullable=True),
        sa.Column("last_failure_at", tz(), nullable=True),
        sa.Column(
            "consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_try_at", tz(), nullable=True),
        sa.Column("outage_notified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", tz(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_health")),
    )

    op.create_table(
        "feed_state",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("last_success_at", tz(), nullable=True),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("next_poll_at", tz(), nullable=True),
        sa.Column("updated_at", tz(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_feed_state")),
    )

    op.create_table(
        "leader_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", tz(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leader_lease")),
    )


def downgrade() -> None:
    """Drop every table, dependants first (indexes go with their tables)."""
    for table in (
        "leader_lease",
        "feed_state",
        "source_health",
        "digest_items",
        "outbox",
        "digest_schedules",
        "follows",
        "author_papers",
        "paper_authors",
        "papers",
        "author_name_keys",
        "authors",
    ):
        op.drop_table(table)
