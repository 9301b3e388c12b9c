"""/follow author (and /follow citations) end to end: the fake Discord in front, the fake
upstream (OpenAlex, arXiv) behind.

Storing paths run on SQLite and PostgreSQL; the rest on SQLite. What is asserted is what the
user sees (the recorded Discord requests) and what is stored (rows read back from the bot's
own database).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import func, select

from bot.errors import UpstreamDown
from db.models import Author, AuthorNameKey, CitationFollow, Follow
from db.repositories.authors import AuthorRepository
from db.repositories.papers import PaperRepository
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_discord import FakeDiscord
from tests.harness.fake_upstream import FakeUpstream, Fault, arxiv_feed
from tests.harness.fixtures import HarnessFactory

PIWOWAR = "A5048491430"
MEARMAN = "A5017898742"
EPHEMERAL = 64
MANAGE = discord.Permissions(manage_guild=True)


START = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
# Her own papers in the recorded name search (the astro-ph.GA one is a namesake's).
HER_PAPERS = {"2409.01234", "2306.05678", "2204.11111", "2111.02222"}


@pytest.fixture
def clock() -> ManualClock:
    """`now()` moves only when the test says so; `monotonic()` one second per reading.

    The sources' rate limiters wait on `monotonic()` with real sleeps: a frozen monotonic
    clock would make them wait for ever, and a real one would make the tests sleep. A second
    per reading means every limiter gap (0.1 s for OpenAlex) has always passed.
    """
    return ManualClock(START, monotonic_tick=1.0)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """The recorded fixtures, plus catch-alls: any other search finds nobody, arXiv nothing."""
    async with FakeUpstream() as server:
        json_type = "application/json"
        # No query matchers: these lose to every recorded route that names its query.
        server.add_route(
            "GET",
            "/openalex/authors",
            fixture="openalex/synthetic_authors_search-empty.json",
            content_type=json_type,
        )
        server.add_route(
            "GET",
            "/openalex/autocomplete/authors",
            fixture="openalex/synthetic_autocomplete_authors_empty.json",
            content_type=json_type,
        )
        server.add_route(
            "GET",
            "/api/query",
            body=arxiv_feed([]),
            content_type="application/atom+xml; charset=utf-8",
        )
        yield server


def upstream_settings(upstream: FakeUpstream) -> dict[str, Any]:
    # Semantic Scholar not configured: a typed name is searched on OpenAlex alone here (the
    # default URL is the real service, which a test must never reach).
    return {
        "openalex_api_url": upstream.openalex_url,
        "semantic_scholar_api_url": "",
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_min_interval_seconds": 0,
    }


def no_backoff(h: BotHarness) -> None:
    """Retries without real waiting (the fault tests answer 503, which the sources retry)."""

    async def sleep(_: float) -> None:
        return None

    assert h.bot.runtime is not None
    sources = h.bot.runtime.sources
    for source in (sources.openalex, sources.arxiv_api):
        source.http.options = replace(source.http.options, sleep=sleep)


@pytest.fixture
async def h(
    harness_factory: HarnessFactory, upstream: FakeUpstream, clock: ManualClock
) -> AsyncIterator[BotHarness]:
    """The bot on SQLite (direct and gateway modes), sources pointed at the fake upstream."""
    async with harness_factory(settings=upstream_settings(upstream), clock=clock) as harness:
        yield harness


@pytest.fixture
async def h_any_db(
    harness_factory: HarnessFactory,
    upstream: FakeUpstream,
    clock: ManualClock,
    database_url: str,
) -> AsyncIterator[BotHarness]:
    """The same on SQLite and on PostgreSQL."""
    async with harness_factory(
        database_url=database_url, settings=upstream_settings(upstream), clock=clock
    ) as harness:
        yield harness


@dataclass
class Stored:
    authors: list[Author]
    follows: list[Follow]
    keys: dict[int, list[str]]

    @property
    def counts(self) -> tuple[int, int, int]:
        return len(self.authors), len(self.follows), sum(len(k) for k in self.keys.values())


async def stored(h: BotHarness) -> Stored:
    """Every author, follow and name key in the bot's database."""
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        authors = list((await session.execute(select(Author).order_by(Author.id))).scalars())
        follows = list((await session.execute(select(Follow).order_by(Follow.id))).scalars())
        keys: dict[int, list[str]] = {}
        for author in authors:
            keys[author.id] = await AuthorRepository(session).name_keys_of(author.id)
        total_keys = (
            await session.execute(select(func.count()).select_from(AuthorNameKey))
        ).scalar_one()
    assert total_keys == sum(len(k) for k in keys.values())
    return Stored(authors, follows, keys)


async def linked_arxiv_ids(h: BotHarness, author_id: int) -> set[str]:
    """The arXiv ids of the papers linked to the author."""
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        papers = await PaperRepository(session).papers_for_author(author_id, limit=1000)
    return {p.arxiv_id for p in papers}


def reply(ex: Any) -> str:
    """The text the invoker sees now (original response, after any followup replaced it)."""
    message = ex.original_message
    assert message["flags"] & EPHEMERAL, "every /follow reply is ephemeral"
    return str(message["content"])


def select_options(message: dict[str, Any]) -> list[dict[str, Any]]:
    (row,) = message["components"]
    (select_menu,) = row["components"]
    assert select_menu["type"] == 3
    return list(select_menu["options"])


# --- following ----------------------------------------------------------------------------


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_follow_with_an_autocomplete_value_stores_the_author_and_the_follow(
    h_any_db: BotHarness, upstream: FakeUpstream, clock: ManualClock
) -> None:
    h = h_any_db
    typing = await h.autocomplete("follow author", focused="name", name="piwowar")
    choices = typing.choices
    assert choices[0] == {
        "name": "Heather Piwowar · OpenAlex · 96 works",
        "value": f"openalex:{PIWOWAR}",
    }
    assert choices[1] == {
        "name": "Joseph Mearman · Bangor University · 9 works",
        "value": f"openalex:{MEARMAN}",
    }
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)

    ex = await h.slash("follow author", name=choices[0]["value"])
    assert ex.callback_type == 5 and ex.callback.json["data"]["flags"] == EPHEMERAL  # deferred
    # No `/digest me` yet: the reply says how to get the weekly DM the follow feeds.
    assert reply(ex) == (
        "You now follow **Heather Piwowar** (OpenAlex): their new papers go into your weekly "
        "digest, which is not set up yet: run `/digest me weekday time timezone` to get a "
        "weekly DM. Usual categories: cs.DL · Digital Libraries, cs.CY · Computers and "
        "Society. Papers published before now are not announced."
    )
    assert ex.original_message["mentions"] == []

    rows = await stored(h)
    (author,) = rows.authors
    assert author.openalex_id == PIWOWAR and author.display_name == "Heather Piwowar"
    assert author.orcid == "0000-0003-1613-5981"
    # The initial-only variant "H. Piwowar" is left out: the full name's initial key covers it.
    assert author.name_variants == [
        "Heather Piwowar",
        "Heather Alyce Piwowar",
        "Heather A. Piwowar",
        "Piwowar Heather",
    ]
    assert author.affiliations[0] == "OpenAlex"
    assert author.usual_categories == ["cs.DL", "cs.CY"]  # the astro-ph.GA paper is someone else's
    assert {"heather piwowar", "h piwowar", "heather alyce piwowar"} <= set(rows.keys[author.id])
    (follow,) = rows.follows
    assert follow.scope == "user"
    assert follow.target_id == int(h.fake.member["id"]) and follow.guild_id == h.fake.guild_id
    assert follow.notify == "weekly" and follow.created_at == START  # priming point
    (query,) = upstream.requests_to("/api/query")
    assert query.query["search_query"] == 'au:"Heather Piwowar"'
    assert query.query["max_results"] == "200" and query.query["sortBy"] == "submittedDate"
    # Her earlier papers are stored with the follow (her profile shows them at once).
    # OpenAlex's works are not routed here: nothing confirmed her papers, the guard did.
    assert author.papers_fetched_at == START and author.arxiv_confirmed is None
    assert await linked_arxiv_ids(h, author.id) == HER_PAPERS

    # Again, later, for instant alerts: one follow, its priming point kept, no new arXiv call.
    clock.advance(timedelta(days=2))
    again = await h.slash("follow author", name=f"openalex:{PIWOWAR}", notify="instant")
    assert reply(again) == (
        "You already follow **Heather Piwowar** (OpenAlex). Notifications are now **instant**."
    )
    rows = await stored(h)
    (follow,) = rows.follows
    assert follow.notify == "instant" and follow.created_at == START
    assert len(upstream.requests_to("/api/query")) == 1

    # Following again without `notify` keeps instant.
    third = await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    assert reply(third) == "You already follow **Heather Piwowar** (OpenAlex)."
    assert (await stored(h)).follows[0].notify == "instant"


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_a_typed_unique_name_is_followed_directly(
    h_any_db: BotHarness, upstream: FakeUpstream
) -> None:
    ex = await h_any_db.slash("follow author", name="  Heather Piwowar ")
    assert reply(ex).startswith("You now follow **Heather Piwowar** (OpenAlex)")
    (search,) = upstream.requests_to("/openalex/authors")
    assert search.query["search"] == "Heather Piwowar"
    rows = await stored(h_any_db)
    assert [a.openalex_id for a in rows.authors] == [PIWOWAR]
    assert [(f.scope, f.notify) for f in rows.follows] == [("user", "weekly")]


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_an_ambiguous_name_offers_a_menu_and_stores_only_the_pick(
    h_any_db: BotHarness, upstream: FakeUpstream
) -> None:
    h = h_any_db
    ex = await h.slash("follow author", name="mearman", scope="channel", permissions=MANAGE)
    menu = ex.original_message
    assert menu["flags"] & EPHEMERAL
    assert menu["content"] == (
        "Several authors match “mearman”. Pick the one you mean below (nothing is stored "
        "until you do)."
    )
    options = select_options(menu)
    assert len(options) == 8
    assert options[1] == {
        "label": "Joseph Mearman",
        "value": f"openalex:{MEARMAN}",
        "description": "Bangor University · Computer Vision and Pattern Recognition · 9 works",
        "default": False,
    }
    assert all(len(o["label"]) <= 100 and len(o.get("description") or "") <= 100 for o in options)
    assert (await stored(h)).counts == (0, 0, 0)  # nothing before the pick

    # Someone else presses the menu: refused, privately; still nothing stored.
    intruder = await h.component(
        "follows:pick", message=menu, values=[f"openalex:{MEARMAN}"], invoker=h.fake.owner
    )
    assert intruder.callback_type == 4 and intruder.callback.json["data"]["flags"] == EPHEMERAL
    assert intruder.callback.json["data"]["content"].startswith(
        "Only the person who ran `/follow` can use this."
    )
    assert (await stored(h)).counts == (0, 0, 0)

    picked = await h.component(
        "follows:pick", message=menu, values=[f"openalex:{MEARMAN}"], permissions=MANAGE
    )
    assert picked.callback_type == 6  # deferred update: the menu message is edited
    shown = h.fake.messages[menu["id"]]
    assert shown["content"] == (
        "This channel now follows **Joseph Mearman** (Bangor University): new papers go into its "
        "weekly digest, which is not set up yet: a moderator can run `/digest setup` to post "
        "them here. No papers found for them yet: you will hear when one appears. "
        "Papers published before now are not announced."
    )
    assert shown["components"] == []
    rows = await stored(h)
    (author,) = rows.authors
    assert author.openalex_id == MEARMAN
    assert author.name_variants == ["Joseph Mearman", "Joseph W. Mearman"]
    assert author.usual_categories == []  # arXiv knows no paper by him (empty feed)
    (follow,) = rows.follows
    assert (follow.scope, follow.target_id) == ("channel", h.fake.channel_id)


async def test_a_pick_that_fails_leaves_the_menu_usable(
    h: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upstream failure on the pick answers privately and keeps the menu alive: picking
    again follows (no "This interaction failed"); a second click during a pick does not."""
    ex = await h.slash("follow author", name="mearman")
    menu = ex.original_message
    service = h.bot.services.follows
    real_follow = service.follow
    entered, release = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls.append("follow")
        if len(calls) == 1:
            raise UpstreamDown("OpenAlex is not answering. Try again in a few minutes.")
        entered.set()
        await release.wait()
        return await real_follow(*args, **kwargs)

    monkeypatch.setattr(service, "follow", failing_once)
    value = [f"openalex:{MEARMAN}"]
    failed = await h.component("follows:pick", message=menu, values=value)
    assert failed.callback_type == 6
    (error,) = failed.followup_messages
    assert error["flags"] & EPHEMERAL and error["content"].startswith("OpenAlex is not answering")
    shown = h.fake.messages[menu["id"]]
    assert shown["content"].startswith("Several authors match")  # the menu is still there
    assert select_options(shown) and not shown["components"][0]["components"][0].get("disabled")
    assert (await stored(h)).counts == (0, 0, 0)

    # Pick again: it follows. A click while that pick is in progress follows nothing twice.
    second = asyncio.create_task(h.component("follows:pick", message=menu, values=value))
    await asyncio.wait_for(entered.wait(), 5)
    double = await h.component("follows:pick", message=menu, values=value)
    assert double.callback_type == 4 and double.callback.json["data"]["flags"] == EPHEMERAL
    assert double.callback.json["data"]["content"].startswith("Already following the author")
    release.set()
    picked = await second
    assert picked.callback_type == 6 and calls == ["follow", "follow"]
    shown = h.fake.messages[menu["id"]]
    assert shown["content"].startswith("You now follow **Joseph Mearman**")
    assert shown["components"] == []
    (follow,) = (await stored(h)).follows
    assert follow.scope == "user"


async def test_an_unknown_name_gets_no_author_found_with_suggestions(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    ex = await h.slash("follow author", name="Zyxwvut Qqqq")
    assert reply(ex) == (
        "No author found for “Zyxwvut Qqqq”. Check the spelling, or type part of the name and "
        "pick from the list."
    )
    typo = await h.slash("follow author", name="Heather Piwowarz")
    assert reply(typo) == (
        "No author found for “Heather Piwowarz”. Did you mean: Heather Piwowar (OpenAlex), "
        "Heather Piwowar-Example, Joseph Mearman (Bangor University)? Pick one below, or from "
        "the list as you type."
    )
    assert (await stored(h)).counts == (0, 0, 0)
    assert upstream.requests_to("/api/query") == []

    # The suggestions are buttons: one press follows the one meant, nothing to retype.
    (message,) = [m for m in typo.user_messages if m.get("components")]
    buttons = [c for row in message["components"] for c in row["components"]]
    assert [b["label"] for b in buttons] == [
        "Heather Piwowar (OpenAlex)",
        "Heather Piwowar-Example",
        "Joseph Mearman (Bangor University)",
    ]
    pressed = await h.component(buttons[0]["custom_id"], message=message)
    assert pressed.user_messages[-1]["content"].startswith("You now follow **Heather Piwowar**")
    (follow,) = (await stored(h)).follows
    assert follow.scope == "user"


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "The author name is empty."),
        ("   ", "The author name is empty."),
        ("x" * 1000, "That name is 1,000 characters long; an author name has at most 200."),
        ("@everyone", "Author names cannot contain mentions"),
        ("Heather @here Piwowar", "Author names cannot contain mentions"),
        ("<@123456789012345678>", "Author names cannot contain mentions"),
        ("**Heather Piwowar**", "Author names cannot contain formatting"),
        ("[Heather](https://example.com)", "Author names cannot contain formatting"),
        ("# Heather", "Author names cannot contain formatting"),
        ("Heather\nPiwowar", "The name contains control characters"),
        ("Heather\u200bPiwowar", "The name contains control characters"),
    ],
)
async def test_bad_input_is_explained_and_nothing_is_written(
    h: BotHarness, upstream: FakeUpstream, name: str, problem: str
) -> None:
    ex = await h.slash("follow author", name=name)
    assert ex.callback_type == 4  # answered at once: no defer, no upstream call
    data = ex.callback.json["data"]
    assert data["flags"] == EPHEMERAL and data["content"].startswith(problem)
    assert "Traceback" not in data["content"] and len(data["content"]) < 300
    assert upstream.requests == []
    assert (await stored(h)).counts == (0, 0, 0)


async def test_unknown_ids_are_bad_or_not_found_and_nothing_is_written(h: BotHarness) -> None:
    bad = await h.slash("follow author", name="openalex:../../admin")
    assert reply(bad).startswith("That is not an OpenAlex author id.")
    missing = await h.slash("follow author", name="openalex:A5000000001")
    assert reply(missing).startswith("OpenAlex has no author `A5000000001`.")
    local = await h.slash("follow author", name="author:999")
    assert reply(local).startswith("I do not know that author here.")
    assert (await stored(h)).counts == (0, 0, 0)


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_only_manage_server_can_follow_for_the_channel(
    h_any_db: BotHarness, upstream: FakeUpstream
) -> None:
    h = h_any_db
    # /follow is visible to plain members (scope:me is theirs): no default permission on it.
    assert h.schema("follow author").get("default_member_permissions") is None

    denied = await h.slash("follow author", name=f"openalex:{PIWOWAR}", scope="channel")
    assert denied.callback_type == 4
    data = denied.callback.json["data"]
    assert data["flags"] == EPHEMERAL and data["content"] == (
        "Following for this channel needs the Manage Server permission. Use `scope:me` to "
        "follow for yourself."
    )
    assert upstream.requests == [] and (await stored(h)).counts == (0, 0, 0)

    allowed = await h.slash(
        "follow author", name=f"openalex:{PIWOWAR}", scope="channel", permissions=MANAGE
    )
    assert reply(allowed).startswith("This channel now follows **Heather Piwowar**")
    (follow,) = (await stored(h)).follows
    assert (follow.scope, follow.target_id, follow.channel_id) == (
        "channel",
        h.fake.channel_id,
        h.fake.channel_id,
    )
    assert follow.user_id == int(h.fake.member["id"])  # who set it up

    # scope:me by the same plain member touches only their own follows.
    mine = await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    assert reply(mine).startswith("You now follow **Heather Piwowar**")
    follows = (await stored(h)).follows
    assert sorted((f.scope, f.target_id) for f in follows) == [
        ("channel", h.fake.channel_id),
        ("user", int(h.fake.member["id"])),
    ]


async def test_a_channel_pick_needs_manage_server_at_the_pick_too(h: BotHarness) -> None:
    """The menu of a channel follow checks the permission of whoever picks, when they pick."""
    ex = await h.slash("follow author", name="mearman", scope="channel", permissions=MANAGE)
    menu = ex.original_message
    value = [f"openalex:{MEARMAN}"]
    refused = await h.component("follows:pick", message=menu, values=value)  # no Manage Server
    assert refused.callback_type == 4 and refused.callback.json["data"]["flags"] == EPHEMERAL
    assert refused.callback.json["data"]["content"].startswith(
        "Following for this channel needs the Manage Server permission."
    )
    assert (await stored(h)).counts == (0, 0, 0)
    picked = await h.component("follows:pick", message=menu, values=value, permissions=MANAGE)
    assert picked.callback_type == 6
    (follow,) = (await stored(h)).follows
    assert follow.scope == "channel"


async def test_an_initial_only_name_is_stored_without_initial_only_variants(h: BotHarness) -> None:
    """`follow()` stores identities as `author_fetch.store_identity` does (see bot/names/)."""
    from bot.services.author_fetch import match_keys
    from bot.services.candidates import Candidate

    await h.bot.services.follows.follow(
        Candidate(
            value="openalex:A5000000001",
            display_name="H. Piwowar",
            openalex_id="A5000000001",
            name_variants=("H. Piwowar", "H. A. Piwowar"),
            affiliations=("", "OpenAlex"),
        ),
        scope="me",
        user_id=int(h.fake.member["id"]),
        guild_id=h.fake.guild_id,
        channel_id=h.fake.channel_id,
    )
    rows = await stored(h)
    (author,) = rows.authors
    assert author.name_variants == []  # the display name alone is matched on
    assert author.affiliations == ["OpenAlex"]
    assert rows.keys[author.id] == sorted(match_keys(["H. Piwowar"]))


# --- the digest a weekly follow feeds ----------------------------------------------------------


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_a_weekly_follow_without_a_digest_says_how_to_get_one(
    h_any_db: BotHarness,
) -> None:
    h = h_any_db
    first = await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    assert "which is not set up yet: run `/digest me weekday time timezone`" in reply(first)
    channel = await h.slash(
        "follow author", name=f"openalex:{PIWOWAR}", scope="channel", permissions=MANAGE
    )
    assert reply(channel).startswith(
        "This channel now follows **Heather Piwowar** (OpenAlex): new papers go into its "
        "weekly digest, which is not set up yet: a moderator can run `/digest setup` to post "
        "them here."
    )
    # Instant follows need no digest: nothing about one.
    instant = await h.slash("follow author", name=f"openalex:{MEARMAN}", notify="instant")
    assert reply(instant) == (
        "You now follow **Joseph Mearman** (Bangor University): you will get a DM as soon as "
        "they post a new paper. No papers found for them yet: you will hear when one "
        "appears. Papers published before now are not announced."
    )
    # Back to weekly, still without a digest: said again.
    weekly = await h.slash("follow author", name=f"openalex:{MEARMAN}", notify="weekly")
    assert reply(weekly) == (
        "You already follow **Joseph Mearman** (Bangor University). Notifications are now "
        "**weekly**. You have no weekly digest yet: run `/digest me weekday time timezone` to "
        "get a weekly DM."
    )

    # With a DM digest (and only the invoker's own: the channel still has none).
    assert "Monday" in reply(await h.slash("digest me", weekday=0, time="07:30", timezone="UTC"))
    await h.slash("unfollow author", name=f"openalex:{PIWOWAR}")
    mine = await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    assert reply(mine) == (
        "You now follow **Heather Piwowar** (OpenAlex): you will get their new papers in your "
        "weekly digest. Usual categories: cs.DL · Digital Libraries, cs.CY · Computers and "
        "Society. Papers published before now are not "
        "announced."
    )
    other = await h.slash("follow author", name=f"openalex:{PIWOWAR}", invoker=h.fake.owner)
    assert "which is not set up yet: run `/digest me" in reply(other)


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_a_channel_follow_with_a_digest_set_up_needs_no_hint(h: BotHarness) -> None:
    setup = await h.slash(
        "digest setup",
        option_values={"channel": str(h.fake.channel_id)},
        weekday=0,
        time="09:00",
        timezone="UTC",
        permissions=MANAGE,
    )
    assert "Monday" in reply(setup)
    ex = await h.slash(
        "follow author", name=f"openalex:{MEARMAN}", scope="channel", permissions=MANAGE
    )
    assert reply(ex) == (
        "This channel now follows **Joseph Mearman** (Bangor University): new papers are posted "
        "here in its weekly digest. No papers found for them yet: you will hear when "
        "one appears. Papers published before now are not announced."
    )


# --- upstream failures --------------------------------------------------------------------


async def test_autocomplete_falls_back_to_local_choices_when_openalex_fails(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    await h.slash("follow author", name="Heather Piwowar", scope="channel", permissions=MANAGE)
    no_backoff(h)
    upstream.add_fault("/openalex/autocomplete/authors", Fault.http_status(503))
    ex = await h.autocomplete("follow author", focused="name", name="heather", invoker=h.fake.owner)
    (author,) = (await stored(h)).authors
    assert ex.choices == [
        {
            "name": "Heather Piwowar · OpenAlex (followed here)",
            "value": f"openalex:{PIWOWAR}",
        }
    ]
    assert len(upstream.requests_to("/openalex/autocomplete/authors")) >= 1
    assert author.openalex_id == PIWOWAR


async def test_an_arxiv_outage_does_not_block_the_follow(
    h: BotHarness, upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    no_backoff(h)
    upstream.add_fault("/api/query", Fault.http_status(503))
    with caplog.at_level(logging.WARNING, logger="bot.services.paper_history"):
        ex = await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    assert reply(ex) == (
        "You now follow **Heather Piwowar** (OpenAlex): their new papers go into your weekly "
        "digest, which is not set up yet: run `/digest me weekday time timezone` to get a "
        "weekly DM. arXiv is not answering right now: their earlier papers will be fetched "
        "with the next poll. Papers published before now are not announced."
    )
    (author,) = (await stored(h)).authors
    assert author.usual_categories == [] and author.papers_fetched_at is None  # to fetch again
    assert await linked_arxiv_ids(h, author.id) == set()
    assert any("arXiv search" in r.getMessage() for r in caplog.records)


async def test_an_openalex_outage_on_a_typed_name_says_so(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    no_backoff(h)
    upstream.add_fault("/openalex/authors", Fault.http_status(503))
    ex = await h.slash("follow author", name="Heather Piwowar")
    assert reply(ex) == (
        "I cannot search authors right now: OpenAlex is not answering. Try again in a few minutes."
    )
    assert (await stored(h)).counts == (0, 0, 0)


# --- isolation ------------------------------------------------------------------------------


def add_second_guild(fake: FakeDiscord) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Another server (its owner bob, a #lab channel), where the commands are registered too."""
    from tests.harness import payloads as p

    bob = fake.add_user("bob", global_name="Bob")
    gid = str(p.new_id())
    bot_role = p.role(gid, "PaperScout", permissions=p.BOT_PERMISSIONS, position=1)
    guild = p.guild(gid, "Other Lab", owner_id=bob["id"], roles=[p.role(gid), bot_role])
    fake.guilds[gid] = guild
    fake.members[gid] = {}
    fake.add_member(gid, fake.bot_user, roles=[bot_role["id"]])
    fake.add_member(gid, bob)
    channel = fake.add_text_channel(gid, "lab")
    return guild, channel, bob


def register_commands_in(fake: FakeDiscord, guild: dict[str, Any]) -> None:
    """As if the bot had synced its commands to the second server as well."""
    fake.guild_commands[guild["id"]] = [
        {**command, "guild_id": guild["id"]} for command in fake.guild_commands[str(fake.guild_id)]
    ]


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_another_server_never_sees_this_servers_follows(
    harness_factory: HarnessFactory,
    fake_discord: FakeDiscord,
    upstream: FakeUpstream,
    database_url: str,
) -> None:
    guild2, lab, bob = add_second_guild(fake_discord)
    async with harness_factory(
        database_url=database_url, settings=upstream_settings(upstream)
    ) as h:
        register_commands_in(h.fake, guild2)
        await h.slash("follow author", name="Heather Piwowar", scope="channel", permissions=MANAGE)
        await h.slash("follow author", name=f"openalex:{MEARMAN}")  # alice, for herself
        rows = await stored(h)
        assert rows.counts[:2] == (2, 2)
        piwowar_id = next(a.id for a in rows.authors if a.openalex_id == PIWOWAR)

        # Server 1 sees its own authors while typing (no upstream needed for an empty prefix):
        # the channel's, then alice's personal follow, which only alice sees.
        here = await h.autocomplete("follow author", focused="name", name="")
        assert [c["name"] for c in here.choices] == [
            "Heather Piwowar · OpenAlex (followed here)",
            "Joseph Mearman · Bangor University (you follow)",
        ]

        where = {"guild": guild2, "channel": lab, "invoker": bob}
        for prefix in ("", "heather", "mearman"):
            there = await h.autocomplete("follow author", focused="name", name=prefix, **where)
            assert there.choices == [], prefix
            gone = await h.autocomplete("unfollow author", focused="name", name=prefix, **where)
            assert gone.choices == [], prefix
        mine = await h.slash("following", **where)
        assert reply(mine) == "You follow no authors yet. Add one with `/follow author`."
        channel = await h.slash("following", scope="channel", **where)
        assert reply(channel).startswith("This channel follows no authors yet.")
        peek = await h.slash("follow author", name=f"author:{piwowar_id}", **where)
        assert reply(peek).startswith("I do not know that author here.")
        steal = await h.slash("unfollow author", name="Heather Piwowar", scope="channel", **where)
        assert reply(steal).startswith("“Heather Piwowar” is not among the authors this channel")
        assert (await stored(h)).counts[:2] == (2, 2)


@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)
async def test_follow_through_the_gateway(h: BotHarness) -> None:
    """The same command through the websocket receive path."""
    ex = await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    assert reply(ex).startswith("You now follow **Heather Piwowar**")
    assert "Usual categories: cs.DL · Digital Libraries, cs.CY · Computers and Society." in reply(
        ex
    )
    assert (await stored(h)).counts[:2] == (1, 1)


async def test_an_expired_menu_is_disabled_and_stores_nothing(h: BotHarness) -> None:
    ex = await h.slash("follow author", name="mearman")
    menu = ex.original_message
    view = h.bot._connection._view_store._synced_message_views[int(menu["id"])]
    await view.on_timeout()  # what discord.py calls when the 180 s run out
    shown = h.fake.messages[menu["id"]]
    assert shown["content"] == (
        "This menu expired: nothing was followed. Run `/follow author` again."
    )
    (row,) = shown["components"]
    assert row["components"][0]["disabled"] is True
    assert (await stored(h)).counts == (0, 0, 0)


# --- /follow citations (the same resolver, menu and rules) -----------------------------------


async def count_rows(h: BotHarness, model: type) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


def answer_text(ex: object) -> str:
    message = ex.original_message or ex.callback.json["data"]  # type: ignore[attr-defined]
    return str(message["content"])


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_an_ambiguous_name_offers_the_menu_and_a_pick_without_papers_stores_nothing(
    h_any_db: BotHarness,
) -> None:
    h = h_any_db
    ex = await h.slash("follow citations", author="mearman")
    menu = ex.original_message
    assert menu["flags"] & EPHEMERAL
    assert menu["content"].startswith("Several authors match “mearman”.")
    assert len(select_options(menu)) == 8

    # arXiv knows no paper by him (the catch-all feed is empty): nothing to watch.
    picked = await h.component("follows:pick", message=menu, values=[f"openalex:{MEARMAN}"])
    (error,) = picked.followup_messages
    assert error["flags"] & EPHEMERAL
    assert "nothing to watch yet" in error["content"]
    assert (await count_rows(h, Author), await count_rows(h, CitationFollow)) == (0, 0)


async def test_follow_list_and_unfollow_the_citations_of_an_author(h: BotHarness) -> None:
    # The same choices as `/follow author` as you type.
    typing = await h.autocomplete("follow citations", focused="author", author="piwowar")
    assert typing.choices[0] == {
        "name": "Heather Piwowar · OpenAlex · 96 works",
        "value": f"openalex:{PIWOWAR}",
    }
    ex = await h.slash("follow citations", author="Heather Piwowar", self_citations=True)
    text = answer_text(ex)
    assert text.startswith("You now follow the citations of **Heather Piwowar**"), text
    assert "Watching all 4 tracked papers, once a day; self-citations included." in text
    assert "weekly digest that is not set up yet" in text

    # Again, instant: the same follow, its options changed (self-citations kept as set).
    ex = await h.slash("follow citations", author="Heather Piwowar", notify="instant")
    assert answer_text(ex).startswith("You already follow the citations of **Heather Piwowar**")
    async with h.bot.database.reader() as session:
        (follow,) = (await session.scalars(select(CitationFollow))).all()
    assert (follow.notify, follow.include_self) == ("instant", True)

    # Her papers are not followed by this: /following lists the citation follow alone.
    listing = await h.slash("following")
    (embed,) = listing.original_message["embeds"]
    assert embed["description"].startswith(
        "Citations of **Heather Piwowar** · all 4 tracked papers · self-citations included"
    )
    assert " · instant · since " in embed["description"]
    assert embed["footer"]["text"] == "Page 1/1 · 1 follow"

    # Another member sees none of it, and cannot unfollow it.
    other = await h.slash("following", invoker=h.fake.owner)
    assert "no authors yet" in answer_text(other)
    choices = await h.autocomplete("unfollow citations", focused="author", author="piwo")
    assert next(c["name"] for c in choices.choices).startswith("Heather Piwowar")
    refused = await h.slash("unfollow citations", author="Heather Piwowar", invoker=h.fake.owner)
    assert "is not among the authors whose citations you follow" in answer_text(refused)
    assert await count_rows(h, CitationFollow) == 1

    ex = await h.slash("unfollow citations", author="Heather Piwowar")
    assert answer_text(ex) == "You no longer follow the citations of **Heather Piwowar**."
    assert await count_rows(h, CitationFollow) == 0


async def test_a_channel_needs_manage_server_and_bad_input_writes_nothing(h: BotHarness) -> None:
    refused = await h.slash("follow citations", author="Heather Piwowar", scope="channel")
    assert "Manage Server" in answer_text(refused)
    empty = await h.slash("follow citations", author="   ")
    assert answer_text(empty)  # the name validator's message, privately
    assert (await count_rows(h, Author), await count_rows(h, CitationFollow)) == (0, 0)

    ex = await h.slash(
        "follow citations", author="Heather Piwowar", scope="channel", permissions=MANAGE
    )
    assert answer_text(ex).startswith(
        "This channel now follows the citations of **Heather Piwowar**"
    )
    listing = await h.slash("following", scope="channel")
    (embed,) = listing.original_message["embeds"]
    assert embed["description"].startswith("Citations of **Heather Piwowar**")
