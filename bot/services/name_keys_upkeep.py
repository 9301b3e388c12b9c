"""Stored author match keys kept in step with the name normaliser (`bot.names`).

Keys are computed when an author is stored. When a release teaches the normaliser a new
reading (say, "Jun LIU" as a surname rather than initials), the keys of authors stored before
are stale, and a typed name that should find them misses. The daily job recomputes every
author's keys in memory and rewrites only the authors whose keys changed: usually none.
"""

from __future__ import annotations

import logging

from bot.services.author_fetch import match_keys, match_variants
from db.database import Database
from db.repositories.authors import AuthorRepository

log = logging.getLogger(__name__)


async def refresh_name_keys(database: Database) -> int:
    """Rewrite the match keys of the authors whose keys the normaliser now computes
    differently (as `author_fetch.store_identity` would store them); how many changed.

    Read, compared and written in one write transaction. On SQLite that holds the write lock,
    so a follow storing an author meanwhile waits. On PostgreSQL a follow committing in
    between can have its keys rewritten from the variants read before it; the next day's run
    puts them right (both sides compute keys with the same normaliser).
    """
    async with database.transaction() as session:
        authors = AuthorRepository(session)
        stored = await authors.name_keys_by_author()
        changed = 0
        for author_id, display_name, variants in await authors.identities():
            wanted = match_keys(match_variants(display_name, variants) or (display_name,))
            if set(wanted) != stored.get(author_id, set()):
                await authors.set_name_keys(author_id, wanted)  # rare: after a normaliser fix
                changed += 1
    if changed:
        log.info("name keys: rewrote the keys of %d author(s)", changed)
    return changed
