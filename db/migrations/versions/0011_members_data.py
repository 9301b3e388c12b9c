"""Members' data: when the bot left a server (its data is deleted after the grace period), and
a follow's creator may be forgotten (a channel's follows stay when who set them up deletes
their data with `/privacy delete`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW_TABLES = ("follows", "citation_follows", "topic_follows")


def upgrade() -> None:
    op.create_table(
        "guild_departures",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_departures")),
    )
    for table in FOLLOW_TABLES:
        with op.batch_alter_table(table) as batch:  # SQLite: move-and-copy
            batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    for table in FOLLOW_TABLES:
        # A forgotten creator (only ever on a channel's follow) becomes 0: no Discord user.
        op.execute(sa.text(f"UPDATE {table} SET user_id = 0 WHERE user_id IS NULL"))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("guild_departures")
