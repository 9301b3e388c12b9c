"""Semantic Scholar JSON -> dataclasses. Pure functions (docs/sources.md#semantic-scholar).

Counts go through `bot.sources.counts.count` and dates through `bot.sources.dates.plausible`
(judged against `now`: the caller's clock, else the system's): out of range is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from bot.sources.arxiv_ids import split_version
from bot.sources.counts import count
from bot.sources.dates import plausible
from bot.sources.errors import MalformedResponse
from bot.sources.models import AuthorRecord, S2Paper

SOURCE = "semantic_scholar"


def _str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def parse_author(obj: Any, *, fetched_at: datetime | None) -> AuthorRecord:
    """One S2 author object (any `fields` subset) -> `AuthorRecord` (`as_of` = fetch time)."""
    if not isinstance(obj, Mapping) or not obj.get("authorId"):
        raise MalformedResponse("author without an authorId", source=SOURCE)
    external: dict[str, str] = {"s2": str(obj["authorId"])}
    ids = obj.get("externalIds") if isinstance(obj.get("externalIds"), Mapping) else {}
    orcid = ids.get("ORCID")
    if isinstance(orcid, str) and orcid:
        external["orcid"] = orcid.upper()
    dblp = ids.get("DBLP")
    dblp_names = (
        _str_list(dblp) if isinstance(dblp, list) else ([dblp] if isinstance(dblp, str) else [])
    )
    if dblp_names:
        external["dblp"] = dblp_names[0]
    name = obj.get("name") if isinstance(obj.get("name"), str) else ""
    variants = [name, *_str_list(obj.get("aliases")), *dblp_names]
    where = f"Semantic Scholar author {external['s2']}"
    return AuthorRecord(
        source=SOURCE,
        external_ids=external,
        display_name=name,
        name_variants=tuple(dict.fromkeys(v for v in variants if v)),
        affiliations=tuple(_str_list(obj.get("affiliations"))),
        h_index=count(obj.get("hIndex"), f"{where} hIndex"),
        citations=count(obj.get("citationCount"), f"{where} citationCount"),
        works_count=count(obj.get("paperCount"), f"{where} paperCount"),
        as_of=fetched_at,
    )


def parse_author_batch(data: Any, *, fetched_at: datetime | None) -> list[AuthorRecord | None]:
    """`POST /author/batch` -> one entry per requested id, in request order, None if unknown."""
    if not isinstance(data, list):
        raise MalformedResponse("author batch response is not a JSON array", source=SOURCE)
    return [None if item is None else parse_author(item, fetched_at=fetched_at) for item in data]


def parse_paper(obj: Any, *, now: datetime | None = None) -> S2Paper:
    """One S2 paper object -> `S2Paper` (arXiv id from `externalIds.ArXiv`, version dropped)."""
    now = now or datetime.now(UTC)
    if not isinstance(obj, Mapping) or not obj.get("paperId"):
        raise MalformedResponse("paper without a paperId", source=SOURCE)
    where = f"Semantic Scholar paper {str(obj['paperId'])[:60]}"
    ids = obj.get("externalIds") if isinstance(obj.get("externalIds"), Mapping) else {}
    arxiv_id = None
    if isinstance(ids.get("ArXiv"), str):
        try:
            arxiv_id = split_version(ids["ArXiv"])[0]
        except ValueError:
            arxiv_id = None
    doi = ids.get("DOI") if isinstance(ids.get("DOI"), str) else None
    published = None
    if isinstance(obj.get("publicationDate"), str):
        try:
            published = date.fromisoformat(obj["publicationDate"])
        except ValueError:
            published = None
    published = plausible(
        published, f"{where} publicationDate", now=now, arxiv_era=arxiv_id is not None
    )
    authors = tuple(
        (a.get("authorId") if isinstance(a.get("authorId"), str) else None, a.get("name") or "")
        for a in (obj.get("authors") or [])
        if isinstance(a, Mapping)
    )
    venue = obj.get("venue")
    return S2Paper(
        paper_id=str(obj["paperId"]),
        title=" ".join((obj.get("title") or "").split()),
        arxiv_id=arxiv_id,
        doi=doi.lower() if doi else None,
        publication_date=published,
        year=count(obj.get("year"), f"{where} year"),
        authors=authors,
        citation_count=count(obj.get("citationCount"), f"{where} citationCount"),
        venue=venue if isinstance(venue, str) and venue else None,
    )


def parse_list_page(data: Any) -> tuple[list[Any], int | None, int | None]:
    """`{offset, next?, total?, data: [...]}` -> (items, next offset, total)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        raise MalformedResponse("list response without `data`", source=SOURCE)
    next_offset = count(data.get("next"), "Semantic Scholar list next")
    return data["data"], next_offset, count(data.get("total"), "Semantic Scholar list total")


def error_detail(data: Any) -> str:
    """S2's `{"error": "..."}` text, shortened."""
    if isinstance(data, Mapping) and isinstance(data.get("error"), str):
        return data["error"][:200]
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return data["message"][:200]
    return ""
