"""Digests by link time: an index on author_papers (author_id, linked_at); digest_items loses
its unused outbox_id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Digest candidates are the papers linked to a destination's followed authors after its last
cut-off; without the index each plan reads every link of every followed author.
`digest_items.outbox_id` was written and never read, and its foreign key check was about a
fifth of inserting a week's items (240,000 rows for 10,000 channels) on PostgreSQL.

Self-contained on purpose (no import of db.models), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_author_papers_author_id_linked_at"), "author_papers", ["author_id", "linked_at"]
    )
    with op.batch_alter_table("digest_items") as batch:  # SQLite: move-and-copy
        batch.drop_index(op.f("ix_digest_items_outbox_id"))
        batch.drop_constraint(op.f("fk_digest_items_outbox_id_outbox"), type_="foreignkey")
        batch.drop_column("outbox_id")


def downgrade() -> None:
    with op.batch_alter_table("digest_items") as batch:
        batch.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_digest_items_outbox_id_outbox"),
            "outbox",
            ["outbox_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_digest_items_outbox_id"), ["outbox_id"])
    op.drop_index(op.f("ix_author_papers_author_id_linked_at"), table_name="author_papers")
