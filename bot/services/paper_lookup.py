"""`/paper`: one stored paper's card and which followed authors it is tracked for.

`followed_here` (on the card, public) names only this server's channel follows; `you_follow`
names the asker's personal follows among its authors, for the asker alone (personal follows
are private: docs/product.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import BadInput, NotFoundError
from bot.services.cards import paper_card
from bot.services.profile_types import PaperView
from bot.sources.arxiv_ids import split_version
from db.database import Database
from db.models import Follow
from db.repositories.follows import FollowRepository
from db.repositories.papers import PaperRepository


class PaperLookup:
    """Finds a stored paper by what the user typed."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def paper(self, text: str, *, guild_id: int | None, user_id: int) -> PaperView:
        """A stored paper's card and which authors followed here (or by the asker) it is for."""
        raw = " ".join((text or "").split())
        if not raw or len(raw) > 100:
            raise BadInput("Give an arXiv id, like `2411.17700` or `astro-ph/0601001`.")
        try:
            arxiv_id, _version = split_version(raw)
        except ValueError:
            raise BadInput(
                "That is not an arXiv id. Use the form `2411.17700` (optionally `v2`) or "
                "`astro-ph/0601001`."
            ) from None
        async with self._database.reader() as session:
            papers_repo = PaperRepository(session)
            paper = await papers_repo.get_by_arxiv_id(arxiv_id)
            if paper is None:
                raise NotFoundError(
                    f"PaperScout does not track arXiv:{arxiv_id}. Papers appear here once an "
                    "author of theirs is followed or profiled."
                )
            linked = (await papers_repo.linked_authors([paper.id])).get(paper.id, [])
            follows = FollowRepository(session)
            personal = await follows.list_for_user(user_id)
            channel = await follows.list_for_guild(guild_id) if guild_id is not None else []

        def named(found: Sequence[Follow]) -> tuple[str, ...]:
            names = {f.author_id: f.author.display_name for f in found}
            return tuple(dict.fromkeys(names[a] for a in linked if a in names))

        followed = named(channel)
        return PaperView(paper_card(paper, followed), followed, len(linked), named(personal))
