"""Typed errors raised by every upstream source.

Each error carries a short, operator-facing message (shown in logs and `/status`). Messages
never contain API keys or full URLs with query strings: they name the source, the HTTP method
and the path only. No aiohttp or lxml exception escapes a source untyped; they are mapped to one
of these classes (the original is kept as `__cause__` for debugging).
"""

from __future__ import annotations


class SourceError(Exception):
    """Base class: an upstream call failed. `str(error)` is safe to log and to show an operator.

    `retryable` says whether trying the same request again later may succeed.
    `retry_after` is the server's `Retry-After` in seconds, when it sent one.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        message = message.strip() or f"{self.kind} (no details)"  # a log line never ends in ": "
        super().__init__(message)
        self.message = message
        self.source = source
        self.status = status
        self.retry_after = retry_after

    @property
    def kind(self) -> str:
        """A stable machine name for the failure, e.g. `rate_limited` (for storage and metrics)."""
        return _KINDS.get(type(self), "source_error")

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return f"{prefix}{self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, status={self.status!r})"


class UpstreamUnavailable(SourceError):
    """Connection refused or reset, a 5xx answer, or the body was cut off mid-way."""

    retryable = True


class UpstreamTimeout(UpstreamUnavailable):
    """No complete answer within the configured timeout, or within the caller's budget."""


class QueuedPastBudget(SourceError):
    """The caller's budget ran out before the call's first request was sent: it waited its
    turn in our own rate limiter behind other requests. Nothing reached the source, so its
    health is not touched."""


class RateLimited(SourceError):
    """HTTP 429: the upstream asks us to slow down (`retry_after` when it said how long)."""

    retryable = True


class MalformedResponse(SourceError):
    """The body is not what the upstream should send: truncated XML, HTML, empty, bad JSON.

    Retryable, because in practice these are transient (proxies, cut connections).
    """

    retryable = True


class UnexpectedEmptyPage(MalformedResponse):
    """A non-first arXiv API page came back with 0 entries although more were announced.

    arXiv does this spuriously (docs/sources.md#paging); it is retried like any malformed answer.
    """


class ResponseTooLarge(SourceError):
    """The body exceeded the configured size cap; reading stopped at the cap."""


class RedirectLoop(SourceError):
    """Too many redirects (a loop, or a chain longer than the configured limit)."""


class NotFound(SourceError):
    """HTTP 404: the id asked for does not exist upstream. The upstream itself is healthy."""


class AccessDenied(SourceError):
    """HTTP 401/403: the API key is missing, wrong, or out of budget."""


class BadRequest(SourceError):
    """HTTP 400 or another 4xx: the upstream rejected the request itself."""


class ArxivQueryError(BadRequest):
    """The arXiv API answered with its Atom error feed (e.g. `incorrect id format for abc`)."""


class FeedError(BadRequest):
    """The arXiv listing feed answered with its error channel (e.g. an unknown archive)."""


class InternalSourceError(SourceError):
    """A bug in our own parsing or request code; logged with its traceback."""


_KINDS: dict[type[SourceError], str] = {
    SourceError: "source_error",
    UpstreamUnavailable: "unavailable",
    UpstreamTimeout: "timeout",
    QueuedPastBudget: "queued",
    RateLimited: "rate_limited",
    MalformedResponse: "malformed",
    UnexpectedEmptyPage: "unexpected_empty_page",
    ResponseTooLarge: "too_large",
    RedirectLoop: "redirect_loop",
    NotFound: "not_found",
    AccessDenied: "access_denied",
    BadRequest: "bad_request",
    ArxivQueryError: "arxiv_query_error",
    FeedError: "feed_error",
    InternalSourceError: "internal",
}
