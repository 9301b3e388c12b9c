"""PaperScout's database layer: models, the `Database` unit of work, repositories, migrations.

Imports nothing from `bot/` or `cogs/`. Entry points:

- `db.database.Database`: engine + `transaction()` / `reader()` sessions, `ping()`, `dispose()`.
- `db.migrate.upgrade_to_head(url)` / `upgrade_to_head_async(url)`: apply the migrations.
- `db.repositories.*`: one repository per aggregate, each wrapping an `AsyncSession`.
"""

from __future__ import annotations

from db.database import Database

__all__ = ["Database"]
