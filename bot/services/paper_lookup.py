"""`/paper`: one stored paper's card and which followed authors it is tracked for.

`followed_here` (on the card, public) names only this server's channel follows; `you_follow`
names the asker's personal follows among its authors, for the asker alone (personal follows
are private: docs/product.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFoundError
from bot.plain_text import plain
from bot.services.cards import paper_card
from bot.services.paper_query import parse_paper_query
from bot.services.profile_types import PaperView
from db.database import Database
from db.models import Follow, Paper
from db.repositories.follows import FollowRepository
from db.repositories.papers import PaperRepository


class PaperLookup:
    """Finds a stored paper by what the user typed."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def paper(self, text: str, *, guild_id: int | None, user_id: int) -> PaperView:
        """A stored paper's card and which authors followed here (or by the asker) it is for."""
        scheme, value = parse_paper_query(text)
        async with self._database.reader() as session:
            paper = await PaperRepository(session).get_by_identifier(scheme, value)
            if paper is None:
                shown = f"arXiv:{value}" if scheme == "arxiv" else f"{scheme} {value}"
                raise NotFoundError(
                    f"PaperScout does not track {plain(shown)}. Papers appear here once an "
                    "author of theirs is followed or profiled."
                )
            return await self._view(session, paper, guild_id=guild_id, user_id=user_id)

    async def paper_by_id(self, paper_id: int, *, guild_id: int | None, user_id: int) -> PaperView:
        """The same for a stored paper id (a digest's "show a card" menu)."""
        async with self._database.reader() as session:
            paper = await PaperRepository(session).get(paper_id)
            if paper is None:
                raise NotFoundError("That paper is no longer tracked.")
            return await self._view(session, paper, guild_id=guild_id, user_id=user_id)

    @staticmethod
    async def _view(
        session: AsyncSession, paper: Paper, *, guild_id: int | None, user_id: int
    ) -> PaperView:
        linked = (await PaperRepository(session).linked_authors([paper.id])).get(paper.id, [])
        follows = FollowRepository(session)
        personal = await follows.list_for_user(user_id)
        channel = await follows.list_for_guild(guild_id) if guild_id is not None else []

        def named(found: Sequence[Follow]) -> tuple[str, ...]:
            names = {f.author_id: f.author.display_name for f in found}
            return tuple(dict.fromkeys(names[a] for a in linked if a in names))

        followed = named(channel)
        return PaperView(paper_card(paper, followed), followed, len(linked), named(personal))
