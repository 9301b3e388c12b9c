"""A fake upstream: one aiohttp server on 127.0.0.1:0 that plays arXiv, OpenAlex, S2, PubMed
and Crossref.

It serves the recorded real responses in `tests/fixtures/` (routes built from `manifest.json`:
URL, status, content type), records every request (method, path, query, raw request line,
headers, body, monotonic start/end times), and injects faults per route.

    async with FakeUpstream() as upstream:           # recorded fixtures loaded
        source = ArxivApiSource(session, upstream.arxiv_api_url, limiter)
        upstream.add_fault("/api/query", Fault.status(503, times=1))
        upstream.add_route("GET", "/rss/cs.CV", body=feed_bytes, conditional=True)

Base URLs (what the sources' settings point at):
`arxiv_api_url` = `<base>/api/query`, `arxiv_rss_url` = `<base>/rss`,
`openalex_url` = `<base>/openalex`, `semantic_scholar_url` = `<base>/graph/v1`,
`pubmed_url` = `<base>/entrez/eutils`, `crossref_url` = `<base>/crossref`.

Routes match on method, path, and the query parameters they name (a string for equality, a
compiled regex for `search`, or a predicate); the most specific match wins, then the newest.
Faults are checked before routes; each can be limited to its first `times` hits.

Also here: builders for synthetic bodies derived from real entry shapes (`arxiv_feed`,
`generate_arxiv_entries`, `realistic_names`), used by tests and `benchmarks/bench_sources.py`.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import random
import re
import socket
import struct
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiohttp import web
from lxml import etree

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"

QueryMatcher = str | re.Pattern[str] | Callable[[str], bool]

# Parameters that only shape a response (page size, field selection, the key): a recorded
# route answers whatever values a source sends for them.
_NON_SIGNIFICANT = frozenset(
    {
        "per_page",
        "page",
        "select",
        "sortBy",
        "sortOrder",
        "max_results",
        "fields",
        "limit",
        "api_key",
        "mailto",
    }
)
_HOST_PREFIX = {
    "export.arxiv.org": "",
    "rss.arxiv.org": "",
    "api.openalex.org": "/openalex",
    "api.semanticscholar.org": "",
    "eutils.ncbi.nlm.nih.gov": "",
    "api.crossref.org": "/crossref",
}


@dataclass
class RecordedRequest:
    """One request as the fake server received it."""

    method: str
    path: str
    raw_path: str  # path and query exactly as sent (percent-encoded)
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    started: float
    finished: float | None = None
    status: int | None = None

    @property
    def request_line(self) -> str:
        """`GET /api/query?... HTTP/1.1` as it arrived."""
        return f"{self.method} {self.raw_path} HTTP/1.1"

    @property
    def request_line_bytes(self) -> int:
        """Length of the request line in bytes."""
        return len(self.request_line.encode())

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        """The request body as JSON."""
        return json.loads(self.body)


@dataclass
class Reply:
    """What a dynamic route returns."""

    body: bytes
    status: int = 200
    content_type: str = "application/xml"
    headers: dict[str, str] = field(default_factory=dict)


Body = bytes | Callable[[RecordedRequest], "bytes | Reply"]
# A real body rewritten by a fault: (body, content type) -> the body to send instead.
BodyRewrite = Callable[[bytes, str], bytes]


@dataclass
class Route:
    """A canned (or computed) response for a method + path (+ query matchers)."""

    method: str
    path: str
    body: Body
    status: int = 200
    content_type: str = "application/xml; charset=utf-8"
    query: dict[str, QueryMatcher] = field(default_factory=dict)
    match: Callable[[RecordedRequest], bool] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = False
    etag: str | None = None
    last_modified: str | None = None
    name: str = ""
    order: int = 0
    hits: int = 0

    def matches(self, request: RecordedRequest) -> bool:
        if request.method != self.method or request.path != self.path:
            return False
        for key, matcher in self.query.items():
            value = request.query.get(key)
            if value is None:
                return False
            if isinstance(matcher, str):
                if value != matcher:
                    return False
            elif isinstance(matcher, re.Pattern):
                if not matcher.search(value):
                    return False
            elif not matcher(value):
                return False
        return self.match is None or self.match(request)

    @property
    def specificity(self) -> tuple[int, int]:
        return (len(self.query) + (1 if self.match else 0), self.order)


@dataclass
class Fault:
    """A failure to inject. Build with the class methods; `times=None` means every time."""

    kind: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "text/plain"
    delay: float = 0.0
    keep_bytes: int | None = None
    size: int = 0
    declare_length: bool = False
    rewrite: BodyRewrite | None = None
    gate: asyncio.Event | None = None
    times: int | None = None
    method: str | None = None
    path: str | None = None
    query: dict[str, QueryMatcher] = field(default_factory=dict)
    hits: int = 0

    @classmethod
    def http_status(
        cls,
        status: int,
        *,
        retry_after: str | float | None = None,
        body: bytes = b"",
        times: int | None = None,
    ) -> Fault:
        """Answer `status` (optionally with `Retry-After`)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls("status", status=status, headers=headers, body=body, times=times)

    @classmethod
    def slow(cls, seconds: float, *, times: int | None = None) -> Fault:
        """Wait `seconds` before answering normally (for client timeouts)."""
        return cls("delay", delay=seconds, times=times)

    @classmethod
    def held(cls, gate: asyncio.Event, *, times: int | None = None) -> Fault:
        """Answer normally once the test sets `gate` (a request in flight, for as long as the
        test needs: no timing guess)."""
        return cls("held", gate=gate, times=times)

    @classmethod
    def hang(cls, *, times: int | None = None) -> Fault:
        """Accept the request and never answer (until the fake upstream closes)."""
        return cls("hang", times=times)

    @classmethod
    def reset(cls, *, times: int | None = None) -> Fault:
        """Reset the connection (TCP RST) before sending anything."""
        return cls("reset", times=times)

    @classmethod
    def rewritten(cls, rewrite: BodyRewrite, *, times: int | None = None) -> Fault:
        """The route's real answer with its body passed through `rewrite` (bad values, bad
        bytes: `tests/harness/faulty_bodies.py`)."""
        return cls("rewrite", rewrite=rewrite, times=times)

    @classmethod
    def truncated(cls, keep_bytes: int | None = None, *, times: int | None = None) -> Fault:
        """A complete HTTP response whose body is the real body cut short (default: half)."""
        return cls("truncate", keep_bytes=keep_bytes, times=times)

    @classmethod
    def cut_connection(cls, keep_bytes: int | None = None, *, times: int | None = None) -> Fault:
        """Announce the full length, send part of the body, then drop the connection."""
        return cls("cut", keep_bytes=keep_bytes, times=times)

    @classmethod
    def malformed(
        cls, body: bytes = b"<feed><entry><id>oops</entry>", *, times: int | None = None
    ) -> Fault:
        """HTTP 200 with a broken body."""
        return cls("body", status=200, body=body, content_type="application/xml", times=times)

    @classmethod
    def html(cls, *, status: int = 200, times: int | None = None) -> Fault:
        """An HTML page (a proxy or maintenance page) instead of XML/JSON."""
        page = (
            b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
            b"<body><h1>We are down for maintenance</h1><p>Please retry later.</p></body></html>"
        )
        return cls("body", status=status, body=page, content_type="text/html", times=times)

    @classmethod
    def empty(cls, *, times: int | None = None) -> Fault:
        """HTTP 200 with an empty body."""
        return cls("body", status=200, body=b"", content_type="application/xml", times=times)

    @classmethod
    def huge(
        cls, size: int = 64 * 1024 * 1024, *, declare_length: bool = False, times: int | None = None
    ) -> Fault:
        """Stream `size` bytes (chunked, or with Content-Length when `declare_length`)."""
        return cls("huge", size=size, declare_length=declare_length, times=times)

    @classmethod
    def redirect_loop(cls, *, times: int | None = None) -> Fault:
        """Redirect (302) to the same URL, forever."""
        return cls("redirect_loop", times=times)

    def applies(self, request: RecordedRequest) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and request.method != self.method:
            return False
        if self.path is not None and request.path != self.path:
            return False
        probe = Route(request.method, request.path, b"", query=self.query)
        return probe.matches(request)


class FakeUpstream:
    """The fake server. Use as an async context manager (or `start()` / `close()`)."""

    def __init__(self, fixtures_dir: Path = FIXTURES_DIR, *, load_recorded: bool = True) -> None:
        self.fixtures_dir = fixtures_dir
        self.requests: list[RecordedRequest] = []
        self.unmatched: list[RecordedRequest] = []
        self.routes: list[Route] = []
        self.faults: list[Fault] = []
        self._order = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.in_flight = 0
        self.max_in_flight = 0
        self._closing = asyncio.Event()  # releases the requests a `Fault.hang` holds
        if load_recorded:
            self.load_recorded()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeUpstream:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeUpstream:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def arxiv_api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def arxiv_rss_url(self) -> str:
        return f"{self.base_url}/rss"

    @property
    def openalex_url(self) -> str:
        return f"{self.base_url}/openalex"

    @property
    def semantic_scholar_url(self) -> str:
        return f"{self.base_url}/graph/v1"

    @property
    def pubmed_url(self) -> str:
        return f"{self.base_url}/entrez/eutils"

    @property
    def crossref_url(self) -> str:
        return f"{self.base_url}/crossref"

    # --- configuration ---------------------------------------------------------------------

    def fixture_bytes(self, relative: str) -> bytes:
        """The bytes of a fixture file, e.g. `arxiv_api/idlist_0000.0000_empty.atom.xml`."""
        return (self.fixtures_dir / relative).read_bytes()

    def add_route(
        self,
        method: str,
        path: str,
        *,
        body: Body | None = None,
        fixture: str | None = None,
        status: int = 200,
        content_type: str = "application/xml; charset=utf-8",
        query: Mapping[str, QueryMatcher] | None = None,
        match: Callable[[RecordedRequest], bool] | None = None,
        headers: Mapping[str, str] | None = None,
        conditional: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        name: str = "",
    ) -> Route:
        """Register a route (newer routes win ties). `fixture` is a path under fixtures_dir."""
        if body is None:
            if fixture is None:
                raise ValueError("give body= or fixture=")
            body = self.fixture_bytes(fixture)
        self._order += 1
        route = Route(
            method=method.upper(),
            path=path,
            body=body,
            status=status,
            content_type=content_type,
            query=dict(query or {}),
            match=match,
            headers=dict(headers or {}),
            conditional=conditional,
            etag=etag,
            last_modified=last_modified,
            name=name or fixture or path,
            order=self._order,
        )
        self.routes.append(route)
        return route

    def add_fault(
        self,
        path: str | None,
        fault: Fault,
        *,
        method: str | None = None,
        query: Mapping[str, QueryMatcher] | None = None,
    ) -> Fault:
        """Inject `fault` for requests to `path` (None: every path)."""
        fault.path = path
        fault.method = method.upper() if method else None
        fault.query = dict(query or {})
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def load_recorded(self, manifest: Path | None = None) -> None:
        """Register one route per recorded fixture from `manifest.json`."""
        manifest = manifest or self.fixtures_dir / "manifest.json"
        for record in json.loads(manifest.read_text()):
            method, path, query, body_match = _route_from_recorded_url(record["request_url"])
            self.add_route(
                method,
                path,
                fixture=record["file"],
                status=int(record["status"]),
                content_type=record["content_type"],
                query=query,
                match=body_match,
            )
        # Any one author's works at every venue (the first lookup's second OpenAlex call) and
        # any authors' new works (the poll's daily works feed): none, unless a test routes them
        # (a route naming the same parameters and added later wins).
        for works_filter in (_EVERY_VENUE_FILTER, _NEW_WORKS_FILTER):
            self.add_route(
                "GET",
                "/openalex/works",
                fixture=EVERY_VENUE_EMPTY,
                content_type="application/json",
                query={"filter": works_filter},
            )

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path starts with `path`."""
        return [
            r
            for r in self.requests
            if r.path.startswith(path) and (method is None or r.method == method.upper())
        ]

    # --- serving ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            raw_path=request.raw_path,
            query={k: v for k, v in request.query.items()},
            headers=dict(request.headers),
            body=body,
            started=time.monotonic(),
        )
        self.requests.append(recorded)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            response = await self._respond(request, recorded)
            recorded.status = response.status
            return response
        finally:
            self.in_flight -= 1
            recorded.finished = time.monotonic()

    async def _respond(self, request: web.Request, recorded: RecordedRequest) -> web.StreamResponse:
        fault = next((f for f in self.faults if f.applies(recorded)), None)
        if fault is not None:
            fault.hits += 1
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "held" and fault.gate is not None:
                await fault.gate.wait()
            else:
                return await self._fault_response(request, recorded, fault)
        route = self._route_for(recorded)
        if route is None:
            self.unmatched.append(recorded)
            return web.Response(
                status=404,
                text=f"fake upstream: no route for {recorded.request_line}",
                content_type="text/plain",
            )
        route.hits += 1
        return self._route_response(route, recorded)

    def _route_for(self, recorded: RecordedRequest) -> Route | None:
        candidates = [r for r in self.routes if r.matches(recorded)]
        return max(candidates, key=lambda r: r.specificity) if candidates else None

    def _route_response(self, route: Route, recorded: RecordedRequest) -> web.Response:
        produced = route.body(recorded) if callable(route.body) else route.body
        reply = (
            produced
            if isinstance(produced, Reply)
            else Reply(produced, route.status, route.content_type)
        )
        headers = {**route.headers, **reply.headers}
        if route.conditional:
            etag = route.etag or '"' + hashlib.sha1(reply.body).hexdigest()[:16] + '"'
            last_modified = route.last_modified or "Thu, 28 Nov 2024 05:00:00 GMT"
            headers.update({"ETag": etag, "Last-Modified": last_modified})
            if_none_match = recorded.header("If-None-Match")
            if_modified_since = recorded.header("If-Modified-Since")
            if (if_none_match and if_none_match == etag) or (
                if_none_match is None and if_modified_since == last_modified
            ):
                return web.Response(status=304, headers=headers)
        content_type, _, charset = reply.content_type.partition("; charset=")
        return web.Response(
            status=reply.status,
            body=reply.body,
            headers=headers,
            content_type=content_type,
            charset=charset or None,
        )

    async def _fault_response(
        self, request: web.Request, recorded: RecordedRequest, fault: Fault
    ) -> web.StreamResponse:
        if fault.kind == "status":
            return web.Response(status=fault.status, body=fault.body or b"", headers=fault.headers)
        if fault.kind == "body":
            return web.Response(
                status=fault.status, body=fault.body or b"", content_type=fault.content_type
            )
        if fault.kind == "hang":
            await self._closing.wait()
            return web.Response(status=503)  # nobody is listening any more
        if fault.kind == "reset":
            transport = request.transport
            if transport is not None:
                raw = transport.get_extra_info("socket")
                if raw is not None:  # linger 0: close() sends RST, not FIN
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            return web.Response(status=503)  # never reaches the client
        if fault.kind == "rewrite":
            assert fault.rewrite is not None
            route = self._route_for(recorded)
            if route is None:
                return web.Response(status=404, text="fake upstream: nothing to rewrite")
            real = self._route_response(route, recorded)
            assert isinstance(real.body, bytes)
            content_type = real.content_type or ""
            return web.Response(
                status=real.status,
                body=fault.rewrite(real.body, content_type),
                headers={"Content-Type": real.headers.get("Content-Type", content_type)},
            )
        if fault.kind == "redirect_loop":
            return web.Response(
                status=302, headers={"Location": f"{self.base_url}{recorded.raw_path}"}
            )
        if fault.kind in ("truncate", "cut"):
            route = self._route_for(recorded)
            full = b"" if route is None else self._route_response(route, recorded).body
            assert isinstance(full, bytes)
            keep = fault.keep_bytes if fault.keep_bytes is not None else len(full) // 2
            if fault.kind == "truncate":
                return web.Response(status=200, body=full[:keep], content_type="application/xml")
            response = web.StreamResponse(
                headers={"Content-Length": str(len(full)), "Content-Type": "application/xml"}
            )
            await response.prepare(request)
            await response.write(full[:keep])
            if request.transport is not None:
                request.transport.close()
            return response
        if fault.kind == "huge":
            headers = {"Content-Type": "application/xml"}
            if fault.declare_length:
                headers["Content-Length"] = str(fault.size)
            response = web.StreamResponse(headers=headers)
            await response.prepare(request)
            chunk = b"<x>" + b"y" * (64 * 1024 - 7) + b"</x>\n"
            sent = 0
            try:
                while sent < fault.size:
                    await response.write(chunk)
                    sent += len(chunk)
            except (ConnectionError, aiohttp.ClientConnectionResetError):
                pass  # the client stopped reading: that is the point
            return response
        raise ValueError(f"unknown fault kind {fault.kind!r}")


EVERY_VENUE_EMPTY = "openalex/synthetic_works_every-venue_empty.json"
_EVERY_VENUE_FILTER = re.compile(r"^authorships\.author\.id:\w+,from_publication_date:1991-01-01$")
_NEW_WORKS_FILTER = re.compile(r"^authorships\.author\.id:[\w|]+,from_created_date:[\d-]+$")


def _route_from_recorded_url(
    request_url: str,
) -> tuple[str, str, dict[str, QueryMatcher], Callable[[RecordedRequest], bool] | None]:
    """Turn a manifest `request_url` into (method, local path, query matchers, body matcher)."""
    text = request_url.strip()
    method = "GET"
    if text.startswith("POST "):
        method, text = "POST", text[5:]
    body_match = None
    if "  body=" in text:
        text, body_text = text.split("  body=", 1)
        expected_ids = json.loads(body_text).get("ids")

        def body_match(request: RecordedRequest, ids: Any = expected_ids) -> bool:
            try:
                return request.json().get("ids") == ids
            except ValueError:
                return False

    text = text.split("  (", 1)[0].strip()  # "(reconstructed ...)" / "(inferred ...)" notes
    parts = urlsplit(text)
    path = _HOST_PREFIX.get(parts.netloc, "") + parts.path
    query: dict[str, QueryMatcher] = {
        key: value
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if value and key not in _NON_SIGNIFICANT
    }
    return method, path, query, body_match


# --- synthetic bodies ------------------------------------------------------------------------

_ATOM_NS = "http://www.w3.org/2005/Atom"
_ARXIV_NS = "http://arxiv.org/schemas/atom"
_A = f"{{{_ATOM_NS}}}"
_X = f"{{{_ARXIV_NS}}}"
_TEMPLATE_FILES = (
    "arxiv_api/query_all-testing_start0_max10.atom.xml",
    "arxiv_api/query_all-testing_start10_max10.atom.xml",
    "arxiv_api/idlist_astro-ph-0601001_affiliations.atom.xml",
    "arxiv_api/idlist_1707.08567_34-authors.atom.xml",
)

FIRST_NAMES = (
    "Andreas",
    "André",
    "Maria",
    "Kai-Ming",
    "Jürgen",
    "Zoë",
    "Łukasz",
    "Adrian",
    "Wei",
    "Yuki",
    "Olga",
    "Sébastien",
    "Priya",
    "Hyewon",
    "Mohammed",
    "Chen",
    "Ingrid",
    "Tomás",
    "Aoife",
    "Jean-Pierre",
    "Nikolai",
    "Fatima",
    "Ravi",
    "Elena",
    "Giulia",
    "Björn",
    "Siobhán",
    "Dmitri",
    "Ana",
    "Pieter",
    "Xiaomei",
    "Emre",
    "Noor",
    "Kenji",
    "Lucía",
    "Matteo",
    "Hannah",
    "Oluwaseun",
)
SURNAMES = (
    "Steiner",
    "Susano Pinto",
    "Del Maestro",
    "van der Waals",
    "Müller",
    "Nowak",
    "He",
    "Zhang",
    "García-López",
    "O'Brien",
    "Kowalski",
    "Tanaka",
    "Ivanova",
    "Dubois",
    "Patel",
    "Jeong",
    "Haddad",
    "Liu",
    "Johansson",
    "Rossi",
    "de la Cruz",
    "Novák",
    "Schmidt",
    "Okafor",
    "Kim",
    "Nguyen",
    "Fernández",
    "Bianchi",
    "Lindqvist",
    "Popescu",
    "Yılmaz",
    "Abdullah",
    "Sato",
    "Moreau",
    "Kuznetsov",
    "Ó Súilleabháin",
    "di Stefano",
    "Van den Berg",
    "Wójcik",
    "Chatterjee",
)


def realistic_names(count: int, *, seed: int = 7) -> list[str]:
    """`count` distinct author names with accents, particles, hyphens and middle initials."""
    rng = random.Random(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(SURNAMES)
        middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.2 else ""
        name = f"{first}{middle} {last}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _entry_templates(fixtures_dir: Path) -> list[etree._Element]:
    templates: list[etree._Element] = []
    for relative in _TEMPLATE_FILES:
        root = etree.fromstring((fixtures_dir / relative).read_bytes())
        templates.extend(root.iterfind(f"{_A}entry"))
    return templates


def generate_arxiv_entries(
    count: int,
    *,
    authors_for: Callable[[int], Sequence[str]] | None = None,
    published: datetime | None = None,
    fixtures_dir: Path = FIXTURES_DIR,
    id_prefix: str = "2611",
) -> list[bytes]:
    """`count` `<entry>` elements cloned from the real recorded entries, with fresh ids.

    Each keeps its template's real shape (title, abstract, categories, comment, DOI, author
    count, affiliations); `authors_for(i)` replaces the author names of entry `i` (every third
    author keeps an affiliation). Dates step back one hour per entry from `published`.
    """
    templates = _entry_templates(fixtures_dir)
    start = published or datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    entries: list[bytes] = []
    for index in range(count):
        entry = copy.deepcopy(templates[index % len(templates)])
        arxiv_id = f"{id_prefix}.{index:05d}"
        moment = (start - timedelta(hours=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for child in entry:
            if child.tag == f"{_A}id":
                child.text = f"http://arxiv.org/abs/{arxiv_id}v1"
            elif child.tag in (f"{_A}published", f"{_A}updated"):
                child.text = moment
            elif child.tag == f"{_A}link" and child.get("title") != "doi":
                kind = "pdf" if child.get("title") == "pdf" else "abs"
                child.set("href", f"https://arxiv.org/{kind}/{arxiv_id}v1")
        if authors_for is not None:
            for old in entry.findall(f"{_A}author"):
                entry.remove(old)
            for position, name in enumerate(authors_for(index)):
                author = etree.SubElement(entry, f"{_A}author")
                etree.SubElement(author, f"{_A}name").text = name
                if position % 3 == 2:
                    etree.SubElement(
                        author, f"{_X}affiliation"
                    ).text = "Institute of Synthetic Studies"
        entries.append(etree.tostring(entry, encoding="utf-8"))
    return entries


def arxiv_feed(
    entries: Iterable[bytes],
    *,
    total: int | None = None,
    start: int = 0,
    per_page: int | None = None,
) -> bytes:
    """A 2025+-dialect API feed around `entries` (as `generate_arxiv_entries` returns them)."""
    body = list(entries)
    total = len(body) if total is None else total
    per_page = len(body) if per_page is None else per_page
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="{_ARXIV_NS}" '
        f'xmlns="{_ATOM_NS}">\n'
        "  <id>https://arxiv.org/api/synthetic</id>\n"
        "  <title>arXiv Query: synthetic</title>\n"
        "  <updated>2026-11-28T01:00:00Z</updated>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
    ).encode()
    return head + b"\n".join(body) + b"\n</feed>\n"


def paged_arxiv_handler(entries: Sequence[bytes]) -> Callable[[RecordedRequest], Reply]:
    """A dynamic route that pages through `entries` by the request's `start`/`max_results`."""

    def handler(request: RecordedRequest) -> Reply:
        start = int(request.query.get("start", "0"))
        size = int(request.query.get("max_results", "10"))
        page = entries[start : start + size]
        return Reply(
            arxiv_feed(page, total=len(entries), start=start, per_page=size),
            content_type="application/atom+xml; charset=utf-8",
        )

    return handler


def rss_item(
    arxiv_id: str,
    *,
    version: int = 1,
    announce_type: str = "new",
    categories: Sequence[str] = ("cs.CV",),
    creators: str = "Andreas Steiner",
    title: str = "A synthetic paper",
    abstract: str = "We study synthetic things.",
) -> str:
    """One RSS `<item>` in the shape of the real 2024-11-28 feed."""
    cats = "".join(f"\n      <category>{c}</category>" for c in categories)
    return (
        "    <item>\n"
        f"      <title>{title}</title>\n"
        f"      <link>https://arxiv.org/abs/{arxiv_id}</link>\n"
        f"      <description>arXiv:{arxiv_id}v{version} Announce Type: {announce_type} \n"
        f"Abstract: {abstract}</description>\n"
        f'      <guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v{version}</guid>{cats}\n'
        "      <pubDate>Thu, 28 Nov 2024 00:00:00 -0500</pubDate>\n"
        f"      <arxiv:announce_type>{announce_type}</arxiv:announce_type>\n"
        "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
        f"      <dc:creator>{creators}</dc:creator>\n"
        "    </item>\n"
    )


def rss_feed(categories: Sequence[str], items: Iterable[str]) -> bytes:
    """A listing feed (channel header copied from the real one) around `items`."""
    joined = "+".join(categories)
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'version="2.0">\n  <channel>\n'
        f"    <title>{', '.join(categories)} updates on arXiv.org</title>\n"
        f"    <link>http://rss.arxiv.org/rss/{joined}</link>\n"
        f"    <description>{', '.join(categories)} updates on the arXiv.org e-print archive."
        "</description>\n"
        "    <lastBuildDate>Thu, 28 Nov 2024 14:47:20 +0000</lastBuildDate>\n"
        "    <managingEditor>rss-help@arxiv.org</managingEditor>\n"
        "    <pubDate>Thu, 28 Nov 2024 00:00:00 -0500</pubDate>\n"
        "    <skipDays>\n      <day>Saturday</day>\n      <day>Sunday</day>\n    </skipDays>\n"
        + "".join(items)
        + "  </channel>\n</rss>\n"
    ).encode()
