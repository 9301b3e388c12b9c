"""Authors remember whether their arXiv paper history was fetched, and what identity said.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

`authors.papers_fetched_at`: when the author's arXiv papers were last fetched completely (the
name search answered). NULL means never: an outage during the first lookup, or an author a
follow stored without its papers (releases before this one). The next profile view, follow or
poll fetches them. Authors that an on-demand profile stored with papers keep them: their
creation time is taken as the fetch time.

`authors.arxiv_confirmed`: how many of the fetched papers the identity source (OpenAlex works
by id) confirmed as theirs at that fetch; NULL when it did not answer. 0 means the name's
papers are someone else's, and the homonym guard then takes no name-only match for them.

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authors") as batch:
        batch.add_column(sa.Column("papers_fetched_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("arxiv_confirmed", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE authors SET papers_fetched_at = created_at WHERE EXISTS ("
        "SELECT 1 FROM author_papers ap WHERE ap.author_id = authors.id "
        "AND ap.matched_by = 'profile')"
    )


def downgrade() -> None:
    with op.batch_alter_table("authors") as batch:
        batch.drop_column("arxiv_confirmed")
        batch.drop_column("papers_fetched_at")
