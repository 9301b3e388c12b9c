"""Authors remember the field of their works as OpenAlex's topics say it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

`authors.topic_field`: the subfield of the author's main OpenAlex topic (`Ecology`,
`Computer Vision and Pattern Recognition`), stored with the metrics. The profile shows it as the
primary field of an author with few arXiv papers (a biologist's field is not an arXiv
category), labelled as coming from OpenAlex topics. NULL until the next metrics refresh.

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authors") as batch:
        batch.add_column(sa.Column("topic_field", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authors") as batch:
        batch.drop_column("topic_field")
