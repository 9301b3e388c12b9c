"""`paperscout digest preview` as a subprocess against a seeded SQLite database: the same
messages, in the same order, as `/digest preview` (`DigestService.preview`) shows."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.clock import SystemClock
from bot.config import Settings
from bot.services.digest_views import DigestPreview
from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import DigestSchedule
from tests.e2e.digest_support import add_authors, add_papers, follow
from tests.harness.clock import ManualClock
from tests.harness.services import digest_service

REPO = Path(__file__).resolve().parents[2]
GUILD, CHANNEL, USER = 333, 222, 111
CARD_TITLE = re.compile(r"^(\d+)\. (.*)$")
LINK = re.compile(r"^\s+https://arxiv\.org/abs/(\S+)$")


async def run_cli(tmp_path: Path, url: str, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(DATABASE_URL=url, PYTHONPATH=str(REPO))  # default LOG_LEVEL, no token
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "digest",
        "preview",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def seeded(tmp_path: Path) -> str:
    """A channel digest and a personal one, a cut-off five days ago, papers on both sides."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'paperscout.db'}"
    (tmp_path / "data").mkdir()
    await upgrade_to_head_async(url)
    now = datetime.now(UTC)
    start = now - timedelta(days=10)
    database = Database(url)
    try:
        ada, grace, alan = await add_authors(
            database, ["Ada Lovelace", "Grace Hopper", "Alan Turing"], now=start
        )
        await follow(
            database, [ada, grace], now=start, channel_id=CHANNEL, guild_id=GUILD, user_id=USER
        )
        await follow(database, [alan], now=start, user_id=USER)  # weekly: the DM digest
        service = digest_service(database, ManualClock(now))
        await service.setup_channel(
            guild_id=GUILD,
            channel_id=CHANNEL,
            weekday=0,
            time_text="09:00",
            timezone="Europe/Zurich",
            user_id=USER,
            style="full",  # ten cards to a message: the split shows in a short preview
        )
        await service.setup_personal(user_id=USER, weekday=4, time_text="07:30", timezone="UTC")
        async with database.transaction() as session:
            await session.execute(update(DigestSchedule).values(last_cutoff_at=now - timedelta(5)))
        # Before the cut-off: in the previous digest, not in this one.
        await add_papers(database, 1, authors=[(ada, "Ada Lovelace")], now=now - timedelta(7))
        # After it: 11 by Ada (two days ago), then 1 by Ada and Grace (yesterday): 2 messages.
        await add_papers(
            database, 11, authors=[(ada, "Ada Lovelace")], now=now - timedelta(2), start=1
        )
        await add_papers(
            database,
            1,
            authors=[(ada, "Ada Lovelace"), (grace, "Grace Hopper")],
            now=now - timedelta(1),
            start=12,
        )
        await add_papers(
            database, 2, authors=[(alan, "Alan Turing")], now=now - timedelta(1), prefix="2612"
        )
    finally:
        await database.dispose()
    return url


async def service_preview(url: str, kind: str, target: int, guild: int | None) -> DigestPreview:
    """What `/digest preview` shows for this destination (the cog renders exactly this)."""
    database = Database(url)
    try:
        service = digest_service(database, SystemClock())
        return await service.preview(target_kind=kind, target_id=target, guild_id=guild)  # type: ignore[arg-type]
    finally:
        await database.dispose()


def printed_ids(out: str) -> list[str]:
    return [m[1] for line in out.splitlines() if (m := LINK.match(line))]


async def test_channel_preview_prints_the_slash_command_digest_in_order(tmp_path: Path) -> None:
    url = await seeded(tmp_path)
    code, out, err = await run_cli(tmp_path, url, str(CHANNEL))
    print(out)  # quoted in the report
    assert code == 0, err
    expected = await service_preview(url, "channel", CHANNEL, GUILD)
    expected_ids = [card.arxiv_id for part in expected.parts for card in part.cards]
    assert expected_ids == [f"2611.{i:05d}" for i in range(1, 13)]  # the old paper is not due
    assert printed_ids(out) == expected_ids
    lines = out.splitlines()
    assert lines[0] == f"Preview of the next digest for channel {CHANNEL} (server {GUILD}) " + (
        "(2 messages)."
    )
    assert lines[1].startswith("It would be posted Mon ") and "Europe/Zurich" in lines[1]
    assert "--- message 1 of 2 ---" in lines and "--- message 2 of 2 ---" in lines
    header = expected.parts[0].content
    assert header.startswith("12 new papers from 2 followed authors, ")
    assert lines[lines.index("--- message 1 of 2 ---") + 1] == header
    numbers = [int(m[1]) for line in lines if (m := CARD_TITLE.match(line))]
    assert numbers == list(range(1, 13))
    last = lines[lines.index("12. " + expected.parts[-1].cards[-1].title) :]
    assert last[1].strip() == "https://arxiv.org/abs/2611.00012"
    assert last[2].strip() == "*Ada Lovelace*, *Grace Hopper*, Co Author"
    assert re.fullmatch(
        r"cs\.LG · \d{4}-\d\d-\d\d · why: Ada Lovelace, Grace Hopper", last[3].strip()
    )


async def test_json_and_personal_digest(tmp_path: Path) -> None:
    url = await seeded(tmp_path)
    code, out, err = await run_cli(tmp_path, url, str(CHANNEL), "--json")
    assert code == 0, err
    data = json.loads(out)
    expected = await service_preview(url, "channel", CHANNEL, GUILD)
    assert (data["target_kind"], data["target_id"], data["guild_id"]) == ("channel", CHANNEL, GUILD)
    assert data["paper_count"] == 12 and data["range_text"] == expected.range_text
    assert [p["content"] for p in data["parts"]] == [p.content for p in expected.parts]
    assert [c["arxiv_id"] for p in data["parts"] for c in p["cards"]] == [
        c.arxiv_id for p in expected.parts for c in p.cards
    ]
    first = data["parts"][0]["cards"][0]
    assert first["url"] == "https://arxiv.org/abs/2611.00001" and first["why"] == ["Ada Lovelace"]
    assert [(a["name"], a["followed"]) for a in first["authors"]] == [
        ("Ada Lovelace", True),
        ("Co Author", False),
    ]

    code, out, err = await run_cli(tmp_path, url, "--user", str(USER))
    assert code == 0, err
    assert (
        out.splitlines()[0] == f"Preview of the next digest for the DMs of user {USER} (1 message)."
    )
    assert printed_ids(out) == ["2612.00000", "2612.00001"]
    personal = await service_preview(url, "dm", USER, None)
    assert printed_ids(out) == [c.arxiv_id for p in personal.parts for c in p.cards]


async def test_unknown_destination_exits_1_with_one_line(tmp_path: Path) -> None:
    url = await seeded(tmp_path)
    code, out, err = await run_cli(tmp_path, url, "999")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "paperscout digest preview: no digest is set up for channel 999 (/digest setup sets one up)"
    ]
    code, out, err = await run_cli(tmp_path, url, "--user", "998")
    assert (code, out, len(err.splitlines())) == (1, "", 1) and "user 998" in err


async def test_bad_channel_id_is_an_argparse_error(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'paperscout.db'}"
    for args in (["general"], ["-5"], [], ["222", "--user", "111"]):
        code, out, err = await run_cli(tmp_path, url, *args)
        assert code == 2 and out == "", args
        assert err.startswith("usage: paperscout digest preview"), err
    assert not (tmp_path / "data").exists()  # nothing was opened or written
