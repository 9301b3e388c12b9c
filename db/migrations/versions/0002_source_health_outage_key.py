"""source_health.outage_key: which outage the pending recovery notice belongs to.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

The outage notifier keys an outage's notices `notice:outage:<source>:<key>:<channel>`, the key
being the last success before the outage (ISO) or 'never'. Storing it on the health row when the
outage is announced lets the recovery go to exactly that outage's channels. Rows flagged before
this revision have no key; their recovery notice plans no rows.

Self-contained on purpose (no import of db.models), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable `source_health.outage_key` (batch mode: SQLite's move-and-copy)."""
    with op.batch_alter_table("source_health") as batch:
        batch.add_column(sa.Column("outage_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop `source_health.outage_key`."""
    with op.batch_alter_table("source_health") as batch:
        batch.drop_column("outage_key")
