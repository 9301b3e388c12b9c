"""Weekday + local time in an IANA zone -> the next UTC instant; input validation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadInput
from bot.services.digest_times import (
    date_range,
    next_occurrence,
    parse_local_time,
    period_key,
    resolve_timezone,
    timezone_suggestions,
    weekday_index,
)

ZURICH = "Europe/Zurich"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Sundays 09:00 in Zurich around the end of summer time (25 Oct 2026, 03:00 -> 02:00).
        (utc(2026, 10, 17, 12, 0), utc(2026, 10, 18, 7, 0)),
        (utc(2026, 10, 18, 7, 0), utc(2026, 10, 25, 8, 0)),  # strictly after: next week
        (utc(2026, 10, 25, 7, 59), utc(2026, 10, 25, 8, 0)),
        # and around its start (28 Mar 2027, 02:00 -> 03:00).
        (utc(2027, 3, 21, 8, 0), utc(2027, 3, 28, 7, 0)),
        (utc(2027, 3, 28, 6, 59), utc(2027, 3, 28, 7, 0)),
    ],
)
def test_next_sunday_nine_in_zurich_is_nine_local_across_dst(
    after: datetime, expected: datetime
) -> None:
    got = next_occurrence(6, "09:00", ZURICH, after)
    assert got == expected
    local = got.astimezone(ZoneInfo(ZURICH))
    assert (local.weekday(), local.hour, local.minute) == (6, 9, 0)


def test_a_time_skipped_by_dst_moves_forward_and_an_ambiguous_one_is_the_first() -> None:
    # 02:30 does not exist on 28 Mar 2027 in Zurich: taken with the winter offset (03:30 CEST).
    assert next_occurrence(6, "02:30", ZURICH, utc(2027, 3, 27, 0, 0)) == utc(2027, 3, 28, 1, 30)
    # 02:30 happens twice on 25 Oct 2026: the first one (CEST, 00:30 UTC).
    assert next_occurrence(6, "02:30", ZURICH, utc(2026, 10, 24, 0, 0)) == utc(2026, 10, 25, 0, 30)


def test_weekly_occurrences_never_skip_or_double_a_week() -> None:
    moment = utc(2026, 1, 1)
    seen = []
    for _ in range(120):  # more than two years, four DST changes
        moment = next_occurrence(0, "00:30", "America/New_York", moment)
        seen.append(moment)
    gaps = {b - a for a, b in itertools.pairwise(seen)}
    assert gaps <= {timedelta(days=7), timedelta(days=7, hours=1), timedelta(days=6, hours=23)}


@pytest.mark.parametrize(
    ("text", "value"), [("9:00", "09:00"), ("23:59", "23:59"), (" 07:05 ", "07:05")]
)
def test_times_are_normalised(text: str, value: str) -> None:
    assert parse_local_time(text) == value


@pytest.mark.parametrize("text", ["25:00", "24:00", "09:60", "9am", "", "0900", "9:5"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(BadInput, match="HH:MM"):
        parse_local_time(text)


def test_time_zones_are_iana_names_only() -> None:
    assert resolve_timezone("europe/zurich") == ZURICH
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "CEST"):
        with pytest.raises(BadInput, match="not a time zone"):
            resolve_timezone(bad)
    assert timezone_suggestions("zur")[0] == ZURICH
    assert timezone_suggestions("new york") == ["America/New_York"]
    assert len(timezone_suggestions("a")) == 25


@pytest.mark.parametrize(
    "name",
    [
        "localtime",  # the host's own zone: differs from machine to machine
        "Factory",
        "posixrules",
        "posix/Europe/Zurich",
        "right/UTC",
        "EST",  # tzdata links it to America/Panama: no summer time
        "CET",
        "EST5EDT",
        "GMT",
        "Etc/GMT+5",
    ],
)
def test_names_that_are_not_places_are_refused(name: str) -> None:
    with pytest.raises(BadInput, match="not a time zone I know"):
        resolve_timezone(name)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("US/Eastern", "America/New_York"),
        ("asia/calcutta", "Asia/Kolkata"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Etc/UTC", "UTC"),
        ("utc", "UTC"),
        ("Europe/Amsterdam", "Europe/Amsterdam"),  # in zone.tab, though tzdata links it
    ],
)
def test_old_location_names_become_their_canonical_name(alias: str, canonical: str) -> None:
    assert resolve_timezone(alias) == canonical


def test_every_offered_zone_is_canonical_and_loads() -> None:
    offered = {
        name
        for query in ("", "a", "e", "u", "local", "fact", "etc", "posix")
        for name in timezone_suggestions(query, limit=1000)
    }
    assert not {"localtime", "Factory", "posixrules", "Etc/UTC", "US/Eastern"} & offered
    assert all("/" in name or name == "UTC" for name in offered)
    for name in offered:
        assert ZoneInfo(name).utcoffset(utc(2026, 1, 1)) is not None


def test_weekdays() -> None:
    assert weekday_index(6) == 6 and weekday_index("monday") == 0 and weekday_index("Wed") == 2
    for bad in (7, -1, "someday", "mo"):
        with pytest.raises(BadInput, match="not a weekday"):
            weekday_index(bad)


def test_date_ranges_and_period_keys() -> None:
    assert date_range(utc(2026, 11, 21, 8), utc(2026, 11, 28, 8), ZURICH) == "21-28 Nov"
    assert date_range(utc(2026, 11, 28, 8), utc(2026, 12, 5, 8), ZURICH) == "28 Nov-5 Dec"
    assert date_range(utc(2026, 12, 28), utc(2027, 1, 4), ZURICH) == "28 Dec 2026-4 Jan 2027"
    assert date_range(utc(2026, 11, 28, 23, 30), utc(2026, 11, 28, 23, 40), ZURICH) == "29 Nov"
    assert period_key(utc(2026, 11, 28, 8)) == "2026-11-28T08:00Z"
