"""Topic follows: a query of words, phrases and arXiv categories followed for a member or a
channel, and the papers each matched (with the terms that matched).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Downgrade: both tables go (the alerts already queued for topics stay and are sent).

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json_type() -> sa.types.TypeEngine:
    """JSON, stored as JSONB on PostgreSQL (as `db.types.JSONType`)."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "topic_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("notify", sa.String(length=16), nullable=False),
        sa.Column("query", sa.String(length=300), nullable=False),
        sa.Column("query_key", sa.String(length=1000), nullable=False),
        sa.Column("categories", json_type(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scope IN ('user', 'channel')", name=op.f("ck_topic_follows_scope")),
        sa.CheckConstraint("notify IN ('weekly', 'instant')", name=op.f("ck_topic_follows_notify")),
        sa.CheckConstraint(
            "(scope = 'user' AND target_id = user_id) OR "
            "(scope = 'channel' AND channel_id IS NOT NULL AND target_id = channel_id)",
            name=op.f("ck_topic_follows_target"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_follows")),
        sa.UniqueConstraint(
            "scope",
            "target_id",
            "query_key",
            name=op.f("uq_topic_follows_scope_target_id_query_key"),
        ),
    )
    op.create_index(op.f("ix_topic_follows_guild_id"), "topic_follows", ["guild_id"])
    op.create_index(
        op.f("ix_topic_follows_scope_target_id"), "topic_follows", ["scope", "target_id"]
    )
    op.create_table(
        "topic_papers",
        sa.Column("topic_follow_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("matched", json_type(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_follow_id"],
            ["topic_follows.id"],
            name=op.f("fk_topic_papers_topic_follow_id_topic_follows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_topic_papers_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_follow_id", "paper_id", name=op.f("pk_topic_papers")),
    )
    op.create_index(op.f("ix_topic_papers_paper_id"), "topic_papers", ["paper_id"])
    op.create_index(
        op.f("ix_topic_papers_topic_follow_id_linked_at"),
        "topic_papers",
        ["topic_follow_id", "linked_at"],
    )


def downgrade() -> None:
    op.drop_table("topic_papers")
    op.drop_table("topic_follows")
