"""`/status` as a Discord embed."""

from __future__ import annotations

from datetime import datetime, timedelta

import discord

from bot.render.text import cut, fit_lines, safe
from bot.services.source_labels import source_label
from bot.services.status_report import StatusReport

OK = "\N{LARGE GREEN CIRCLE}"
BAD = "\N{LARGE RED CIRCLE}"


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    return (
        discord.utils.format_dt(moment, "R")
        if moment <= now
        else discord.utils.format_dt(moment, "f")
    )


def format_uptime(uptime: timedelta) -> str:
    seconds = int(uptime.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if days or hours else []
    parts += [f"{minutes}m", f"{seconds}s"]
    return " ".join(parts)


def health_line(report: StatusReport, now: datetime) -> str:
    """One sentence a member can act on: is the bot finding papers, and since when."""
    if not report.database_ok:
        return f"{BAD} PaperScout cannot reach its database: nothing is checked or sent for now."
    down = [source_label(s.source) for s in report.sources if not s.healthy]
    checked = f"papers last checked {_ago(report.last_poll_at, now)}"
    if down:
        names = ", ".join(dict.fromkeys(down))
        return (
            f"{BAD} {names} not answering right now: new papers may arrive late "
            f"({checked}). Nothing is lost; they come once it answers."
        )
    return f"{OK} PaperScout is running normally: {checked}."


def member_status_embed(report: StatusReport, now: datetime) -> discord.Embed:
    """What a member sees: one health line and this server's digests (the internals are for
    Manage Server: `status_embed`)."""
    embed = discord.Embed(
        title="PaperScout status",
        description=health_line(report, now),
        colour=discord.Colour.blurple(),
    )
    _digest_fields(embed, report, now, queue=False)
    return embed


def status_embed(report: StatusReport, now: datetime) -> discord.Embed:
    """The status card for Manage Server: the bot, the database, then one line per source."""
    embed = discord.Embed(title="PaperScout status", colour=discord.Colour.blurple())
    embed.add_field(name="Version", value=report.version)
    embed.add_field(name="Uptime", value=format_uptime(report.uptime))
    database = f"{OK if report.database_ok else BAD} {report.database_backend}"
    database += " (answering)" if report.database_ok else " (NOT answering)"
    embed.add_field(name="Database", value=database)
    if report.sources:
        lines = []
        for source in report.sources:
            mark = OK if source.healthy else BAD
            last = _ago(source.last_success_at, now)
            line = f"{mark} **{safe(source.source)}**: last success {last}"
            if not source.healthy:
                line += f", {source.consecutive_failures} failures in a row"
                if source.last_error:
                    line += f" ({safe(cut(source.last_error, 120))})"
                if source.next_try_at and source.next_try_at > now:
                    until = discord.utils.format_dt(source.next_try_at, "f")
                    line += f", backing off until {until}"
            lines.append(line)
        embed.add_field(name="Sources", value=fit_lines(lines, 1024), inline=False)
    else:
        embed.add_field(name="Sources", value="No source has been polled yet.", inline=False)
    if report.last_poll_at is not None:
        embed.add_field(name="Last poll", value=_ago(report.last_poll_at, now), inline=False)
    if report.daily_jobs:
        # A daily job that fails stays due and retries hourly: an old date here says so.
        jobs = [f"{name}: last done {_ago(at, now)}" for name, at in report.daily_jobs.items()]
        embed.add_field(name="Daily jobs", value=fit_lines(jobs, 1024), inline=False)
    _digest_fields(embed, report, now)
    return embed


def _digest_fields(
    embed: discord.Embed, report: StatusReport, now: datetime, *, queue: bool = True
) -> None:
    """This server's digests (paused ones first, with why) and the outbox queue, when any."""
    if report.digests:
        lines = []
        for d in sorted(report.digests, key=lambda d: (not d.paused, d.next_digest_at)):
            if d.paused:
                reason = safe(cut(d.paused_reason or "no reason recorded", 150))
                lines.append(
                    f"{BAD} <#{d.channel_id}> paused: {reason}. `/digest setup` resumes it."
                )
            else:
                lines.append(f"{OK} <#{d.channel_id}> next digest {_ago(d.next_digest_at, now)}")
        embed.add_field(name="Digests", value=fit_lines(lines, 1024), inline=False)
    if queue and any(report.queue.values()):
        shown = ("pending", "sending", "sent", "failed", "dead")
        value = " · ".join(f"{status} {report.queue.get(status, 0)}" for status in shown)
        embed.add_field(name="Delivery queue", value=value, inline=False)
