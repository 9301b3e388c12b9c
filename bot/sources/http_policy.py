"""How the HTTP path behaves, as plain values and pure functions: the options a source is
built with, the retry policy, what a response's status means (`check_status`: a typed error or
nothing), how long a `Retry-After` may make us wait, and what a URL may show in a log.

`HttpClient` (`bot.sources.http`) applies them to every request.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from multidict import CIMultiDictProxy
from yarl import URL

from bot import __version__
from bot.clock import Clock, SystemClock
from bot.sources.errors import (
    AccessDenied,
    BadRequest,
    MalformedResponse,
    NotFound,
    RateLimited,
    UpstreamUnavailable,
)
from bot.sources.limiter import Sleep

DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
# The longest wait one `Retry-After` can impose: an hour. arXiv documents no Retry-After (its
# terms ask for one request per 3 s; content changes once a weekday), the poll runs hourly by
# default, and our own cool-down never exceeds an hour either: one request an hour to a source
# that asked for more is polite, while honouring "86400" from a single answer (or a proxy's
# whim) would stop the poll, and its alerts, for a day. The error says what was asked.
MAX_RETRY_AFTER_SECONDS = 3600.0
_SECRET_PARAM_RE = re.compile(
    r"(?i)([?&;](?:api_key|apikey|api-key|key|token|access_token|mailto)=)[^&#\s]*"
)


def default_user_agent(contact_email: str = "paperscout-operator@example.invalid") -> str:
    """`PaperScout/0.1.0 (+mailto:you@example.org)`: arXiv asks for a descriptive agent."""
    return f"PaperScout/{__version__} (+mailto:{contact_email})"


def redact_url(url: str | URL) -> str:
    """The URL with secret-looking query values replaced by `***` (for logs)."""
    return _SECRET_PARAM_RE.sub(r"\1***", str(url))


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove secret query values and any of `secrets` from a text (e.g. an upstream message)."""
    text = _SECRET_PARAM_RE.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter.

    Attempt n (1-based) failing waits `base_delay * 2**(n-1)` capped at `max_delay`, times a
    random factor in [1, 1 + jitter] (jitter only upward: never less polite than the base), and
    never less than the server's `Retry-After`. A `Retry-After` longer than `max_retry_after`
    is not slept inside the call: the error is raised and the health record's `next_try_at`
    carries the wait (at most `MAX_RETRY_AFTER_SECONDS`) instead.
    """

    max_attempts: int = 4
    base_delay: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.25
    max_retry_after: float = 300.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt`."""
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        backoff *= 1.0 + self.jitter * rng.random()
        if retry_after is not None:
            return max(retry_after, backoff)
        return backoff


@dataclass(frozen=True)
class HttpOptions:
    """Everything about *how* a source talks HTTP; one instance is usually shared by all."""

    user_agent: str = field(default_factory=default_user_agent)
    timeout_seconds: float = 30.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_redirects: int = 5
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = field(default_factory=SystemClock)
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    # Bodies at least this big are parsed in a worker thread.
    parse_in_thread_bytes: int = 1024 * 1024
    # Health cool-down after consecutive failed calls: base * 2**(n-1), capped.
    cooldown_base_seconds: float = 60.0
    cooldown_max_seconds: float = 3600.0


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A fully read response. `url` is redacted; `path` has no query string.

    `retry_after_asked` is the server's `Retry-After` in seconds as sent; `retry_after` is what
    we honour (capped at `MAX_RETRY_AFTER_SECONDS`).
    """

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    method: str
    path: str
    url: str
    retry_after_asked: float | None = None

    @property
    def retry_after(self) -> float | None:
        """The wait we honour: the server's, at most `MAX_RETRY_AFTER_SECONDS`."""
        if self.retry_after_asked is None:
            return None
        return min(self.retry_after_asked, MAX_RETRY_AFTER_SECONDS)

    @property
    def where(self) -> str:
        """`GET /api/query`: how messages name the request (never with the query string)."""
        return f"{self.method} {self.path}"

    def json(self) -> Any:
        """The body as JSON; `MalformedResponse` when it is empty or not JSON."""
        if not self.body.strip():
            raise MalformedResponse(f"empty body where JSON was expected ({self.where})")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponse(f"body is not JSON ({self.where})") from exc


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now` (delta-seconds or an HTTP date), as the server asked:
    not capped (`HttpResponse.retry_after` is), never negative, None when unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def _retry_after_note(response: HttpResponse) -> str:
    """`; Retry-After 86400 s, capped to 3600 s` (empty without the header): why we wait."""
    asked = response.retry_after_asked
    if asked is None:
        return ""
    if asked > MAX_RETRY_AFTER_SECONDS:
        return f"; Retry-After {asked:g} s, capped to {MAX_RETRY_AFTER_SECONDS:g} s"
    return f"; Retry-After {asked:g} s"


def check_status(
    response: HttpResponse,
    *,
    expected: tuple[int, ...] = (200,),
    detail: str = "",
) -> None:
    """Raise the typed error for a status outside `expected` (shared by every source)."""
    status = response.status
    if status in expected:
        return
    suffix = f": {detail}" if detail else ""
    where = f"HTTP {status}, {response.where}"
    if status == 429 or status >= 500:
        where += _retry_after_note(response)
    if status == 429:
        raise RateLimited(
            f"rate limited ({where}){suffix}", status=status, retry_after=response.retry_after
        )
    if status in (401, 403):
        raise AccessDenied(f"access denied, check the API key ({where}){suffix}", status=status)
    if status == 404:
        raise NotFound(f"not found ({where}){suffix}", status=status)
    if status >= 500:
        raise UpstreamUnavailable(
            f"upstream error ({where}){suffix}", status=status, retry_after=response.retry_after
        )
    if status >= 400:
        raise BadRequest(f"request rejected ({where}){suffix}", status=status)
    raise MalformedResponse(f"unexpected status ({where}){suffix}", status=status)
