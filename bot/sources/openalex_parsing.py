"""OpenAlex JSON -> dataclasses. Pure functions over decoded JSON (docs/sources.md#openalex).

Counts go through `bot.sources.counts.count` and dates through `bot.sources.dates.plausible`
(judged against `now`: the caller's clock, else the system's): out of range is unknown.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from bot.plain_text import web_url
from bot.sources.arxiv_ids import arxiv_id_from_doi, arxiv_id_from_url
from bot.sources.counts import count
from bot.sources.dates import plausible
from bot.sources.dois import normalise_doi
from bot.sources.errors import MalformedResponse
from bot.sources.models import AuthorCandidate, AuthorRecord, Work, WorkAuthor, YearCount

log = logging.getLogger(__name__)

SOURCE = "openalex"

_OPENALEX_ID_RE = re.compile(
    r"(?:https?://(?:api\.)?openalex\.org/(?:\w+/)?)?([AWISPCFT]\d+)$", re.I
)
_ORCID_RE = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.I)
_TRAILING_DIGITS_RE = re.compile(r"(\d+)/?$")


def short_openalex_id(value: str | None) -> str | None:
    """`https://openalex.org/A5048491430` -> `A5048491430` (None when not an OpenAlex id)."""
    if not value:
        return None
    match = _OPENALEX_ID_RE.search(value.strip())
    return match.group(1).upper() if match else None


def bare_orcid(value: str | None) -> str | None:
    """`https://orcid.org/0000-0003-1613-5981` -> `0000-0003-1613-5981`."""
    if not value:
        return None
    match = _ORCID_RE.search(value.strip())
    return match.group(1).upper() if match else None


def rebuild_abstract(inverted: Mapping[str, Any] | None) -> str | None:
    """Rebuild an abstract from `abstract_inverted_index` ({word: [positions]})."""
    if not inverted:
        return None
    pairs = [
        (position, word)
        for word, positions in inverted.items()
        for position in (positions or ())
        if isinstance(position, int)
    ]
    if not pairs:
        return None
    pairs.sort()
    return " ".join(word for _, word in pairs)


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None  # JSON allows NaN and Infinity


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dedupe(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def parse_author(obj: Any, *, now: datetime | None = None) -> AuthorRecord:
    """One OpenAlex Author object (full or `select`ed) -> `AuthorRecord`."""
    now = now or datetime.now(UTC)
    if not isinstance(obj, Mapping):
        raise MalformedResponse("author is not a JSON object", source=SOURCE)
    openalex_id = short_openalex_id(obj.get("id"))
    if openalex_id is None:
        raise MalformedResponse("author without an OpenAlex id", source=SOURCE)
    external: dict[str, str] = {"openalex": openalex_id}
    orcid = bare_orcid(obj.get("orcid")) or bare_orcid(_mapping(obj.get("ids")).get("orcid"))
    if orcid:
        external["orcid"] = orcid
    for key, value in _mapping(obj.get("ids")).items():
        if key not in ("openalex", "orcid") and isinstance(value, str) and value:
            external[key] = value

    affiliations = [
        _mapping(inst).get("display_name") or ""
        for inst in _list(obj.get("last_known_institutions"))
    ]
    # Then past affiliations, most recent first.
    past = sorted(
        (_mapping(a) for a in _list(obj.get("affiliations"))),
        key=lambda a: max((y for y in _list(a.get("years")) if isinstance(y, int)), default=0),
        reverse=True,
    )
    affiliations.extend(_mapping(a.get("institution")).get("display_name") or "" for a in past)

    where = f"OpenAlex author {openalex_id}"
    stats = _mapping(obj.get("summary_stats"))
    years = (_year_count(_mapping(c), where) for c in _list(obj.get("counts_by_year")))
    counts = sorted((c for c in years if c is not None), key=lambda c: c.year)
    topics = _list(obj.get("topics"))
    first_topic = _mapping(topics[0]) if topics else {}
    display_name = obj.get("display_name") or ""
    return AuthorRecord(
        source=SOURCE,
        external_ids=external,
        display_name=display_name,
        name_variants=_dedupe([display_name, *(_list(obj.get("display_name_alternatives")))]),
        affiliations=_dedupe(affiliations),
        h_index=count(stats.get("h_index"), f"{where} summary_stats.h_index"),
        i10_index=count(stats.get("i10_index"), f"{where} summary_stats.i10_index"),
        citations=count(obj.get("cited_by_count"), f"{where} cited_by_count"),
        works_count=count(obj.get("works_count"), f"{where} works_count"),
        two_year_mean_citedness=_float(stats.get("2yr_mean_citedness")),
        counts_by_year=tuple(counts),
        topics=_dedupe([_mapping(t).get("display_name") or "" for t in topics]),
        # The subfield (`Ecology`) says more than the field (`Environmental Science`).
        primary_field=_text(_mapping(first_topic.get("subfield")).get("display_name"))
        or _text(_mapping(first_topic.get("field")).get("display_name")),
        as_of=plausible(_datetime(obj.get("updated_date")), f"{where} updated_date", now=now),
        relevance_score=_float(obj.get("relevance_score")),
    )


def _year_count(entry: Mapping[str, Any], where: str) -> YearCount | None:
    """One `counts_by_year` entry; None (that year unknown, not 0) when any part is invalid."""
    year = count(entry.get("year"), f"{where} counts_by_year year")
    if not year:
        return None
    works = count(entry.get("works_count"), f"{where} counts_by_year {year} works_count")
    cited = count(entry.get("cited_by_count"), f"{where} counts_by_year {year} cited_by_count")
    if works is None or cited is None:
        return None
    return YearCount(year=year, works_count=works, cited_by_count=cited)


def parse_author_list(
    data: Any, *, now: datetime | None = None
) -> tuple[list[AuthorRecord], Mapping[str, Any]]:
    """A list response (`/authors?search=` or `?filter=`) -> records and `meta`."""
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise MalformedResponse("list response without `results`", source=SOURCE)
    records = [parse_author(item, now=now) for item in data["results"]]
    return records, _mapping(data.get("meta"))


def parse_autocomplete(data: Any) -> list[AuthorCandidate]:
    """`/autocomplete/authors?q=` -> candidates (id, name, hint, counts, ORCID)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise MalformedResponse("autocomplete response without `results`", source=SOURCE)
    candidates: list[AuthorCandidate] = []
    for item in data["results"]:
        item = _mapping(item)
        author_id = short_openalex_id(item.get("id"))
        if author_id is None or not author_id.startswith("A"):
            continue
        candidates.append(
            AuthorCandidate(
                id=author_id,
                name=item.get("display_name") or "",
                hint=item.get("hint") or None,
                works_count=count(item.get("works_count"), f"OpenAlex {author_id} works_count"),
                cited_by_count=count(
                    item.get("cited_by_count"), f"OpenAlex {author_id} cited_by_count"
                ),
                orcid=bare_orcid(item.get("external_id")),
                source=SOURCE,
            )
        )
    return candidates


def _work_author(obj: Mapping[str, Any]) -> WorkAuthor:
    author = _mapping(obj.get("author"))
    institutions = [_mapping(i).get("display_name") or "" for i in _list(obj.get("institutions"))]
    if not any(institutions):
        institutions = [s for s in _list(obj.get("raw_affiliation_strings")) if isinstance(s, str)]
    return WorkAuthor(
        name=author.get("display_name") or obj.get("raw_author_name") or "",
        raw_name=obj.get("raw_author_name") or None,
        openalex_id=short_openalex_id(author.get("id")),
        orcid=bare_orcid(author.get("orcid")),
        affiliations=_dedupe(institutions),
        position=obj.get("author_position") or None,
    )


def _arxiv_id_of(obj: Mapping[str, Any], doi: str | None) -> str | None:
    found = arxiv_id_from_doi(doi) or arxiv_id_from_doi(_mapping(obj.get("ids")).get("doi"))
    if found:
        return found
    locations = [
        _mapping(obj.get("primary_location")),
        *(_mapping(x) for x in _list(obj.get("locations"))),
    ]
    for location in locations:
        found = arxiv_id_from_url(location.get("landing_page_url")) or arxiv_id_from_url(
            location.get("pdf_url")
        )
        if found:
            return found
    return None


def parse_work(obj: Any, *, now: datetime | None = None) -> Work:
    """One OpenAlex Work -> `Work` (arXiv id from the 10.48550 DOI or an arxiv.org location)."""
    now = now or datetime.now(UTC)
    if not isinstance(obj, Mapping):
        raise MalformedResponse("work is not a JSON object", source=SOURCE)
    openalex_id = short_openalex_id(obj.get("id"))
    if openalex_id is None:
        raise MalformedResponse("work without an OpenAlex id", source=SOURCE)
    where = f"OpenAlex work {openalex_id}"
    doi = normalise_doi(obj.get("doi"))
    arxiv_id = _arxiv_id_of(obj, doi)
    primary = _mapping(obj.get("primary_location"))
    best = _mapping(obj.get("best_oa_location"))
    venue = _mapping(primary.get("source"))
    ids = _mapping(obj.get("ids"))
    return Work(
        openalex_id=openalex_id,
        title=" ".join((obj.get("title") or obj.get("display_name") or "").split()),
        doi=doi,
        arxiv_id=arxiv_id,
        abstract=rebuild_abstract(_mapping(obj.get("abstract_inverted_index"))),
        authors=tuple(_work_author(_mapping(a)) for a in _list(obj.get("authorships"))),
        publication_date=plausible(
            _date(obj.get("publication_date")),
            f"{where} publication_date",
            now=now,
            arxiv_era=arxiv_id is not None,
        ),
        created_date=plausible(_date(obj.get("created_date")), f"{where} created_date", now=now),
        updated=plausible(_datetime(obj.get("updated_date")), f"{where} updated_date", now=now),
        type=obj.get("type") or None,
        landing_page_url=web_url(primary.get("landing_page_url")),
        pdf_url=web_url(primary.get("pdf_url")) or web_url(best.get("pdf_url")),
        cited_by_count=count(obj.get("cited_by_count"), f"{where} cited_by_count"),
        authors_truncated=bool(obj.get("is_authors_truncated")),
        venue=_text(venue.get("display_name")),
        venue_type=_text(venue.get("type")),
        pmid=_trailing_digits(ids.get("pmid")),
        pmcid=("PMC" + pmc) if (pmc := _trailing_digits(ids.get("pmcid"))) else None,
        other_dois=_dedupe(
            [
                d
                for location in _list(obj.get("locations"))
                # a DOI link only (normalise_doi refuses any other URL)
                if (d := normalise_doi(_mapping(location).get("landing_page_url")))
                and d != doi
                and arxiv_id_from_doi(d) is None
            ]
        ),
        references=_dedupe(
            [
                short
                for ref in _list(obj.get("referenced_works"))
                if isinstance(ref, str) and (short := short_openalex_id(ref))
            ]
        ),
    )


def _text(value: Any) -> str | None:
    return (" ".join(value.split()) or None) if isinstance(value, str) else None


def _trailing_digits(value: Any) -> str | None:
    """`https://pubmed.ncbi.nlm.nih.gov/29456894` -> `29456894` (a PubMed or PMC id)."""
    match = _TRAILING_DIGITS_RE.search(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def parse_works_page(
    data: Any, *, now: datetime | None = None
) -> tuple[list[Work], str | None, int | None]:
    """A `/works` list page -> (works, `meta.next_cursor`, `meta.count`)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise MalformedResponse("works response without `results`", source=SOURCE)
    meta = _mapping(data.get("meta"))
    cursor = meta.get("next_cursor")
    return (
        [parse_work(item, now=now) for item in data["results"]],
        cursor if isinstance(cursor, str) and cursor else None,
        count(meta.get("count"), "OpenAlex works meta.count"),
    )


def error_detail(data: Any) -> str:
    """The upstream's own error text (`{"error": ..., "message": ...}`), shortened."""
    if not isinstance(data, Mapping):
        return ""
    parts = [str(data[k]) for k in ("error", "message") if isinstance(data.get(k), str)]
    return "; ".join(parts)[:200]
