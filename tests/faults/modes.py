"""The fault modes of the suite: one fake-upstream fault each, and what it must end in.

A mode either **fails** every call of a path (each call ends in a typed error whose message
matches `reason`, recorded in source health, and nothing is stored), or is **sanitised**: the
data arrives with out-of-range values, which the parsers turn into unknowns (the path says what
that leaves in its rows, `FaultPath.sanitised`). `formats` are the bodies a mode applies to: a
DTD means nothing in JSON, a JSON type nothing in Atom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.harness import faulty_bodies
from tests.harness.fake_upstream import Fault

DAY = 86400
XML = "xml"
JSON = "json"
# The file an external entity points at (this one) and a text only it holds: were the entity
# resolved, the text would reach a stored title. The suite checks it appears nowhere.
XXE_TARGET = Path(__file__)
XXE_MARKER = "xxe-marker-5f0c1e"  # literally in this file


@dataclass(frozen=True)
class FaultMode:
    name: str
    fault: Callable[[], Fault]
    reason: str | None  # a regex every failure line matches; None: sanitised, no failure
    formats: frozenset[str] = frozenset({XML, JSON})

    @property
    def fails(self) -> bool:
        return self.reason is not None


MALFORMED = (
    r"not well-formed XML|not JSON|empty body|not an Atom feed|not an RSS/Atom feed"
    r"|not an E-utilities"
)

MODES = (
    FaultMode("status-503", lambda: Fault.http_status(503), r"upstream error \(HTTP 503"),
    FaultMode(
        "status-503-retry-after",
        lambda: Fault.http_status(503, retry_after=DAY),
        r"HTTP 503, .*; Retry-After 86400 s, capped to 3600 s",
    ),
    FaultMode("status-429", lambda: Fault.http_status(429), r"rate limited \(HTTP 429"),
    FaultMode(
        "status-429-retry-after",
        lambda: Fault.http_status(429, retry_after=DAY),
        r"rate limited \(HTTP 429, .*; Retry-After 86400 s, capped to 3600 s",
    ),
    FaultMode("status-403", lambda: Fault.http_status(403), r"access denied, .*\(HTTP 403"),
    FaultMode("reset", Fault.reset, r"connection reset by the server"),
    FaultMode("hang", Fault.hang, r"no answer within 0\.3s"),
    FaultMode("truncated", Fault.truncated, MALFORMED),
    FaultMode("html", Fault.html, MALFORMED),
    FaultMode("empty", Fault.empty, MALFORMED),
    FaultMode(
        "invalid-utf8",
        lambda: Fault.rewritten(faulty_bodies.invalid_utf8),
        r"not well-formed XML|not valid in its declared encoding|not JSON",
    ),
    FaultMode(
        "xml-bomb",
        lambda: Fault.rewritten(faulty_bodies.xml_bomb),
        r"not well-formed XML",
        frozenset({XML}),
    ),
    FaultMode(
        "external-entity",
        lambda: Fault.rewritten(faulty_bodies.external_entity(XXE_TARGET)),
        r"DOCTYPE|not well-formed XML",
        frozenset({XML}),
    ),
    FaultMode("oversized", lambda: Fault.huge(8 * 1024 * 1024), r"exceeds the 1048576-byte cap"),
    FaultMode(
        "wrong-json-types",
        lambda: Fault.rewritten(faulty_bodies.wrong_json_types),
        None,
        frozenset({JSON}),
    ),
    FaultMode(
        "out-of-range-numbers", lambda: Fault.rewritten(faulty_bodies.out_of_range_numbers), None
    ),
    FaultMode("absurd-dates", lambda: Fault.rewritten(faulty_bodies.absurd_dates), None),
)
