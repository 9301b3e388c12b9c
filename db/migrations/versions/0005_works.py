"""Papers become works: a set of identifiers each, and what a non-arXiv work needs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

`paper_identifiers (paper_id, scheme, value)`, unique per (scheme, value): a record from any
source is merged into the stored work sharing one of its identifiers. Today's papers get their
arXiv id, their DOI (arXiv's `<arxiv:doi>`: the published version's) and OpenAlex id. A paper
no longer needs an arXiv id or category (a journal article has neither); it gains its PubMed
id, venue and landing page, and when a venue was learnt for a work stored without one.

Downgrade: works without an arXiv id cannot live in the old table and are deleted (with their
links); every arXiv paper keeps its row.

Self-contained on purpose (no import of db.models or db.types), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMES = "scheme IN ('arxiv', 'doi', 'pmid', 'pmcid', 'openalex')"


def upgrade() -> None:
    op.create_table(
        "paper_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.CheckConstraint(SCHEMES, name=op.f("ck_paper_identifiers_scheme")),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_paper_identifiers_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_identifiers")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_paper_identifiers_scheme_value")),
    )
    op.create_index(
        op.f("ix_paper_identifiers_paper_id"), "paper_identifiers", ["paper_id"]
    )
    with op.batch_alter_table("papers") as batch:  # SQLite: move-and-copy
        batch.alter_column("arxiv_id", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("primary_category", existing_type=sa.String(length=32), nullable=True)
        batch.add_column(sa.Column("pmid", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("venue", sa.Text(), nullable=True))
        batch.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("venue_seen_at", sa.DateTime(timezone=True), nullable=True))
    # Digests look for the few papers published since their last cut-off.
    op.create_index(op.f("ix_papers_venue_seen_at"), "papers", ["venue_seen_at"])
    # Today's identifiers; a DOI two papers share stays with the first (the WHERE lets
    # SQLite parse ON CONFLICT after a SELECT).
    for scheme, column in (("arxiv", "arxiv_id"), ("doi", "lower(doi)"), ("openalex", "openalex_id")):
        op.execute(
            "INSERT INTO paper_identifiers (paper_id, scheme, value) "
            f"SELECT id, '{scheme}', {column} FROM papers WHERE {column} IS NOT NULL "
            "ORDER BY id ON CONFLICT (scheme, value) DO NOTHING"
        )


def downgrade() -> None:
    op.execute("DELETE FROM papers WHERE arxiv_id IS NULL")
    op.execute("UPDATE papers SET primary_category = '' WHERE primary_category IS NULL")
    op.drop_index(op.f("ix_papers_venue_seen_at"), table_name="papers")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("venue_seen_at")
        batch.drop_column("url")
        batch.drop_column("venue")
        batch.drop_column("pmid")
        batch.alter_column("primary_category", existing_type=sa.String(length=32), nullable=False)
        batch.alter_column("arxiv_id", existing_type=sa.String(length=64), nullable=False)
    op.drop_index(op.f("ix_paper_identifiers_paper_id"), table_name="paper_identifiers")
    op.drop_table("paper_identifiers")
