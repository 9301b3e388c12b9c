"""`/author papers` (pages, invoker-only buttons, timeout), `/author compare`, `/paper show`,
and the buttons under a profile (Follow, Papers, Compare...), through the fake Discord."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from bot.errors import NotFoundError
from bot.services.candidates import Candidate
from db.models import Author
from db.repositories.follows import FollowRepository
from tests.discord.author_support import (
    NOW,
    assert_within_discord_limits,
    author_bot,
    buttons,
    decode_png,
    paper,
    profile_button,
    seed_author,
)
from tests.harness.bot_harness import BotHarness, Exchange
from tests.harness.fake_discord import error_body
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MEMBER_ID, OWNER_ID


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        yield server


@pytest.fixture
async def h(harness_factory: HarnessFactory, upstream: FakeUpstream) -> AsyncIterator[BotHarness]:
    async with author_bot(harness_factory, upstream) as harness:
        await seed_author(
            harness.bot.database,
            "Mara Many",
            [
                paper(
                    f"2501.{i:05d}",
                    title=f"Result number {i}",
                    published=NOW - timedelta(days=10 * i),
                    authors=["Mara Many", "Co Author"],
                    category="cs.LG" if i % 3 else "stat.ML",
                )
                for i in range(1, 13)
            ],
        )
        await seed_author(
            harness.bot.database,
            "Ola Other",
            [
                paper(
                    "2502.00001",
                    title="Other work",
                    published=NOW - timedelta(days=5),
                    authors=["Ola Other"],
                    category="cs.CV",
                )
            ],
            h_index=40,
        )
        yield harness


def titles(message: dict) -> list[str]:  # type: ignore[type-arg]
    return [f["value"].split("](")[0].lstrip("[") for f in message["embeds"][0]["fields"]]


def profile_author_id(message: dict[str, Any]) -> int:
    """The stored author id behind a profile message (its buttons carry it)."""
    return int(profile_button(message, "follow").rsplit(":", 1)[1])


async def press(h: BotHarness, profile: dict[str, Any], action: str, **kwargs: Any) -> Exchange:
    """Press a profile card's Follow, Papers or Compare... button."""
    return await h.component(profile_button(profile, action), message=profile, **kwargs)


async def forget_author(h: BotHarness, name: str) -> None:
    """The author disappears from the database (as if removed) while their buttons are shown."""
    async with h.bot.database.transaction() as session:
        await session.execute(delete(Author).where(Author.display_name == name))


async def test_papers_are_paged_five_at_a_time_by_the_invoker_only(h: BotHarness) -> None:
    ex = await h.slash("author papers", name="Mara Many")
    message = ex.original_message
    assert titles(message) == [f"Result number {i}" for i in range(1, 6)]
    assert message["embeds"][0]["footer"]["text"] == "Page 1 of 3 · sort: recent"
    assert buttons(message)["papers:previous"]["disabled"] is True
    assert [b["label"] for b in buttons(message).values()] == ["Previous", "Next"]  # /following's
    assert buttons(message)["papers:next"].get("disabled", False) is False

    nxt = await h.component("papers:next", message=message)
    assert nxt.callback_type == 6  # deferred update (the page is read first), then edited
    assert titles(nxt.original_message) == [f"Result number {i}" for i in range(6, 11)]

    # Someone else presses: refused privately, the page does not move.
    other = h.fake.users[str(OWNER_ID)]
    refused = await h.component("papers:next", message=message, invoker=other)
    assert refused.callback_type == 4 and refused.callback.json["data"]["flags"] == 64
    assert "Only the person who opened this list" in refused.callback.json["data"]["content"]
    assert "Page 2 of 3" in h.fake.messages[message["id"]]["embeds"][0]["footer"]["text"]

    last = await h.component("papers:next", message=message)
    assert titles(last.original_message) == ["Result number 11", "Result number 12"]
    assert buttons(last.original_message)["papers:next"]["disabled"] is True


async def test_papers_buttons_are_disabled_on_timeout(h: BotHarness) -> None:
    ex = await h.slash("author papers", name="Mara Many")
    message_id = int(ex.original_message["id"])
    view = h.bot._connection._view_store._synced_message_views[message_id]
    await view.on_timeout()  # what discord.py calls after the timeout (no real waiting)
    shown = h.fake.messages[str(message_id)]
    assert all(b["disabled"] for b in buttons(shown).values())


async def test_papers_sorted_by_citations(h: BotHarness) -> None:
    ex = await h.slash("author papers", name="Mara Many", sort="cited")
    assert ex.original_message["embeds"][0]["footer"]["text"] == "Page 1 of 3 · sort: cited"
    # The seeded papers have no citation counts yet: the page says so instead of claiming it.
    assert "no citation counts yet" in ex.original_message["embeds"][0]["description"]


async def test_compare_two_authors_side_by_side_with_one_chart(h: BotHarness) -> None:
    ex = await h.slash("author compare", first="Mara Many", second="Ola Other")
    message = ex.original_message
    (embed,) = message["embeds"]
    assert embed["title"] == "Mara Many vs Ola Other"
    columns = {f["name"]: f["value"] for f in embed["fields"]}
    assert "h-index: 12" in columns["Mara Many"] and "h-index: 40" in columns["Ola Other"]
    assert "papers tracked: 12" in columns["Mara Many"]
    assert "LG" in columns["Mara Many"].split("\n")[0]
    assert_within_discord_limits(embed)
    (attachment,) = message["attachments"]
    decode_png(h.fake.attachment_bytes[attachment["id"]])


async def test_compare_the_same_author_twice_is_refused(h: BotHarness) -> None:
    ex = await h.slash("author compare", first="Mara Many", second="Mara Many")
    (message,) = ex.user_messages
    assert message["flags"] & 64 and "same author" in message["content"]


async def test_profile_buttons_papers_compare_and_follow(h: BotHarness) -> None:
    profile = (await h.slash("author profile", name="Mara Many")).original_message

    papers = await press(h, profile, "papers")
    (page,) = papers.user_messages
    assert page["flags"] & 64 and titles(page)[0] == "Result number 1"

    opened = await press(h, profile, "compare")
    assert opened.callback_type == 9
    done = await h.submit_modal(opened, {"compare:second": "Ola Other"})
    (comparison,) = done.user_messages
    assert comparison["embeds"][0]["title"] == "Mara Many vs Ola Other"

    follow = await press(h, profile, "follow")
    (reply,) = follow.user_messages
    assert reply["flags"] & 64 and "You now follow **Mara Many**" in reply["content"]
    async with h.bot.database.reader() as session:
        (mine,) = await FollowRepository(session).list_for_user(MEMBER_ID)
    assert mine.author.display_name == "Mara Many" and mine.scope == "user"


async def test_paper_card_and_why_it_is_tracked(h: BotHarness) -> None:
    profile = (await h.slash("author profile", name="Mara Many")).original_message
    await press(h, profile, "follow")  # a personal follow: private
    ex = await h.slash("paper show", option_values={"id": "2501.00003v2"})
    card, mine = ex.user_messages
    (embed,) = card["embeds"]
    assert embed["title"] == "Result number 3" and not card["flags"] & 64
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Why" not in fields and fields["Category"] == "stat.ML · Machine Learning"
    assert mine["flags"] & 64 and mine["content"] == "You follow: **Mara Many**"

    # A channel follow of this server is public: named in the card's "Why".
    author_id = profile_author_id(profile)
    await h.bot.services.follows.follow(
        Candidate(value=f"author:{author_id}", display_name="", local_id=author_id),
        scope="channel",
        user_id=OWNER_ID,
        guild_id=h.fake.guild_id,
        channel_id=h.fake.channel_id,
    )
    ex = await h.slash("paper show", option_values={"id": "2501.00003v2"})
    card, mine = ex.user_messages
    (embed,) = card["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Why"] == "Mara Many" and fields["Category"] == "stat.ML · Machine Learning"
    assert embed["footer"]["text"] == "arXiv:2501.00003v1"
    assert mine["flags"] & 64 and mine["content"] == "You follow: **Mara Many**"

    other = await h.slash("paper show", option_values={"id": "2502.00001"})
    (embed,) = other.original_message["embeds"]
    assert "tracked for an author not followed here" in embed["footer"]["text"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2612.99999", "does not track arXiv:2612.99999"),
        ("https://doi.org/10.1038/S41586-099-00001-1", "does not track doi 10.1038/s41586-099"),
        ("PMID 99999999", "does not track pmid 99999999"),
        ("not-an-id", "not a paper id I know"),
        ("<@123> 2501", "not a paper id I know"),
    ],
)
async def test_paper_with_unknown_or_malformed_id(h: BotHarness, value: str, expected: str) -> None:
    ex = await h.slash("paper show", option_values={"id": value})
    (data,) = ex.user_messages  # the public "thinking..." is replaced by a private message
    assert data["flags"] == 64 and expected in data["content"] and not data.get("embeds")


async def test_paper_is_a_group_whose_show_takes_the_id(h: BotHarness) -> None:
    schema = h.schema("paper show")
    (show,) = schema["options"]
    assert schema["name"] == "paper" and show["name"] == "show" and show["type"] == 1
    (option,) = show["options"]
    assert option["name"] == "id" and option["required"] is True
    shown = (await h.slash("help")).callback.json["data"]["embeds"][0]["fields"]
    authors = next(f["value"] for f in shown if f["name"] == "Authors")
    assert "`/paper show`: A tracked paper's card and why it is tracked" in authors


@pytest.mark.parametrize("failure", ["domain", "bug"])
@pytest.mark.parametrize(
    ("command", "options", "service", "method"),
    [
        ("author profile", {"name": "Mara Many"}, "profile", "profile"),
        ("author papers", {"name": "Mara Many"}, "profile", "papers"),
        ("author compare", {"first": "Mara Many", "second": "Ola Other"}, "profile", "compare"),
        ("paper show", {"id": "2501.00003"}, "papers", "paper"),
    ],
)
async def test_author_command_errors_reach_the_tree_handler_privately(
    h: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, str],
    service: str,
    method: str,
    failure: str,
) -> None:
    """A domain error's message or an incident id reaches the asker privately: the tree's
    handler answers for every command. `/author profile` answers a quick failure at once,
    privately (it never shows a public "thinking..." first); the others replace theirs."""

    async def broken(*args: Any, **kwargs: Any) -> Any:
        if failure == "domain":
            raise NotFoundError("Nothing to show today.")
        raise RuntimeError("the service broke")

    monkeypatch.setattr(getattr(h.bot.services, service), method, broken)
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        ex = await h.slash(command, option_values=options)
    if command == "author profile":
        assert ex.callback_type == 4 and ex.callback.json["data"]["flags"] & 64
    else:
        assert ex.callback_type == 5 and not ex.callback.json.get("data", {}).get("flags")
    (reply,) = ex.user_messages  # no public placeholder left
    assert reply["flags"] & 64 and not reply["flags"] & 128 and not reply.get("embeds")
    records = [r for r in caplog.records if r.name == "bot.tree"]
    if failure == "domain":
        assert reply["content"] == "Nothing to show today." and records == []
    else:
        incident = re.search(r"incident `([0-9a-f]{8})`", reply["content"])
        assert incident, reply["content"]
        (record,) = records
        assert incident.group(1) in record.getMessage() and f"/{command}" in record.getMessage()


async def test_an_error_after_the_card_was_sent_leaves_the_card(
    h: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a placeholder still "thinking..." is removed: a card already sent stays public."""
    profile = (await h.slash("author profile", name="Mara Many")).original_message
    await press(h, profile, "follow")

    def broken(text: str) -> str:
        raise RuntimeError("the private followup broke")

    cog_module = sys.modules[type(h.bot.get_cog("Authors")).__module__]
    monkeypatch.setattr(cog_module, "plain", broken)  # builds "You follow: ..." after the card
    ex = await h.slash("paper show", option_values={"id": "2501.00003"})
    card, error = ex.user_messages
    assert card["embeds"][0]["title"] == "Result number 3" and not card["flags"] & 64
    assert error["flags"] & 64 and "incident `" in error["content"]


async def test_paper_defers_before_reading_the_database(
    h: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = h.bot.services.papers
    lookup = papers.paper
    acknowledged: dict[str, int | None] = {}

    async def watched(*args: Any, **kwargs: Any) -> Any:
        acknowledged.update({t: s.ack_type for t, s in h.fake.interactions.items()})
        return await lookup(*args, **kwargs)

    monkeypatch.setattr(papers, "paper", watched)
    ex = await h.slash("paper show", option_values={"id": "2501.00003"})
    assert acknowledged[ex.token] == 5  # Discord had the public "thinking..." before the read
    assert ex.callback_type == 5 and not ex.callback.json.get("data", {}).get("flags")
    (message,) = ex.user_messages
    assert message["embeds"][0]["title"] == "Result number 3" and not message["flags"] & 64


async def test_page_turn_after_the_author_is_gone_answers_privately(h: BotHarness) -> None:
    message = (await h.slash("author papers", name="Mara Many")).original_message
    await forget_author(h, "Mara Many")
    nxt = await h.component("papers:next", message=message)
    assert nxt.callback_type == 6
    (reply,) = nxt.followup_messages
    assert reply["flags"] & 64 and "no longer stored" in reply["content"]
    assert "Page 1 of 3" in h.fake.messages[message["id"]]["embeds"][0]["footer"]["text"]


async def test_profile_papers_button_after_the_author_is_gone_answers_privately(
    h: BotHarness,
) -> None:
    profile = (await h.slash("author profile", name="Mara Many")).original_message
    await forget_author(h, "Mara Many")
    papers = await press(h, profile, "papers")
    (reply,) = papers.user_messages  # the private "thinking..." became the error
    assert reply["flags"] & 64 and "no longer stored" in reply["content"]
    assert not reply["flags"] & 128  # not loading any more


async def test_compare_form_failure_shows_an_incident_id(
    h: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    profile = (await h.slash("author profile", name="Mara Many")).original_message
    opened = await press(h, profile, "compare")
    # Discord refuses the comparison message once (not a domain error): an incident, privately.
    h.fake.fail("POST", r"/webhooks/\d+/[^/]+", 400, error_body(50035, "Invalid Form Body"))
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        done = await h.submit_modal(opened, {"compare:second": "Ola Other"})
    (reply,) = done.user_messages
    assert reply["flags"] & 64 and not reply["flags"] & 128 and not reply.get("embeds")
    incident = re.search(r"incident `([0-9a-f]{8})`", reply["content"])
    assert incident, reply["content"]
    (record,) = [r for r in caplog.records if r.name == "bot.tree"]
    assert incident.group(1) in record.getMessage() and "Compare form" in record.getMessage()


async def test_two_people_can_use_the_compare_form_on_one_profile(h: BotHarness) -> None:
    profile = (await h.slash("author profile", name="Mara Many")).original_message
    owner = h.fake.users[str(OWNER_ID)]
    mine = await press(h, profile, "compare")
    theirs = await press(h, profile, "compare", invoker=owner)
    assert mine.state.modal is not None and theirs.state.modal is not None
    assert mine.state.modal["custom_id"] != theirs.state.modal["custom_id"]

    first = await h.submit_modal(theirs, {"compare:second": "Ola Other"})
    second = await h.submit_modal(mine, {"compare:second": "Ola Other"})
    for done in (first, second):
        (comparison,) = done.user_messages
        assert comparison["embeds"][0]["title"] == "Mara Many vs Ola Other"
        assert comparison["flags"] & 64


async def test_compare_button_on_a_profile_only_another_member_follows(h: BotHarness) -> None:
    """The first author of the Compare form is the profile already shown in the channel: it is
    not resolved again for the presser, who may not see that author by name or id."""
    sally = await seed_author(
        h.bot.database,
        "Sally Secret",
        [
            paper(
                "2503.00001",
                title="A secret result",
                published=NOW - timedelta(days=3),
                authors=["Sally Secret"],
            )
        ],
    )
    owner = h.fake.users[str(OWNER_ID)]
    await h.bot.services.follows.follow(  # the owner (member A) follows Sally for themselves
        Candidate(value=f"author:{sally}", display_name="", local_id=sally),
        scope="me",
        user_id=OWNER_ID,
        guild_id=h.fake.guild_id,
        channel_id=h.fake.channel_id,
    )
    profile = await h.slash("author profile", name="Sally Secret", invoker=owner)
    assert not profile.original_message["flags"] & 64  # public in the channel
    # Member B may not look Sally up themselves...
    peek = await h.slash("author compare", first=f"author:{sally}", second="Ola Other")
    (refused,) = peek.user_messages
    assert refused["flags"] & 64 and "I do not know that author here" in refused["content"]

    # ...but Compare under the profile the channel already shows works for them.
    opened = await press(h, profile.original_message, "compare")
    done = await h.submit_modal(opened, {"compare:second": "Ola Other"})
    (comparison,) = done.user_messages
    assert comparison["flags"] & 64
    assert comparison["embeds"][0]["title"] == "Sally Secret vs Ola Other"

    # The same author twice is still refused (to the owner, who may name Sally).
    opened = await press(h, profile.original_message, "compare", invoker=owner)
    twice = await h.submit_modal(opened, {"compare:second": f"author:{sally}"})
    (reply,) = twice.user_messages
    assert reply["flags"] & 64 and "same author twice" in reply["content"]


async def test_follow_button_uses_the_follow_service_and_its_message(h: BotHarness) -> None:
    profile = (await h.slash("author profile", name="Mara Many")).original_message
    first = await press(h, profile, "follow")
    (reply,) = first.user_messages
    assert reply["flags"] & 64
    # `follow_message`'s wording (weekly, what happens to older papers), not a text of its own
    assert reply["content"].startswith("You now follow **Mara Many**: ")
    assert "weekly" in reply["content"]
    assert reply["content"].endswith("Papers published before now are not announced.")
    again = await press(h, profile, "follow")
    (reply,) = again.user_messages
    assert reply["content"] == "You already follow **Mara Many**."
    async with h.bot.database.reader() as session:
        (mine,) = await FollowRepository(session).list_for_user(MEMBER_ID)
    assert mine.notify == "weekly" and mine.scope == "user" and mine.channel_id is None


async def test_follow_button_after_the_author_is_gone_answers_privately(h: BotHarness) -> None:
    profile = (await h.slash("author profile", name="Mara Many")).original_message
    await forget_author(h, "Mara Many")
    follow = await press(h, profile, "follow")
    (reply,) = follow.user_messages
    assert reply["flags"] & 64 and "no longer stored" in reply["content"]
    async with h.bot.database.reader() as session:
        assert await FollowRepository(session).list_for_user(MEMBER_ID) == []


async def test_profile_buttons_still_work_after_a_restart(
    harness_factory: HarnessFactory, upstream: FakeUpstream, sqlite_url: str
) -> None:
    """Nothing about a profile's buttons lives in memory: a card posted before a restart keeps
    working (its custom ids carry the action and the stored author)."""
    async with author_bot(harness_factory, upstream, database_url=sqlite_url) as h:
        await seed_author(
            h.bot.database,
            "Mara Many",
            [
                paper(
                    "2501.00001",
                    title="Before the restart",
                    published=NOW - timedelta(days=2),
                    authors=["Mara Many"],
                )
            ],
        )
        profile = (await h.slash("author profile", name="Mara Many")).original_message

    async with author_bot(
        harness_factory, upstream, database_url=sqlite_url, migrate=False
    ) as restarted:
        papers = await press(restarted, profile, "papers")
        (page,) = papers.user_messages
        assert page["flags"] & 64 and titles(page) == ["Before the restart"]
        follow = await press(restarted, profile, "follow")
        (reply,) = follow.user_messages
        assert reply["content"].startswith("You now follow **Mara Many**")


async def test_a_slow_lookup_thinks_privately_so_an_unknown_author_never_shows_in_public(
    h: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the quick-answer time, "thinking..." is the asker's alone: an unknown author's
    error replaces it privately; a found author's profile is then posted for the channel."""
    monkeypatch.setattr(h.bot.get_cog("Authors"), "quick_answer_seconds", 0.01)
    real = h.bot.services.profile.profile

    async def slow(name: str, **kwargs: Any) -> Any:
        await asyncio.sleep(0.1)
        if name == "Nobody Known":
            raise NotFoundError("No author found for “Nobody Known”.")
        return await real(name, **kwargs)

    monkeypatch.setattr(h.bot.services.profile, "profile", slow)

    unknown = await h.slash("author profile", name="Nobody Known")
    found = await h.slash("author profile", name="Mara Many")

    assert unknown.callback_type == 5 and unknown.callback.json["data"]["flags"] & 64
    (reply,) = unknown.user_messages
    assert reply["flags"] & 64 and reply["content"] == "No author found for “Nobody Known”."
    assert found.callback_type == 5 and found.callback.json["data"]["flags"] & 64
    note, card = found.user_messages
    assert note["flags"] & 64 and note["content"].startswith("Found **Mara Many**")
    assert not card["flags"] & 64 and card["embeds"][0]["title"] == "Mara Many"  # public
