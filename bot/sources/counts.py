"""Counts a source sends (h-index, citations, works, versions, page totals): valid or unknown.

A source can send anything where a count belongs: 10**30 (SQLite raises `OverflowError`),
3,000,000,000 (PostgreSQL's INTEGER refuses it while SQLite stores it, so the two databases
would disagree), -1, `"42"`, `true`, `1.5`. Every count a parser keeps goes through `count`:
what comes out fits a 32-bit INTEGER column on both databases, and anything else is unknown
(None, with a warning naming the field), never a guess.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

COUNT_LIMIT = 2**31  # exclusive: PostgreSQL's INTEGER ends at 2**31 - 1


def count(value: Any, field: str) -> int | None:
    """`value` when it is an integer in 0 <= n < 2**31, else None (logged when not absent).

    A float with no fractional part counts as that integer (some JSON encoders write `12.0`);
    a bool or a string does not, even `"12"`: a source that changes a field's type is broken.
    """
    if value is None:
        return None
    number = value
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < COUNT_LIMIT:
        return number
    log.warning("%s is not a count (%s): taken as unknown", field, _describe(value))
    return None


def _describe(value: Any) -> str:
    # Never the digits of a huge integer: str() of one over 4,300 digits even raises.
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {value.bit_length()}-bit integer"
    return f"{type(value).__name__} {repr(value)[:40]}"
