"""When a weekly digest is due: weekday + local time in an IANA zone, converted to UTC.

Pure functions, no I/O. Every user-typed value is validated here and refused with `BadInput`
(a short message saying how to fix it), so nothing is written on bad input.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from bot.errors import BadInput
from bot.services.zone_names import canonical_zones, zone_aliases

log = logging.getLogger(__name__)

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
MAX_ZONE_CHOICES = 25  # Discord shows at most 25 autocomplete choices


def weekday_index(value: int | str) -> int:
    """0 (Monday) to 6 (Sunday) from an index or a (case-insensitive, prefix >= 3) name."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    text = str(value).strip().lower()
    if len(text) >= 3:
        for index, name in enumerate(WEEKDAYS):
            if name.lower().startswith(text):
                return index
    raise BadInput(f"{str(value)[:40]!r} is not a weekday: pick one from Monday to Sunday.")


def parse_local_time(text: str) -> str:
    """'9:00' or '09:00' -> '09:00'; anything else (25:00, 9am, 09:60) is refused."""
    match = _TIME.fullmatch(text.strip())
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour <= 23 and minute <= 59:
            return f"{hour:02d}:{minute:02d}"
    raise BadInput(
        f"{text[:40]!r} is not a time: use HH:MM in 24-hour format, for example 09:00 or 17:30."
    )


@lru_cache(maxsize=1)
def _zones() -> tuple[tuple[str, ...], dict[str, str]]:
    """The canonical names (offered) and every accepted spelling -> its canonical name."""
    names = canonical_zones()
    accepted = {alias.lower(): name for alias, name in zone_aliases().items()}
    accepted.update({name.lower(): name for name in names})
    return names, accepted


def resolve_timezone(name: str) -> str:
    """The canonical IANA name for `name` (case-insensitive), or `BadInput`.

    Only the places of `bot.services.zone_names` are accepted (an old alias such as US/Eastern
    becomes its canonical name); never a host-only name (`localtime`), a non-place (`Factory`,
    `EST`) or a file path that ZoneInfo would read.
    """
    _names, by_lower = _zones()
    found = by_lower.get(name.strip().lower())
    if found is None:
        raise BadInput(
            f"{name[:60]!r} is not a time zone I know: pick one from the list as you type, "
            "for example Europe/Zurich or America/New_York."
        )
    return found


def timezone_suggestions(query: str, limit: int = MAX_ZONE_CHOICES) -> list[str]:
    """IANA names for an autocomplete: prefix matches (of the name or its city) first."""
    names, _by_lower = _zones()
    text = query.strip().lower().replace(" ", "_")
    if not text:
        preferred = ["UTC", "Europe/London", "Europe/Zurich", "America/New_York", "Asia/Tokyo"]
        return preferred[:limit]
    prefix, city, inside = [], [], []
    for name in names:
        lower = name.lower()
        if lower.startswith(text):
            prefix.append(name)
        elif lower.rsplit("/", 1)[-1].startswith(text):
            city.append(name)
        elif text in lower:
            inside.append(name)
    return (prefix + city + inside)[:limit]


def next_occurrence(weekday: int, local_time: str, timezone: str, after: datetime) -> datetime:
    """The first instant strictly after `after` that is `weekday` at `local_time` in `timezone`.

    Returned in UTC. A local time skipped by a DST jump (02:30 on the spring-forward night)
    is taken with the offset before the jump, so it lands one hour later in wall time; an
    ambiguous one (the autumn night) is its first occurrence.
    """
    zone = zoneinfo.ZoneInfo(timezone)
    hour, minute = (int(part) for part in local_time.split(":"))
    start: date = after.astimezone(zone).date()
    for offset in range(0, 9):
        day = start + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        moment = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
        if moment > after:
            return moment
    raise AssertionError("a weekday always recurs within 8 days")  # pragma: no cover


def period_key(due: datetime) -> str:
    """The idempotency key of one scheduled digest: its due instant (UTC, to the minute).

    Not the ISO week: a schedule moved from Monday to Friday of the same week must get a
    second digest, not collide with the first.
    """
    return due.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def manual_period_key(now: datetime) -> str:
    """The key of a `/digest send-now` digest (to the second: two clicks are two digests)."""
    return "now-" + now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_range(start: datetime, end: datetime, timezone: str) -> str:
    """'21-28 Nov', '28 Nov-5 Dec', '28 Dec 2025-4 Jan 2026' or '28 Nov', in local dates."""
    zone = zoneinfo.ZoneInfo(timezone)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if first > last:
        first = last
    if first == last:
        return f"{last.day} {last:%b}"
    if first.year != last.year:
        return f"{first.day} {first:%b %Y}-{last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b}-{last.day} {last:%b}"
    return f"{first.day}-{last.day} {last:%b}"
