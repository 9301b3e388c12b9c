"""Digest suggestions: the week's listing announcements, votes on suggested papers, and a
per-destination switch (on by default).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json_type() -> sa.types.TypeEngine:
    """JSON, stored as JSONB on PostgreSQL (as `db.types.JSONType`)."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("digest_schedules") as batch:
        batch.add_column(
            sa.Column("suggestions", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "listing_items",
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("categories", json_type(), nullable=False),
        sa.Column("authors", json_type(), nullable=False),
        sa.Column("announced", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arxiv_id", name=op.f("pk_listing_items")),
    )
    op.create_index(op.f("ix_listing_items_announced"), "listing_items", ["announced"])
    op.create_table(
        "suggestion_votes",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("vote", sa.String(length=8), nullable=False),
        sa.Column("voted_by", sa.BigInteger(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("vote IN ('up', 'down')", name=op.f("ck_suggestion_votes_vote")),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["digest_schedules.id"],
            name=op.f("fk_suggestion_votes_schedule_id_digest_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "arxiv_id", name=op.f("pk_suggestion_votes")),
    )


def downgrade() -> None:
    op.drop_table("suggestion_votes")
    op.drop_table("listing_items")
    with op.batch_alter_table("digest_schedules") as batch:
        batch.drop_column("suggestions")
