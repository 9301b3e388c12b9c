"""Follow results as Discord messages, embeds and the candidate picker.

Outside text (author names, affiliations) goes through `safe()`; select labels are plain text
(Discord renders no markdown there), only cut to its limits. The picker answers only the user
who ran the command and disables itself when it times out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.arxiv_categories import category_label
from bot.render.text import cut, safe, safe_cut
from bot.render.views import InvokerOnlyView, ran_by_someone_else
from bot.services.candidates import Candidate, Resolution
from bot.services.follow_types import (
    CitationFollowResult,
    CitationWatching,
    FollowedAuthor,
    FollowResult,
    MuteResult,
    UnfollowResult,
)
from bot.services.topic_types import FollowedTopic

PAGE_SIZE = 10
VIEW_TIMEOUT_SECONDS = 180.0
SELECT_TEXT_LIMIT = 100
PICK_CUSTOM_ID = "follows:pick"
PICKER_EXPIRED = "This menu expired: nothing was followed. Run `/follow author` again."

OnPick = Callable[[discord.Interaction, Candidate], Awaitable[None]]


def _who(scope: str) -> str:
    return "You" if scope == "me" else "This channel"


DM_DIGEST_HINT = "run `/digest me weekday time timezone` to get a weekly DM"
CHANNEL_DIGEST_HINT = "a moderator can run `/digest setup` to post them here"


def _no_digest(result: FollowResult) -> bool:
    """A weekly follow whose digest (the user's DM one, or the channel's) is not set up."""
    return result.notify == "weekly" and not result.has_digest


def follow_message(result: FollowResult) -> str:
    """What the user reads after `/follow author` (or picking from the menu).

    A weekly follow whose digest is not set up says how to set it up: without a digest its
    papers are delivered nowhere.
    """
    name = f"**{safe_cut(result.display_name, 200)}**"
    where = safe_cut(result.affiliations[0], 120) if result.affiliations else None
    described = name + (f" ({where})" if where else "")
    hint = DM_DIGEST_HINT if result.scope == "me" else CHANNEL_DIGEST_HINT
    if not result.created:
        text = f"{_who(result.scope)} already follow{'s' if result.scope != 'me' else ''} "
        text += f"{described}."
        if result.notify_changed:
            text += f" Notifications are now **{result.notify}**."
            if _no_digest(result):
                owner = "You have" if result.scope == "me" else "This channel has"
                text += f" {owner} no weekly digest yet: {hint}."
        return text
    if result.scope == "me":
        if result.notify == "instant":
            text = f"You now follow {described}: you will get a DM as soon as they post a new "
            text += "paper."
        elif result.has_digest:
            text = (
                f"You now follow {described}: you will get their new papers in your weekly digest."
            )
        else:
            text = (
                f"You now follow {described}: their new papers go into your weekly digest, "
                f"which is not set up yet: {hint}."
            )
    elif result.notify == "instant":
        text = f"This channel now follows {described}: new papers are posted here as soon as "
        text += "they appear."
    elif result.has_digest:
        text = f"This channel now follows {described}: new papers are posted here in its weekly "
        text += "digest."
    else:
        text = (
            f"This channel now follows {described}: new papers go into its weekly digest, which "
            f"is not set up yet: {hint}."
        )
    if result.usual_categories:
        named = ", ".join(category_label(c) for c in result.usual_categories)
        text += f" Usual categories: {safe(named)}."
    return text + papers_note(result) + " Papers published before now are not announced."


def papers_note(result: FollowResult) -> str:
    """Says when the follow will stay quiet for a while: no papers found, or not yet looked."""
    if not result.papers_checked:
        down = " and ".join(result.sources_down) or "A source"
        verb = "are" if len(result.sources_down) > 1 else "is"
        return (
            f" {down} {verb} not answering right now: their earlier papers will be fetched "
            "with the next poll."
        )
    if result.papers_tracked == 0 and not result.usual_categories:
        return " No papers found for them yet: you will hear when one appears."
    return ""


def watching_text(watching: CitationWatching) -> str:
    """`all 12 tracked papers` or `the 100 most cited of 1,234 tracked papers`."""
    if watching.watched >= watching.tracked:
        noun = "paper" if watching.tracked == 1 else "papers"
        return f"{'its' if watching.tracked == 1 else 'all'} {watching.tracked:,} tracked {noun}"
    return f"the {watching.watched:,} most cited of {watching.tracked:,} tracked papers"


def citation_follow_message(result: CitationFollowResult) -> str:
    """What the user reads after `/follow citations`."""
    name = f"**{safe_cut(result.display_name, 200)}**"
    own = "self-citations included" if result.include_self else "self-citations left out"
    watching = f"Watching {watching_text(result.watching)}, once a day; {own}."
    if result.notify == "instant":
        where = "you get a DM" if result.scope == "me" else "it is posted here"
        how = f"each new work citing them: {where} as soon as it is found."
    elif result.has_digest:
        digest = "your" if result.scope == "me" else "this channel's"
        how = f"new works citing them go into {digest} weekly digest, under “New citations”."
    else:
        hint = DM_DIGEST_HINT if result.scope == "me" else CHANNEL_DIGEST_HINT
        how = f"new works citing them go into a weekly digest that is not set up yet: {hint}."
    if result.created:
        text = f"{_who(result.scope)} now follow{'s' if result.scope != 'me' else ''} the "
        text += f"citations of {name}: {how}"
    else:
        text = f"{_who(result.scope)} already follow{'s' if result.scope != 'me' else ''} the "
        text += f"citations of {name} ({result.notify}); {how}"
    return f"{text} {watching}"


def unfollow_citations_message(result: UnfollowResult) -> str:
    """What the user reads after `/unfollow citations`."""
    name = f"**{safe_cut(result.display_name, 200)}**"
    who = "You no longer follow" if result.scope == "me" else "This channel no longer follows"
    return f"{who} the citations of {name}."


def unfollow_message(result: UnfollowResult) -> str:
    """What the user reads after `/unfollow author`."""
    name = f"**{safe_cut(result.display_name, 200)}**"
    who = "You no longer follow" if result.scope == "me" else "This channel no longer follows"
    return f"{who} {name}."


def mute_message(result: MuteResult) -> str:
    """What the member reads after pressing Mute under an alert."""
    name = f"**{safe_cut(result.display_name, 200)}**"
    if not result.changed:
        return f"{name} was muted already: their new papers wait for your weekly digest."
    where = (
        "your weekly digest"
        if result.has_digest
        else "your weekly digest (set one up with `/digest me`)"
    )
    return (
        f"Muted {name}: their new papers now wait for {where} instead of a DM each. "
        "`/follow author notify:instant` brings the DMs back."
    )


def ambiguous_message(resolution: Resolution) -> str:
    """The text above the candidate menu."""
    return (
        f"Several authors match “{safe_cut(resolution.query, 200)}”. Pick the one you mean "
        "below (nothing is stored until you do)."
    )


def _option(candidate: Candidate) -> discord.SelectOption:
    return discord.SelectOption(
        label=cut(candidate.display_name, SELECT_TEXT_LIMIT),
        value=candidate.value[:SELECT_TEXT_LIMIT],
        description=cut(candidate.detail, SELECT_TEXT_LIMIT) if candidate.detail else None,
    )


class CandidatePicker(InvokerOnlyView):
    """A select menu of candidates for an ambiguous name; `on_pick` follows the chosen one."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        invoker_id: int,
        on_pick: OnPick,
        *,
        timeout: float | None = VIEW_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(invoker_id, ran_by_someone_else("`/follow`"), timeout=timeout)
        self.candidates = {c.value[:SELECT_TEXT_LIMIT]: c for c in candidates[:25]}
        self.on_pick = on_pick
        self.select: discord.ui.Select[CandidatePicker] = discord.ui.Select(
            custom_id=PICK_CUSTOM_ID,
            placeholder="Pick the author you mean",
            options=[_option(c) for c in self.candidates.values()],
            min_values=1,
            max_values=1,
        )
        self.select.callback = self._picked  # type: ignore[method-assign]
        self.add_item(self.select)
        self._picking = False  # a pick is being followed: a second click must not follow twice

    async def _picked(self, interaction: discord.Interaction) -> None:
        """Follow the pick; the menu stops only once that succeeded.

        If the follow fails, the error reaches `on_error` (the invoker reads it privately) and
        the menu stays live, so picking again works instead of "This interaction failed".
        """
        if self._picking:
            await interaction.response.send_message(
                "Already following the author you picked: one moment.", ephemeral=True
            )
            return
        candidate = self.candidates[self.select.values[0]]
        self._picking = True
        try:
            await self.on_pick(interaction, candidate)
        finally:
            self._picking = False
        self.stop()  # one pick per menu

    async def show_disabled(self) -> None:
        if self.message is not None:
            await self.message.edit(content=PICKER_EXPIRED, view=self)


def following_embeds(
    follows: Sequence[FollowedAuthor],
    *,
    scope: str,
    channel_name: str | None = None,
    topics: Sequence[FollowedTopic] = (),
) -> list[discord.Embed]:
    """`/following` as pages of PAGE_SIZE lines each (at least one page): the authors (and
    their citations), then the topics."""
    title = "Authors you follow" if scope == "me" else "Authors this channel follows"
    if scope != "me" and channel_name:
        title = f"Authors #{safe_cut(channel_name, 90)} follows"
    if topics:
        title = title.replace("Authors", "Authors and topics", 1)
    lines = [_author_line(entry) for entry in follows] + [_topic_line(t) for t in topics]
    pages = [lines[i : i + PAGE_SIZE] for i in range(0, len(lines), PAGE_SIZE)] or [[]]
    embeds: list[discord.Embed] = []
    for number, page in enumerate(pages, start=1):
        embed = discord.Embed(
            title=title,
            description="\n".join(page) or "None yet.",
            colour=discord.Colour.blurple(),
        )
        total = f"{len(lines)} follow" + ("" if len(lines) == 1 else "s")
        embed.set_footer(text=f"Page {number}/{len(pages)} · {total}")
        embeds.append(embed)
    return embeds


def _author_line(entry: FollowedAuthor) -> str:
    line = f"**{safe_cut(entry.display_name, 120)}**"
    details = []
    if entry.citations is not None:
        line = f"Citations of {line}"
        details.append(watching_text(entry.citations))
        if entry.citations.include_self:
            details.append("self-citations included")
    if entry.affiliations:
        details.append(safe_cut(entry.affiliations[0], 80))
    if entry.usual_categories and entry.citations is None:
        details.append(", ".join(safe(c) for c in entry.usual_categories))
    details.append(entry.notify)
    details.append(f"since {discord.utils.format_dt(entry.since, 'd')}")
    return line + " · " + " · ".join(details)


def _topic_line(topic: FollowedTopic) -> str:
    since = discord.utils.format_dt(topic.since, "d")
    return f"Topic “{safe_cut(topic.query, 200)}” · {topic.notify} · since {since}"


def empty_following_message(scope: str) -> str:
    if scope == "me":
        return "You follow no authors yet. Add one with `/follow author`."
    return (
        "This channel follows no authors yet. Someone with Manage Server can add one with "
        "`/follow author … scope:channel`."
    )
