"""Citation alerts: who follows an author's citations, which stored works cite which watched
papers, and which citing works a digest already listed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

`citation_follows` has the shape of `follows` (scope, target, notify, priming `created_at`) and
a per-follow `include_self`. `citation_links` holds one row per (citing work, cited paper,
watched author), stamped `found_at` when the citations job stored it. `digest_citation_items`
keeps a citing work in one "New citations" section per destination. The outbox gains the kind
`citation`; papers gain `openalex_checked_at` (when the job last asked OpenAlex for the id of
a paper without one).

Downgrade: the three tables go, and with them the queued citation alerts.

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('digest', 'alert', 'notice')"
KINDS_AFTER = "kind IN ('digest', 'alert', 'notice', 'citation')"


def upgrade() -> None:
    op.create_table(
        "citation_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("notify", sa.String(length=16), nullable=False),
        sa.Column("include_self", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scope IN ('user', 'channel')", name=op.f("ck_citation_follows_scope")),
        sa.CheckConstraint(
            "notify IN ('weekly', 'instant')", name=op.f("ck_citation_follows_notify")
        ),
        sa.CheckConstraint(
            "(scope = 'user' AND target_id = user_id) OR "
            "(scope = 'channel' AND channel_id IS NOT NULL AND target_id = channel_id)",
            name=op.f("ck_citation_follows_target"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_citation_follows_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_follows")),
        sa.UniqueConstraint(
            "author_id", "scope", "target_id", name=op.f("uq_citation_follows_author_id_scope_target_id")
        ),
    )
    op.create_index(op.f("ix_citation_follows_author_id"), "citation_follows", ["author_id"])
    op.create_index(op.f("ix_citation_follows_guild_id"), "citation_follows", ["guild_id"])
    op.create_index(
        op.f("ix_citation_follows_scope_target_id"), "citation_follows", ["scope", "target_id"]
    )
    op.create_table(
        "citation_links",
        sa.Column("citing_paper_id", sa.Integer(), nullable=False),
        sa.Column("cited_paper_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("self_citation", sa.Boolean(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citing_paper_id"],
            ["papers.id"],
            name=op.f("fk_citation_links_citing_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cited_paper_id"],
            ["papers.id"],
            name=op.f("fk_citation_links_cited_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_citation_links_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "citing_paper_id", "cited_paper_id", "author_id", name=op.f("pk_citation_links")
        ),
    )
    op.create_index(
        op.f("ix_citation_links_author_id_found_at"), "citation_links", ["author_id", "found_at"]
    )
    op.create_index(
        op.f("ix_citation_links_cited_paper_id"), "citation_links", ["cited_paper_id"]
    )
    op.create_table(
        "digest_citation_items",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("citing_paper_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["digest_schedules.id"],
            name=op.f("fk_digest_citation_items_schedule_id_digest_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["citing_paper_id"],
            ["papers.id"],
            name=op.f("fk_digest_citation_items_citing_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "schedule_id", "citing_paper_id", name=op.f("pk_digest_citation_items")
        ),
    )
    op.create_index(
        op.f("ix_digest_citation_items_citing_paper_id"),
        "digest_citation_items",
        ["citing_paper_id"],
    )
    with op.batch_alter_table("outbox") as batch:  # SQLite: move-and-copy
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_kind"), KINDS_AFTER)
    op.add_column(
        "papers", sa.Column("openalex_checked_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("openalex_checked_at")
    op.execute("DELETE FROM outbox WHERE kind = 'citation'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_kind"), KINDS_BEFORE)
    op.drop_table("digest_citation_items")
    op.drop_table("citation_links")
    op.drop_table("citation_follows")
