"""Crossref REST API JSON -> `CrossrefWork`. Pure functions over already-decoded JSON.

Crossref relays what each publisher deposited, so anything may be missing or odd: titles with
JATS/HTML markup (`<i>E. coli</i>`) and escaped entities (`&amp;`), dates as `date-parts`
of one to three numbers (`[[2016, 8]]`, even `[[null]]`). Dates go through
`bot.sources.dates.plausible` as non-arXiv works; what fails is unknown (None).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from bot.sources.dates import plausible
from bot.sources.dois import normalise_doi
from bot.sources.errors import MalformedResponse
from bot.sources.models import CrossrefAuthor, CrossrefWork, PartialDate
from bot.sources.openalex_parsing import bare_orcid

SOURCE = "crossref"

_TAG_RE = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")


def parse_work_message(data: Any, *, now: datetime | None = None) -> CrossrefWork:
    """A `/works/{doi}` answer (`message-type: work`)."""
    message = _message(data, "work")
    if not isinstance(message, Mapping):
        raise MalformedResponse("work answer without a `message` object", source=SOURCE)
    return parse_work(message, now=now)


def parse_work_list(data: Any, *, now: datetime | None = None) -> list[CrossrefWork]:
    """A `/works?filter=...` answer (`message-type: work-list`); items without a DOI are
    skipped."""
    message = _message(data, "work-list")
    items = message.get("items") if isinstance(message, Mapping) else None
    if not isinstance(items, list):
        raise MalformedResponse("work list without `message.items`", source=SOURCE)
    return [parse_work(item, now=now) for item in items if _doi_of(item)]


def parse_work(obj: Any, *, now: datetime | None = None) -> CrossrefWork:
    """One Crossref work object -> `CrossrefWork`."""
    now = now or datetime.now(UTC)
    doi = _doi_of(obj)
    if doi is None:
        raise MalformedResponse("work without a DOI", source=SOURCE)
    where = f"Crossref {doi}"
    relation = _mapping(obj.get("relation"))
    institutions = [_clean(_mapping(i).get("name")) for i in _list(obj.get("institution"))]
    return CrossrefWork(
        doi=doi,
        title=_clean(_first(obj.get("title"))),
        type=_str(obj.get("type")),
        subtype=_str(obj.get("subtype")),
        container_title=_clean(_first(obj.get("container-title"))) or None,
        publisher=_clean(obj.get("publisher")) or None,
        institution=next((name for name in institutions if name), None),
        authors=tuple(
            a for a in (_author(_mapping(x)) for x in _list(obj.get("author"))) if a is not None
        ),
        issued=_date(obj.get("issued"), f"{where} issued", now),
        published=_date(obj.get("published"), f"{where} published", now),
        posted=_date(obj.get("posted"), f"{where} posted", now),
        has_preprint=_related_dois(relation.get("has-preprint")),
        is_preprint_of=_related_dois(relation.get("is-preprint-of")),
    )


def error_detail(data: Any) -> str:
    """Crossref's own reason (`message: [{type, message}]`, or a string), shortened."""
    if not isinstance(data, Mapping):
        return ""
    message = data.get("message")
    if isinstance(message, str):
        return message[:200]
    texts = [m.get("message") for m in _list(message) if isinstance(m, Mapping)]
    return "; ".join(t for t in texts if isinstance(t, str))[:200]


def _message(data: Any, message_type: str) -> Any:
    if not isinstance(data, Mapping) or data.get("message-type") != message_type:
        kind = data.get("message-type") if isinstance(data, Mapping) else type(data).__name__
        raise MalformedResponse(f"expected a {message_type}, got {str(kind)[:40]!r}", source=SOURCE)
    return data.get("message")


def _doi_of(obj: Any) -> str | None:
    return normalise_doi(obj.get("DOI")) if isinstance(obj, Mapping) else None


def _author(obj: Mapping[str, Any]) -> CrossrefAuthor | None:
    given = _clean(obj.get("given")) or None
    family = _clean(obj.get("family")) or None
    if family:
        name = f"{family}, {given}" if given else family
    else:
        name = _clean(obj.get("name"))  # an organisation (a consortium, a working group)
    if not name:
        return None
    affiliations = [_clean(_mapping(a).get("name")) for a in _list(obj.get("affiliation"))]
    orcid = obj.get("ORCID")
    return CrossrefAuthor(
        name=name,
        given=given,
        family=family,
        orcid=bare_orcid(orcid) if isinstance(orcid, str) else None,
        affiliations=tuple(dict.fromkeys(a for a in affiliations if a)),
    )


def _date(value: Any, field: str, now: datetime) -> PartialDate | None:
    """`{"date-parts": [[2016, 8, 18]]}` (one to three parts) -> `PartialDate`."""
    parts = _list(_mapping(value).get("date-parts"))
    first = _list(parts[0]) if parts else []
    numbers = [p for p in first[:3] if isinstance(p, int) and not isinstance(p, bool)]
    if not numbers or len(numbers) != len(first[:3]):
        return None
    year, month, day = [*numbers, None, None][:3]
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None
    found = PartialDate(year, month, day)
    return found if plausible(found.earliest, field, now=now, arxiv_era=False) else None


def _related_dois(value: Any) -> tuple[str, ...]:
    dois = [
        normalise_doi(_mapping(item).get("id"))
        for item in _list(value)
        if str(_mapping(item).get("id-type", "")).lower() == "doi"
    ]
    return tuple(dict.fromkeys(d for d in dois if d))


def _clean(value: Any) -> str:
    """Markup dropped, entities decoded, whitespace collapsed."""
    if not isinstance(value, str):
        return ""
    return " ".join(html.unescape(_TAG_RE.sub("", value)).split())


def _first(value: Any) -> Any:
    items = _list(value)
    return items[0] if items else value if isinstance(value, str) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
