"""Real upstream bodies made wrong in one way each, for `Fault.rewritten` (fake_upstream.py).

Each rewrite takes the body the route would send and its content type, and returns the faulty
body: JSON is decoded, changed value by value and encoded again; XML (Atom, RSS) is changed
with byte-level substitutions that keep it well-formed unless breaking it is the point.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

HUGE = 10**30  # SQLite raises OverflowError on it; PostgreSQL's INTEGER and BIGINT refuse it
OVER_INT32 = 3_000_000_000  # fits BIGINT and SQLite, not PostgreSQL's INTEGER
FUTURE_DAY = "9999-12-31"
PAST_DAY = "0001-01-01"

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_ARXIV_VERSION_RE = re.compile(rb"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})v\d+")
_TOTAL_RE = re.compile(rb"(<opensearch:totalResults[^>]*>)\d+")
_ATOM_DATE_RE = re.compile(rb"<(published|updated)>[^<]*</(published|updated)>")
_RSS_DATE_RE = re.compile(rb"<(pubDate|lastBuildDate)>[^<]*</(pubDate|lastBuildDate)>")
_ROOT_RE = re.compile(rb"<([A-Za-z][\w:.-]*)[\s>]")

Rewrite = Callable[[bytes, str], bytes]


def _is_json(content_type: str) -> bool:
    return "json" in content_type


def _walk(value: Any, change: Callable[[str | None, Any], Any], key: str | None = None) -> Any:
    """`value` with every scalar replaced by `change(its key, it)`, containers walked."""
    if isinstance(value, dict):
        return {k: _walk(v, change, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, change, key) for v in value]
    return change(key, value)


def _rewrite_json(body: bytes, change: Callable[[str | None, Any], Any]) -> bytes:
    return json.dumps(_walk(json.loads(body), change)).encode()


def out_of_range_numbers(body: bytes, content_type: str) -> bytes:
    """Every count 10**30 (citation counts 3,000,000,000); in XML, page totals and versions."""
    if _is_json(content_type):

        def change(key: str | None, value: Any) -> Any:
            if not isinstance(value, int) or isinstance(value, bool):
                return value
            return OVER_INT32 if key in ("cited_by_count", "citationCount") else HUGE

        return _rewrite_json(body, change)
    body = _TOTAL_RE.sub(rb"\g<1>" + str(HUGE).encode(), body)
    return _ARXIV_VERSION_RE.sub(rb"\g<1>v" + str(HUGE).encode(), body)


def wrong_json_types(body: bytes, content_type: str) -> bytes:
    """Every JSON number a string (`"23"`), as a source that changed a field's type."""

    def change(key: str | None, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    return _rewrite_json(body, change)


def absurd_dates(body: bytes, content_type: str) -> bytes:
    """Every date 9999-12-31 (Atom's `<updated>` 0001-01-01), times of day kept in JSON."""
    if _is_json(content_type):

        def change(key: str | None, value: Any) -> Any:
            if isinstance(value, str) and _DAY_RE.match(value):
                return FUTURE_DAY + value[10:]
            return value

        return _rewrite_json(body, change)

    def atom(match: re.Match[bytes]) -> bytes:
        tag = match.group(1)
        day = FUTURE_DAY if tag == b"published" else PAST_DAY
        return b"<%s>%sT00:00:00Z</%s>" % (tag, day.encode(), tag)

    body = _ATOM_DATE_RE.sub(atom, body)
    return _RSS_DATE_RE.sub(rb"<\1>Fri, 31 Dec 9999 00:00:00 +0000</\2>", body)


def invalid_utf8(body: bytes, content_type: str) -> bytes:
    """Bytes that are not UTF-8 inside the first text value (a body declared UTF-8)."""
    marker = b'": "' if _is_json(content_type) else b"<title>"
    if marker in body:
        return body.replace(marker, marker + b"\xff\xfe\xfa", 1)
    # XML without a <title> (E-utilities): the first text value after a tag.
    return re.sub(rb">(?=[^<\s])", b">\xff\xfe\xfa", body, count=1)


def xml_bomb(body: bytes, content_type: str) -> bytes:
    """A billion-laughs DTD (10**9 "lol"s if expanded) used in the first entry's title."""
    entities = [b'<!ENTITY lol0 "lol">']
    entities += [
        b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10)))
        for n in range(1, 10)
    ]
    return _with_doctype(body, b"".join(entities), b"&lol9;")


def external_entity(secret: Path) -> Rewrite:
    """A DTD whose entity is the local file `secret`, used in the first entry's title."""

    def rewrite(body: bytes, content_type: str) -> bytes:
        entity = b'<!ENTITY xxe SYSTEM "file://%s">' % str(secret).encode()
        return _with_doctype(body, entity, b"&xxe;")

    return rewrite


def _with_doctype(body: bytes, declarations: bytes, reference: bytes) -> bytes:
    start = body.find(b"?>") + 2 if body.lstrip().startswith(b"<?xml") else 0
    root = _ROOT_RE.search(body, start)
    assert root is not None, "not an XML body"
    doctype = b"\n<!DOCTYPE %s [%s]>\n" % (root.group(1), declarations)
    body = body[:start] + doctype + body[start:]
    # Into the first entry's (item's) title: what would be stored if the entity were expanded.
    first = re.search(rb"<(?:entry|item)[\s>]", body)
    at = body.find(b"<title>", first.start() if first else 0) + len(b"<title>")
    return body[:at] + reference + body[at:]
