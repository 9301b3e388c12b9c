"""The time zone names a digest accepts: IANA locations, read from the `tzdata` package.

`zoneinfo.available_timezones()` is the wrong list: it adds whatever the host has (`localtime`,
`posixrules`, `posix/...`, `right/...`) and keeps names that are not places (`Factory`, `EST`,
`Etc/GMT+5`). Canonical here means a location of tzdata's `zone.tab` (one line per country
zone: Europe/Zurich, America/New_York, Europe/Amsterdam) plus `UTC`, read from the installed
`tzdata` package, so every host accepts the same names.

An old location name that tzdata links to a canonical one (US/Eastern, Asia/Calcutta,
Europe/Kiev, Etc/UTC) is accepted as that canonical name. Names without an area (EST, CET,
GMT, EST5EDT) stay refused: they name an offset rather than a place, and tzdata links some of
them to a city with other rules (EST is America/Panama, which has no summer time).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

UTC = "UTC"
_UTC_ZONE = "Etc/UTC"  # tzdata's zone behind the UTC link


def _tzdata_lines(name: str) -> list[str]:
    text = files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@cache
def canonical_zones() -> tuple[str, ...]:
    """Every accepted name, sorted: the locations of `zone.tab`, and UTC."""
    locations = {line.split("\t")[2] for line in _tzdata_lines("zone.tab")}
    return tuple(sorted(locations | {UTC}))


@cache
def zone_aliases() -> dict[str, str]:
    """Old location names -> the canonical name tzdata links them to (`L target alias`)."""
    canonical = set(canonical_zones())
    aliases = {_UTC_ZONE: UTC}
    for line in _tzdata_lines("tzdata.zi"):
        if not line.startswith("L "):
            continue
        _kind, target, alias = line.split()
        target = UTC if target == _UTC_ZONE else target
        if "/" in alias and alias not in canonical and target in canonical:
            aliases[alias] = target
    return aliases
