"""PaperScout's database layer: models, the `Database` unit of work, repositories, migrations.

Imports nothing from `bot/` or `cogs/`. Entry points:

- `db.database.Database`: engine + `transaction()` / `reader()` sessions, `ping()`, `dispose()`.
- `db.migrate.upgrade_to_head(url)` / `upgrade_to_head_async(url)`: apply the migrations;
  `confirm_ready(url)`: check a database migrated separately. Both raise
  `db.errors.DatabaseUnavailable` (one line for the operator) for a database that cannot be used.
- `db.repositories.*`: one repository per aggregate, each wrapping an `AsyncSession`.
"""

from __future__ import annotations

from db.database import Database

__all__ = ["Database"]
