"""Topic follows as Discord messages: the preview with its Save button, the outcome lines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.arxiv_categories import category_label
from bot.render.text import safe, safe_cut
from bot.render.views import InvokerOnlyView, ran_by_someone_else
from bot.services.topic_types import WARN_ABOVE, TopicFollowResult, TopicPreview

SAVE_TIMEOUT_SECONDS = 600.0
SAVE_EXPIRED = "This preview expired: nothing was saved. Run `/follow topic` again."

OnSave = Callable[[discord.Interaction], Awaitable[None]]


def preview_message(preview: TopicPreview, scope: str) -> str:
    """What the query would have matched lately, and what Save does."""
    query = f"“{safe_cut(preview.query, 300)}”"
    lines = [f"Topic {query}, read as `{safe_cut(preview.canonical, 400)}`."]
    if preview.categories:
        named = ", ".join(category_label(c) for c in preview.categories)
        lines.append(f"Its categories' daily listings are read for it: {safe(named)}.")
    papers = "paper" if preview.count == 1 else "papers"
    lines.append(
        f"In the last {preview.days} days it would have matched **{preview.count:,}** stored "
        f"{papers}" + (":" if preview.titles else ".")
    )
    lines += [f"- {safe_cut(title, 150)}" for title in preview.titles]
    if preview.needs_warning:
        lines.append(
            f"⚠️ That is more than {WARN_ABOVE}: expect a busy digest. Tighten the query "
            "(AND, NOT, a phrase) or save it anyway."
        )
    who = "you" if scope == "me" else "this channel"
    lines.append(f"Press **Save** to follow it for {who}; nothing is stored until you do.")
    return "\n".join(lines)


def topic_follow_message(result: TopicFollowResult) -> str:
    query = f"“{safe_cut(result.query, 300)}”"
    who = "You" if result.scope == "me" else "This channel"
    if not result.created:
        verb = "follow" if result.scope == "me" else "follows"
        return f"{who} already {verb} the topic {query}; notifications are **{result.notify}**."
    now = "now follow" if result.scope == "me" else "now follows"
    if result.notify == "instant":
        how = "each new paper matching it is sent as soon as the daily listing is read."
    elif result.has_digest:
        how = "new papers matching it go into the weekly digest."
    else:
        how = (
            "new papers matching it go into a weekly digest that is not set up yet "
            "(`/digest me`, or a moderator's `/digest setup`)."
        )
    return f"{who} {now} the topic {query}: {how} Papers announced before now are not sent."


def unfollow_topic_message(query: str, scope: str) -> str:
    who = "You no longer follow" if scope == "me" else "This channel no longer follows"
    return f"{who} the topic “{safe_cut(query, 300)}”."


class SaveTopic(InvokerOnlyView):
    """The Save button under a preview; only the member who ran `/follow topic` may press it."""

    def __init__(self, invoker_id: int, on_save: OnSave, *, warned: bool) -> None:
        super().__init__(
            invoker_id, ran_by_someone_else("`/follow topic`"), timeout=SAVE_TIMEOUT_SECONDS
        )
        self._on_save = on_save
        self.save.label = "Save anyway" if warned else "Save"

    @discord.ui.button(label="Save", style=discord.ButtonStyle.primary, custom_id="topics:save")
    async def save(self, interaction: discord.Interaction, _: discord.ui.Button[SaveTopic]) -> None:
        await self._on_save(interaction)
        self.stop()

    async def show_disabled(self) -> None:
        if self.message is not None:
            await self.message.edit(content=SAVE_EXPIRED, view=self)
