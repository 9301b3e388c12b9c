"""Digests have a style: `compact` (one or two lines per paper, grouped by followed author, the
full card one click away) or `full` (a card per paper, the layout before this revision).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Every schedule becomes `compact`, the new default: a week of full cards was several phone
screens in the channel everyone reads. `/digest setup style:full` brings a channel's back.

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest_schedules") as batch:
        batch.add_column(
            sa.Column("style", sa.String(length=16), nullable=False, server_default="compact")
        )
        batch.create_check_constraint(
            op.f("ck_digest_schedules_style"), "style IN ('compact', 'full')"
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_schedules") as batch:
        batch.drop_constraint(op.f("ck_digest_schedules_style"), type_="check")
        batch.drop_column("style")
