"""`/privacy` for Discord: what is stored about a member, the confirmations, the outcomes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.render.text import fit_lines, safe_cut
from bot.render.views import InvokerOnlyView, ran_by_someone_else
from bot.services.digest_times import WEEKDAYS
from bot.services.privacy_types import (
    MemberData,
    MemberDeleted,
    ServerData,
    ServerDeleted,
    StoredDigest,
    StoredFollow,
    StoredVote,
)

CONFIRM_TIMEOUT_SECONDS = 120.0
FIELD_LIMIT = 900  # of Discord's 1,024 per field; 6 fields stay under 6,000 per embed
EXPIRED = "This confirmation expired: nothing was deleted. Run the command again."
CANCELLED = "Cancelled: nothing was deleted."
NOTHING_STORED = "PaperScout stores nothing about you."
CHANNEL_ROWS_STAY = (
    "Follows and digests you set up for a channel belong to that channel: they stay, and "
    "no longer name you."
)

OnConfirm = Callable[[discord.Interaction], Awaitable[None]]


def _date(follow: StoredFollow | StoredVote) -> str:
    when = follow.created_at if isinstance(follow, StoredFollow) else follow.voted_at
    return f"{when:%d %b %Y}"


def _follow_line(follow: StoredFollow) -> str:
    what = {
        "author": "papers of",
        "citations": "citations of",
        "topic": "topic",
    }[follow.kind]
    label = safe_cut(follow.label, 120)
    shown = f"“{label}”" if follow.kind == "topic" else f"**{label}**"
    extra = ", self-citations included" if follow.include_self else ""
    where = f" for <#{follow.channel_id}>" if follow.channel_id is not None else ""
    return f"- {what} {shown}{where}: {follow.notify}{extra}, since {_date(follow)}"


def _digest_line(digest: StoredDigest) -> str:
    where = f"<#{digest.channel_id}>: " if digest.channel_id is not None else ""
    state = ", paused" if digest.paused else ""
    suggestions = "with suggestions" if digest.suggestions else "without suggestions"
    return (
        f"- {where}{WEEKDAYS[digest.weekday]} {digest.local_time} "
        f"({safe_cut(digest.timezone, 64)}), {digest.style}, {suggestions}{state}"
    )


def _vote_line(vote: StoredVote) -> str:
    mark = "👍" if vote.vote == "up" else "👎"
    where = f"<#{vote.channel_id}>'s digest" if vote.channel_id is not None else "your digest"
    return f"- {mark} arXiv:{safe_cut(vote.arxiv_id, 64)} on {where}, {_date(vote)}"


def _dm_lines(data: MemberData) -> list[str]:
    if not any(data.dms.values()):
        return []
    sent = data.dms.get("sent", 0)
    failed = data.dms.get("failed", 0) + data.dms.get("dead", 0)
    return [
        f"- {data.queued_dms} waiting to be sent, {sent} sent (kept so none is sent twice), "
        f"{failed} that Discord refused"
    ]


def _field(embed: discord.Embed, name: str, lines: Sequence[str]) -> None:
    if lines:
        embed.add_field(name=name, value=fit_lines(list(lines), FIELD_LIMIT), inline=False)


def member_data_embed(data: MemberData) -> discord.Embed:
    """Everything stored about the member, grouped; long lists end with "… and N more"."""
    embed = discord.Embed(
        title="What PaperScout stores about you",
        description=(
            NOTHING_STORED
            if data.is_empty
            else "Only you can see this. `/privacy delete` removes it "
            "(what it keeps and why: the *Your data* section of the docs)."
        ),
    )
    personal = list(data.follows)
    _field(embed, f"Your follows ({len(personal)})", [_follow_line(f) for f in personal])
    if data.digest is not None:
        _field(embed, "Your personal digest (DMs)", [_digest_line(data.digest)])
    _field(
        embed,
        f"Suggestion votes you cast ({len(data.votes)})",
        [_vote_line(v) for v in data.votes],
    )
    _field(
        embed,
        f"Channel follows you set up ({len(data.channel_follows)})",
        [_follow_line(f) for f in data.channel_follows],
    )
    _field(
        embed,
        f"Channel digests you set up ({len(data.channel_digests)})",
        [_digest_line(d) for d in data.channel_digests],
    )
    _field(embed, "Messages to your DMs", _dm_lines(data))
    return embed


def delete_prompt(data: MemberData) -> str:
    """What `/privacy delete` will remove, above its Confirm / Cancel buttons."""
    parts = []
    if data.follows:
        parts.append(f"{len(data.follows)} follow{'s' * (len(data.follows) != 1)}")
    if data.digest is not None:
        parts.append("your personal digest")
    if data.votes:
        parts.append(f"{len(data.votes)} suggestion vote{'s' * (len(data.votes) != 1)}")
    messages = sum(data.dms.values())
    if messages:
        parts.append(
            f"{messages} message record{'s' * (messages != 1)} of your DMs "
            f"({data.queued_dms} not sent yet: they will not be)"
        )
    lines = [
        "This deletes everything PaperScout stores about you: "
        + (", ".join(parts) if parts else "nothing of your own")
        + ". It cannot be undone."
    ]
    set_up = len(data.channel_follows) + len(data.channel_digests)
    if set_up:
        lines.append(f"{CHANNEL_ROWS_STAY} ({set_up} set up by you.)")
    lines.append("Press **Delete my data** to go ahead.")
    return "\n".join(lines)


def member_deleted_message(done: MemberDeleted) -> str:
    lines = [
        f"Deleted: {done.follows} follows, {done.digests} personal digest, {done.votes} votes "
        f"and {done.messages} message records. Nothing more will be sent to you unless you "
        "follow something again."
    ]
    if done.creator_cleared:
        lines.append(CHANNEL_ROWS_STAY)
    return "\n".join(lines)


def server_prompt(data: ServerData) -> str:
    """What `/privacy delete-server` will remove, above its Confirm / Cancel buttons."""
    return (
        f"This deletes this server's data: {data.follows} channel follows, {data.digests} "
        f"channel digests (with their votes) and every message to its channels "
        f"({data.queued} not sent yet: they will not be). Members' own follows stay theirs. "
        "It cannot be undone.\nPress **Delete server data** to go ahead."
    )


def server_deleted_message(done: ServerDeleted) -> str:
    return (
        f"Deleted this server's data: {done.follows} channel follows, {done.digests} channel "
        f"digests and {done.messages} message records. Nothing more will be posted here unless "
        "someone follows something for a channel again."
    )


class ConfirmDeletion(InvokerOnlyView):
    """Delete / Cancel under a deletion prompt; only whoever ran `command` may press them."""

    def __init__(self, invoker_id: int, command: str, label: str, on_confirm: OnConfirm) -> None:
        super().__init__(
            invoker_id, ran_by_someone_else(f"`{command}`"), timeout=CONFIRM_TIMEOUT_SECONDS
        )
        self._on_confirm = on_confirm
        self.confirm.label = label

    @discord.ui.button(
        label="Delete", style=discord.ButtonStyle.danger, custom_id="privacy:confirm"
    )
    async def confirm(
        self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmDeletion]
    ) -> None:
        await self._on_confirm(interaction)  # a refusal raised here leaves the buttons usable
        self.stop()

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="privacy:cancel"
    )
    async def cancel(
        self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmDeletion]
    ) -> None:
        self.stop()
        self.disable_all()
        await interaction.response.edit_message(content=CANCELLED, view=self)

    async def show_disabled(self) -> None:
        if self.message is not None:
            await self.message.edit(content=EXPIRED, view=self)
