"""PubMed search terms for followed authors, OR-batched into as few `esearch` queries as fit.

An author with an ORCID is searched by it (`0000-0002-1825-0097[auid]`, the Author Identifier
field); one without, by name (`author_terms`). Many authors' terms are OR-ed into one query,
up to `MAX_TERMS_PER_QUERY` terms and `MAX_QUERY_CHARS` characters, so 1,000 authors with
ORCIDs take 25 `esearch` requests (40 ORCIDs each, about 1,150 characters). Hits are candidates
only: PubMed drops a term it cannot find rather than failing the query, and a name finds its
homonyms, so the caller confirms each fetched record (an author's ORCID in
`PubMedArticle.orcids`, or the homonym guard for a name).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from bot.names import parse_name
from bot.sources.openalex_parsing import bare_orcid

log = logging.getLogger(__name__)

# 40 ORCID terms make a ~1,150-character query (a ~1,500-byte GET request line): short of the
# lengths NCBI asks to POST, and 25 requests for 1,000 authors, well inside the 60 a poll may
# spend on PubMed. Name terms are longer, so the character bound packs fewer of them.
MAX_TERMS_PER_QUERY = 40
MAX_QUERY_CHARS = 1500


def orcid_term(orcid: str) -> str:
    """`0000-0002-1825-0097[auid]` for an ORCID (bare, or as an orcid.org URL)."""
    bare = bare_orcid(orcid)
    if bare is None:
        raise ValueError(f"not an ORCID: {orcid[:60]!r}")
    return f"{bare}[auid]"


def author_terms(name: str, variants: Iterable[str] = ()) -> tuple[str, ...]:
    """PubMed author terms for a name and its variants, each distinct term once.

    PubMed indexes every author as `Surname Initials` (`[au]`) and, since 2002 where the journal
    printed it, as `Surname, Given names` (`[fau]`). For each spelling:

    - `"shi, fang hong"[fau]` when it has a full given name: precise, where `"shi f"[au]` would
      find every F. Shi in PubMed;
    - `"shi fh"[au]` when it has two initials or more (precise enough, and it also finds the
      records whose journal printed initials only), or initials only (all we know).

    Terms are quoted so PubMed does not extend `smith j` to `smith ja`, `smith jb`... Names are
    accent-folded and lower-cased (PubMed's author index ignores both); a name without a given
    name (`Del Maestro`) gives no term.
    """
    terms: dict[str, None] = {}
    for spelling in (name, *variants):
        for term in _spelling_terms(spelling):
            terms.setdefault(term)
    return tuple(terms)


def _spelling_terms(spelling: str) -> list[str]:
    parsed = parse_name(spelling)
    if not parsed.surname or not parsed.given:
        return []
    surname = " ".join(parsed.surname)
    parts = [part for token in parsed.given for part in token]
    initials = "".join(part.text[0] for part in parts)
    terms = []
    if any(not part.initial for part in parts):
        given = " ".join(part.text for part in parts)
        terms.append(f'"{surname}, {given}"[fau]')
    if len(initials) >= 2 or all(part.initial for part in parts):
        terms.append(f'"{surname} {initials}"[au]')
    return terms


def plan_queries(
    terms: Iterable[str],
    *,
    max_terms: int = MAX_TERMS_PER_QUERY,
    max_chars: int = MAX_QUERY_CHARS,
) -> list[str]:
    """OR the terms into queries of at most `max_terms` terms and `max_chars` characters.

    Terms are de-duplicated (case-insensitively), in order. A term longer than `max_chars` on
    its own is skipped with a warning.
    """
    seen: set[str] = set()
    queries: list[str] = []
    batch: list[str] = []
    for term in terms:
        key = term.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        if len(term) > max_chars:
            log.warning("PubMed term too long for one query, skipped: %r", term[:80])
            continue
        if batch and (len(batch) >= max_terms or len(_or([*batch, term])) > max_chars):
            queries.append(_or(batch))
            batch = []
        batch.append(term.strip())
    if batch:
        queries.append(_or(batch))
    return queries


def _or(terms: Sequence[str]) -> str:
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"
