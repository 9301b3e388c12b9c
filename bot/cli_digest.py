"""`paperscout digest preview (CHANNEL_ID | --user USER_ID) [--json]`: `/digest preview` in a
terminal.

It runs the same `DigestService.preview` the slash command runs (same database, same clock
rules, same card measure, so the same split into messages) and prints what the next digest of
that destination would post if it were planned now. Read only; no Discord connection and no
token (like `db upgrade`, it applies pending migrations first). A channel's server is taken from
its schedule (the operator may look at any channel). The database's INFO lines are kept quiet
(LOG_LEVEL=DEBUG shows them), so stderr holds only what went wrong.
Exit status: 0 printed, 1 no digest is set up there (one line on stderr), 2 configuration error
(handled by `bot.cli`) or a malformed id (argparse).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.services.digest_views import DigestPreview, TargetKind

EXIT_NO_DIGEST = 1


def snowflake(text: str) -> int:
    """A Discord id: a positive integer (argparse turns the ValueError into exit status 2)."""
    if not text.isascii() or not text.isdigit() or int(text) <= 0 or int(text) >= 2**64:
        raise argparse.ArgumentTypeError(f"not a Discord id: {text!r}")
    return int(text)


def add_digest_parser(sub: Any) -> None:
    """Register `digest preview` on the `paperscout` subparsers."""
    digest = sub.add_parser("digest", help="weekly digests")
    digest_sub = digest.add_subparsers(dest="digest_command", required=True)
    preview = digest_sub.add_parser(
        "preview", help="print what the next digest of a channel (or a user's DMs) would post"
    )
    target = preview.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "channel_id", nargs="?", type=snowflake, metavar="CHANNEL_ID", help="the channel's id"
    )
    target.add_argument(
        "--user", type=snowflake, metavar="USER_ID", help="a user's personal DM digest instead"
    )
    preview.add_argument("--json", action="store_true", help="print the raw parts as JSON")
    preview.set_defaults(handler=cmd_digest_preview)


async def _preview(settings: Settings, kind: TargetKind, target_id: int) -> DigestPreview | None:
    """The service's preview, or None when the destination has no digest."""
    from bot.errors import NotFoundError
    from bot.runtime import open_runtime
    from db.repositories.digests import DigestScheduleRepository

    async with open_runtime(settings) as runtime:
        guild_id = None
        if kind == "channel":
            async with runtime.database.reader() as session:
                schedule = await DigestScheduleRepository(session).get_for_target(kind, target_id)
                if schedule is None:
                    return None
                guild_id = schedule.guild_id
        try:
            return await runtime.services.digests.preview(
                target_kind=kind, target_id=target_id, guild_id=guild_id
            )
        except NotFoundError:
            return None


def cmd_digest_preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.render.digest_terminal import preview_json, preview_text
    from db.migrate import upgrade_to_head

    root = logging.getLogger().level
    logging.getLogger("db").setLevel(max(logging.WARNING, root))  # no open/close chatter
    upgrade_to_head(settings.database_url)  # creates a SQLite file's folder
    kind: TargetKind = "dm" if args.user is not None else "channel"
    target_id = args.user if args.user is not None else args.channel_id
    preview = asyncio.run(_preview(settings, kind, target_id))
    if preview is None:
        where = f"channel {target_id}" if kind == "channel" else f"user {target_id}"
        setup = "/digest setup" if kind == "channel" else "/digest me"
        print(
            f"paperscout digest preview: no digest is set up for {where} ({setup} sets one up)",
            file=sys.stderr,
        )
        return EXIT_NO_DIGEST
    if args.json:
        print(json.dumps(preview_json(preview), ensure_ascii=False, indent=2))
    else:
        print(preview_text(preview))
    return 0
