"""The one HTTP path every source uses: politeness, limits, retries, typed errors, health.

`HttpClient.request` sends one logical request through the source's `RateLimiter`, with a
descriptive User-Agent, a total timeout, a redirect limit and a body-size cap (the body is read
in chunks and reading stops at the cap, so a huge body never fills memory). It retries
retryable failures (connection errors, timeouts, 5xx, 429, malformed bodies) with exponential
backoff and jitter, never sooner than a `Retry-After` (capped at `MAX_RETRY_AFTER_SECONDS`), up
to `RetryPolicy.max_attempts` (the options, the policy and the status rules are in
`bot.sources.http_policy`).
Parsing runs inside the retry loop, so a truncated or empty body is retried too.

`HttpClient.track` wraps one *public* source call and reports its outcome to the
`HealthRecorder` once (not per attempt). Under a caller's `call_budget` (`bot.sources.budget`)
it also ends the call at the budget's deadline with a typed `UpstreamTimeout`.

No aiohttp exception leaves this module: each maps to a `SourceError` subclass. Messages name
the method and path only; query strings (which may hold `api_key`) never reach a message, and
URLs are passed through `redact_url` before they are logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
from lxml import etree
from multidict import CIMultiDict
from pydantic import SecretStr
from yarl import URL

from bot.sources.budget import CallBudget, current_budget
from bot.sources.errors import (
    InternalSourceError,
    MalformedResponse,
    NotFound,
    QueuedPastBudget,
    RedirectLoop,
    ResponseTooLarge,
    SourceError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from bot.sources.health import HealthRecorder, NullHealthRecorder
from bot.sources.http_policy import (
    HttpOptions,
    HttpResponse,
    parse_retry_after,
    redact_text,
    redact_url,
)
from bot.sources.limiter import RateLimiter
from bot.telemetry import SOURCE_REQUESTS

log = logging.getLogger(__name__)

T = TypeVar("T")

_CHUNK = 64 * 1024


@dataclass(slots=True)
class _CallProgress:
    """What the tracked call running in this task has done so far."""

    requests_sent: int = 0


_progress: ContextVar[_CallProgress | None] = ContextVar("source_call_progress", default=None)


def secret_text(value: SecretStr | str | None) -> str | None:
    """An API key as text (a setting's `SecretStr` or a plain string), None when unset; give
    it to `HttpClient(secrets=...)` too, so it never reaches a log."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return text or None


class HttpClient:
    """One source's HTTP path: `request` (retries, limits) and `track` (health per call)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        source: str,
        limiter: RateLimiter | None = None,
        options: HttpOptions | None = None,
        health: HealthRecorder | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.session = session
        self.source = source
        self.limiter = limiter
        self.options = options or HttpOptions()
        self.health: HealthRecorder = health or NullHealthRecorder()
        self._secrets = tuple(s for s in secrets if s)
        self._consecutive_failures = 0

    def __repr__(self) -> str:
        return f"HttpClient({self.source!r}, limiter={self.limiter!r})"

    # --- health ----------------------------------------------------------------------------

    async def track(self, call: Awaitable[T]) -> T:
        """Await one public source call and report its outcome to the health recorder."""
        progress = _CallProgress()
        token = _progress.set(progress)
        try:
            result = await self._within_budget(call, progress)
        except NotFound:
            await self._report_success()  # the upstream answered; the id just does not exist
            raise
        except QueuedPastBudget as error:
            error.source = error.source or self.source
            raise  # nothing was sent: the source is neither healthier nor sicker
        except SourceError as error:
            if error.source is None:
                error.source = self.source
            await self._report_failure(error)
            raise
        except Exception as exc:  # a bug of ours: never let it escape untyped
            log.exception("%s: unexpected error", self.source)
            error = InternalSourceError(
                f"internal error ({type(exc).__name__}); see the log", source=self.source
            )
            await self._report_failure(error)
            raise error from exc
        finally:
            _progress.reset(token)
        await self._report_success()
        return result

    async def _within_budget(self, call: Awaitable[T], progress: _CallProgress) -> T:
        """`await call`, ended at the caller's budget deadline (if any) with a typed error."""
        budget = current_budget()
        if budget is None:
            return await call
        timeout = asyncio.timeout_at(budget.deadline)
        try:
            async with timeout:
                return await call
        except TimeoutError:
            if not timeout.expired():
                raise
            raise _budget_error(budget, progress, self.limiter) from None

    async def _report_success(self) -> None:
        self._consecutive_failures = 0
        try:
            await self.health.record_success(self.source, self.options.clock.now())
        except Exception:
            log.exception("%s: health recorder failed on success", self.source)

    async def _report_failure(self, error: SourceError) -> None:
        self._consecutive_failures += 1
        now = self.options.clock.now()
        cooldown = min(
            self.options.cooldown_max_seconds,
            self.options.cooldown_base_seconds * 2 ** (self._consecutive_failures - 1),
        )
        if error.retry_after is not None:
            cooldown = max(cooldown, error.retry_after)
        next_try_at = now + timedelta(seconds=cooldown)
        log.warning(
            "%s failed (%d in a row): %s; next try after %s",
            self.source,
            self._consecutive_failures,
            error,
            next_try_at.isoformat(timespec="seconds"),
        )
        try:
            await self.health.record_failure(self.source, now, error, next_try_at)
        except Exception:
            log.exception("%s: health recorder failed on failure", self.source)

    # --- requests --------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str | URL,
        *,
        parse: Callable[[HttpResponse], T],
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        encoded: bool = False,
    ) -> T:
        """Send a request (with retries) and return `parse(response)`.

        `parse` receives every response, whatever its status, and raises a `SourceError` for
        what it does not accept (usually via `check_status`). `encoded=True` sends `url` exactly
        as given (already percent-encoded), so callers can measure the request line. `form` is
        sent as an `application/x-www-form-urlencoded` body (a POST too long for a URL).
        """
        target = URL(str(url), encoded=True) if encoded else URL(str(url))
        if params:
            target = target.update_query(params)
        policy = self.options.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await self._attempt(method, target, parse, headers, json_body, form)
            except SourceError as error:
                SOURCE_REQUESTS.labels(self.source, "error").inc()
                if error.source is None:
                    error.source = self.source
                if not error.retryable or attempt >= policy.max_attempts:
                    raise
                if error.retry_after is not None and error.retry_after > policy.max_retry_after:
                    raise
                delay = policy.delay(attempt, error.retry_after, self.options.rng)
                if error.retry_after is not None and self.limiter is not None:
                    self.limiter.hold_off(error.retry_after)
                log.info(
                    "%s: %s; retry %d/%d in %.1fs",
                    self.source,
                    error,
                    attempt,
                    policy.max_attempts - 1,
                    delay,
                )
                await self.options.sleep(delay)
            else:
                SOURCE_REQUESTS.labels(self.source, "ok").inc()
                return result

    async def _attempt(
        self,
        method: str,
        target: URL,
        parse: Callable[[HttpResponse], T],
        headers: Mapping[str, str] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
    ) -> T:
        limiter = self.limiter if self.limiter is not None else contextlib.nullcontext()
        async with limiter:
            response = await self._send(method, target, headers, json_body, form)
        try:
            if len(response.body) >= self.options.parse_in_thread_bytes:
                # A multi-megabyte feed takes tens of ms to parse: keep the event loop (and the
                # Discord heartbeat) responsive. Parsers are pure functions, safe in a thread.
                return await asyncio.to_thread(parse, response)
            return parse(response)
        except SourceError as error:
            if error.status is None:
                error.status = response.status
            raise
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, etree.Error) as exc:
            log.warning(
                "%s: could not parse %s (HTTP %d)",
                self.source,
                response.where,
                response.status,
                exc_info=True,
            )
            raise MalformedResponse(
                f"unexpected response content ({type(exc).__name__}, {response.where})",
                status=response.status,
            ) from exc

    async def _send(
        self,
        method: str,
        target: URL,
        headers: Mapping[str, str] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
    ) -> HttpResponse:
        opts = self.options
        all_headers = CIMultiDict({"User-Agent": opts.user_agent})
        if headers:
            all_headers.update(headers)
        where = f"{method} {target.path}"
        started = time.perf_counter()
        progress = _progress.get()
        if progress is not None:
            progress.requests_sent += 1
        try:
            async with self.session.request(
                method,
                target,
                headers=all_headers,
                json=json_body,
                data=dict(form) if form is not None else None,
                timeout=aiohttp.ClientTimeout(total=opts.timeout_seconds),
                allow_redirects=True,
                max_redirects=opts.max_redirects,
            ) as resp:
                limit = opts.max_body_bytes
                if resp.content_length is not None and resp.content_length > limit:
                    resp.close()
                    raise ResponseTooLarge(
                        f"body of {resp.content_length} bytes exceeds the {limit}-byte cap "
                        f"({where})",
                        status=resp.status,
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        resp.close()  # drop the connection: do not download the rest
                        raise ResponseTooLarge(
                            f"body exceeds the {limit}-byte cap ({where})", status=resp.status
                        )
                    chunks.append(chunk)
                response = HttpResponse(
                    status=resp.status,
                    headers=resp.headers,
                    body=b"".join(chunks),
                    method=method,
                    path=resp.url.path,
                    url=redact_url(resp.url),
                    retry_after_asked=parse_retry_after(
                        resp.headers.get("Retry-After"), opts.clock.now()
                    ),
                )
        except SourceError:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Not chained (`from None`): aiohttp's messages can hold the full URL, query string
            # and API key included. The redacted original goes to the debug log instead.
            log.debug("%s %s: %s", self.source, where, self.redact(repr(exc)))
            raise _transport_error(exc, where, opts) from None
        log.debug(
            "%s %s -> %d, %d bytes in %.0f ms",
            method,
            redact_url(target),
            response.status,
            len(response.body),
            (time.perf_counter() - started) * 1000,
        )
        return response

    def redact(self, text: str) -> str:
        """`text` with this client's secrets and secret-looking query values removed."""
        return redact_text(text, self._secrets)


def _budget_error(
    budget: CallBudget, progress: _CallProgress, limiter: RateLimiter | None
) -> SourceError:
    """Why a call ran out of its caller's budget, as the typed error to raise."""
    if progress.requests_sent == 0:
        return QueuedPastBudget(
            f"gave up after {budget.seconds:g} s waiting for a turn in the {limiter.name} "
            "rate limiter (busy with other requests); nothing was sent"
            if limiter is not None
            else f"gave up after {budget.seconds:g} s before sending a request"
        )
    sent = f"{progress.requests_sent} request{'s' if progress.requests_sent > 1 else ''} sent"
    return UpstreamTimeout(f"timed out after {budget.seconds:g} s, the caller's budget ({sent})")


def _transport_error(exc: BaseException, where: str, opts: HttpOptions) -> SourceError:
    """The typed error for an aiohttp / socket failure (no URL, no query string)."""
    if isinstance(exc, TimeoutError):
        return UpstreamTimeout(f"no answer within {opts.timeout_seconds:g}s ({where})")
    if isinstance(exc, aiohttp.TooManyRedirects):
        return RedirectLoop(f"more than {opts.max_redirects} redirects, probably a loop ({where})")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return UpstreamUnavailable(f"connection closed before the body was complete ({where})")
    if isinstance(exc, aiohttp.ClientResponseError):
        return MalformedResponse(f"invalid HTTP response ({type(exc).__name__}, {where})")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamUnavailable(f"cannot connect ({where})")
    if isinstance(exc, OSError) and exc.errno == errno.ECONNRESET:
        return UpstreamUnavailable(f"connection reset by the server ({where})")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamUnavailable(f"the server closed the connection without answering ({where})")
    return UpstreamUnavailable(f"connection failed ({type(exc).__name__}, {where})")
