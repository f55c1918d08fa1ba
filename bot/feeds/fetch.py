"""The fetch stage: one HTTP GET of a feed, polite and within hard limits, as a FetchResult.

Polite: an identifying User-Agent, conditional GET (ETag / Last-Modified → 304), at most a few
requests per host at once and a global cap. Safe: only http(s) (checked on every redirect),
connect/read timeouts plus a total deadline a trickling server cannot stretch, and a cap on the
*decompressed* body enforced while streaming, so neither a 50 MB page nor a gzip bomb is ever
held in memory. Failures are data: every outcome is a `FetchResult` with a `Health` and a short
message. Deciding whether the bytes are a feed is the parse stage's job.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import socket
import time
import zlib
from http import HTTPStatus
from types import TracebackType

import httpx

from bot.common.retry_after import parse_retry_after
from bot.feeds.guard import Resolver, check_public_url, public_only_transport
from bot.models import FetchResult, FetchSettings, Health, Source

logger = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/json;q=0.8, application/xml;q=0.8, "
    "text/xml;q=0.8, */*;q=0.5"
)
# Only what _CappedBody can decode with a bounded output size.
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_REASON_CHARS = 200

_STATUS_HINTS: dict[Health, str] = {
    Health.BLOCKED: "the site refuses automated requests",
    Health.NOT_FOUND: "the feed URL no longer exists; check feeds.yaml",
    Health.RATE_LIMITED: "the site asked us to slow down",
    Health.SERVER_ERROR: "the site is failing; retrying with backoff",
    Health.CLIENT_ERROR: "the site rejected the request; check the URL",
}


def _host_key(url: httpx.URL) -> tuple[str, int]:
    """What counts as one host for politeness: host name and port."""
    return (url.host.lower(), url.port or (443 if url.scheme == "https" else 80))


class Fetcher:
    """Async, polite, bounded HTTP fetcher for feeds (httpx.AsyncClient).

    Use one Fetcher per event loop, ideally as `async with Fetcher(settings) as fetcher:`.
    A "host" for the per-host limit is host name plus port. `transport` is the seam for tests
    and for callers that need their own (e.g. httpx.MockTransport).
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self._settings = settings
        self._resolver = resolver  # for public-only sources; injected in tests
        self._transport = transport
        # One small pool per host: httpcore scans its whole pool on every request, which is
        # quadratic in the pool size, and per-host politeness caps each host at a few
        # connections anyway. All pools share one SSL context (loading CAs is expensive).
        self._ssl_context = httpx.create_ssl_context() if transport is None else None
        self._clients: dict[tuple[str, int, bool], httpx.AsyncClient] = {}
        _redact_httpx_request_logs()
        self._total_limit = asyncio.Semaphore(max(1, settings.total_concurrency))
        self._host_limits: dict[tuple[str, int], asyncio.Semaphore] = {}

    def _client_for(self, url: httpx.URL, *, public_only: bool = False) -> httpx.AsyncClient:
        """The connection pool for `url`'s host (one shared client when a transport is given).

        Public-only sources (added from chat) get pools that connect only to the public
        addresses they vetted themselves, so DNS rebinding cannot reach a private address.
        """
        if self._transport is not None:
            key: tuple[str, int, bool] = ("*", 0, public_only)
        else:
            key = (*_host_key(url), public_only)
        client = self._clients.get(key)
        if client is None:
            settings = self._settings
            size = max(1, settings.per_host_concurrency)
            transport = self._transport
            if transport is not None:
                size = max(1, settings.total_concurrency)
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            if public_only and transport is None:
                transport = public_only_transport(
                    self._resolver, verify=self._ssl_context or True, limits=limits
                )
            client = httpx.AsyncClient(
                transport=transport,
                verify=self._ssl_context or True,
                headers={
                    "User-Agent": settings.user_agent,
                    "Accept": FEED_ACCEPT,
                    "Accept-Encoding": ACCEPT_ENCODING,
                },
                timeout=httpx.Timeout(
                    connect=settings.connect_timeout,
                    read=settings.read_timeout,
                    write=settings.read_timeout,
                    pool=settings.connect_timeout,
                ),
                limits=limits,
                follow_redirects=False,
                trust_env=not public_only,  # no proxy may resolve a chat user's URL for us
            )
            self._clients[key] = client
        return client

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    async def fetch(
        self, source: Source, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET `source.url` (conditionally when validators are given). Never raises for
        network or HTTP problems: they come back as the result's `health` and `message`."""
        reason = unsupported_url_reason(source.url)
        if reason is not None:
            return FetchResult(source.id, source.url, Health.INVALID_URL, message=reason)
        attempt = _Attempt(source=source, url=httpx.URL(source.url))
        headers = _conditional_headers(etag, last_modified)
        async with self._total_limit:
            try:
                result = await self._follow_redirects(attempt, headers, etag, last_modified)
            except TimeoutError:  # our total deadline, not an httpx timeout
                result = attempt.failure(
                    Health.TIMEOUT,
                    f"no complete response within the {self._settings.total_timeout:g} s "
                    "total time limit",
                )
            except httpx.TimeoutException as exc:
                result = attempt.failure(Health.TIMEOUT, self._timeout_message(exc))
            except _CorruptBody as exc:
                result = attempt.failure(
                    Health.SERVER_ERROR, f"the server sent a corrupt compressed body ({exc})"
                )
            except (httpx.HTTPError, OSError) as exc:
                result = attempt.failure(
                    Health.CONNECTION_ERROR,
                    f"could not fetch from {attempt.url.host}: {_short_reason(exc)}",
                )
        elapsed = time.monotonic() - attempt.started if attempt.started is not None else 0.0
        logger.debug(
            "fetched %s (%s): %s, %s in %.2f s",
            source.id,
            loggable_url(result.url),
            result.health,
            result.message,
            elapsed,
        )
        return dataclasses.replace(result, elapsed_seconds=elapsed)

    async def _follow_redirects(
        self,
        attempt: _Attempt,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        """Request, following up to max_redirects redirects, each hop under its host's limit.

        The total deadline starts when the first request can go out (time spent queueing
        behind other fetches of the same host does not count against it).
        """
        seen: set[str] = set()
        for _hop in range(self._settings.max_redirects + 1):
            seen.add(str(attempt.url))
            if attempt.source.public_only:
                refusal = await asyncio.to_thread(
                    check_public_url, str(attempt.url), self._resolver
                )
                if refusal is not None:
                    return attempt.failure(Health.INVALID_URL, refusal)
            async with self._host_limit(attempt.url):
                if attempt.deadline is None:
                    attempt.started = time.monotonic()
                    loop_now = asyncio.get_running_loop().time()
                    attempt.deadline = loop_now + self._settings.total_timeout
                async with asyncio.timeout_at(attempt.deadline):
                    client = self._client_for(attempt.url, public_only=attempt.source.public_only)
                    request = client.build_request("GET", attempt.url, headers=headers)
                    response = await client.send(request, stream=True)
                    try:
                        location = response.headers.get("Location")
                        if response.status_code not in REDIRECT_STATUSES or not location:
                            return await self._read_response(attempt, response, etag, last_modified)
                    finally:
                        await response.aclose()
            target = _redirect_target(attempt.url, location)
            if target is None:
                return attempt.failure(
                    Health.INVALID_URL,
                    f"HTTP {response.status_code} redirect to an invalid URL",
                    response.status_code,
                )
            reason = unsupported_url_reason(str(target))
            if reason is not None:
                return attempt.failure(
                    Health.INVALID_URL, f"redirected to an unusable URL: {reason}"
                )
            attempt.url = target
        loop_hint = " (a redirect loop)" if str(attempt.url) in seen else ""
        return attempt.failure(
            Health.TOO_MANY_REDIRECTS,
            f"more than {self._settings.max_redirects} redirects{loop_hint}",
        )

    async def _read_response(
        self,
        attempt: _Attempt,
        response: httpx.Response,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        """Turn a non-redirect response into a result, streaming a 2xx body under the cap."""
        status = response.status_code
        if status == 304:
            return FetchResult(
                attempt.source.id,
                str(attempt.url),
                Health.NOT_MODIFIED,
                message="HTTP 304 Not Modified — unchanged since the last poll",
                status_code=304,
                etag=response.headers.get("ETag") or etag,
                last_modified=response.headers.get("Last-Modified") or last_modified,
            )
        if not 200 <= status < 300:
            return self._error_result(attempt, response)

        limit = self._settings.max_bytes
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        declared = _declared_length(response)
        if encoding in ("", "identity") and declared is not None and declared > limit:
            return attempt.failure(
                Health.TOO_LARGE,
                f"the response declares {declared:,} bytes, over the {_size(limit)} limit",
                status,
            )
        if response.is_stream_consumed:
            # An in-memory response (e.g. from httpx.MockTransport): already read and decoded.
            body = _CappedBody("identity", limit)
            body.feed(response.content)
        else:
            body = _CappedBody(encoding, limit)
            async for raw in response.aiter_raw():
                body.feed(raw)
                if body.too_large:
                    break
        content = body.finish()
        if body.too_large:
            return attempt.failure(
                Health.TOO_LARGE,
                f"the response is larger than the {_size(limit)} limit (after decompression)",
                status,
            )
        if not content:
            return attempt.failure(
                Health.NOT_A_FEED, f"empty response (HTTP {status} with no body)", status
            )
        return FetchResult(
            attempt.source.id,
            str(attempt.url),
            Health.OK,
            message=f"{_status_label(status)}, {len(content):,} bytes",
            status_code=status,
            body=content,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    def _error_result(self, attempt: _Attempt, response: httpx.Response) -> FetchResult:
        """Map a 3xx/4xx/5xx status to a health, with Retry-After for 429 and 5xx."""
        status = response.status_code
        retry_after = None
        if status in (401, 403):
            health = Health.BLOCKED
        elif status in (404, 410):
            health = Health.NOT_FOUND
        elif status == 429:
            health = Health.RATE_LIMITED
        elif status >= 500:
            health = Health.SERVER_ERROR
        else:
            health = Health.CLIENT_ERROR
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), dt.datetime.now(dt.UTC)
            )
        if 300 <= status < 400:
            hint = "an unexpected redirect response without a usable Location"
        else:
            hint = _STATUS_HINTS[health]
        if retry_after is not None:
            hint += f" (retry after {retry_after:g} s)"
        return FetchResult(
            attempt.source.id,
            str(attempt.url),
            health,
            message=f"{_status_label(status)} — {hint}",
            status_code=status,
            retry_after_seconds=retry_after,
        )

    def _host_limit(self, url: httpx.URL) -> asyncio.Semaphore:
        """The semaphore bounding concurrent requests to the URL's host and port."""
        key = _host_key(url)
        limit = self._host_limits.get(key)
        if limit is None:
            limit = asyncio.Semaphore(max(1, self._settings.per_host_concurrency))
            self._host_limits[key] = limit
        return limit

    def _timeout_message(self, exc: httpx.TimeoutException) -> str:
        settings = self._settings
        if isinstance(exc, httpx.ConnectTimeout):
            return f"could not connect within {settings.connect_timeout:g} s"
        if isinstance(exc, httpx.ReadTimeout):
            return f"the server sent nothing for {settings.read_timeout:g} s"
        if isinstance(exc, httpx.PoolTimeout):
            return "no free connection in time (too many fetches at once)"
        return f"the request timed out ({type(exc).__name__})"


def unsupported_url_reason(url: str) -> str | None:
    """Why `url` cannot be fetched (not absolute http/https), or None when it is fine."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "the URL is malformed"
    if parsed.scheme not in ("http", "https"):
        scheme = parsed.scheme or "no scheme"
        return f"unsupported URL scheme '{scheme[:20]}'; only http and https feeds can be polled"
    if not parsed.host:
        return "the URL has no host name"
    return None


def loggable_url(url: str) -> str:
    """The URL without query string, fragment or credentials (queries may hold API keys)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "<malformed URL>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


class _RedactRequestUrls(logging.Filter):
    """Strips query strings from the URLs in httpx's own INFO line ("HTTP Request: GET …")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, httpx.URL) for arg in record.args
        ):
            record.args = tuple(
                loggable_url(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_URL_REDACTION = _RedactRequestUrls()


def _redact_httpx_request_logs() -> None:
    """Install the redacting filter on the "httpx" logger once (it logs every URL at INFO)."""
    httpx_logger = logging.getLogger("httpx")
    if _URL_REDACTION not in httpx_logger.filters:
        httpx_logger.addFilter(_URL_REDACTION)


@dataclasses.dataclass
class _Attempt:
    """Mutable progress of one fetch: where it is now and when its clock started."""

    source: Source
    url: httpx.URL
    started: float | None = None  # time.monotonic() when the first request went out
    deadline: float | None = None  # event-loop time for the total deadline

    def failure(self, health: Health, message: str, status: int | None = None) -> FetchResult:
        """A result without a body for the current URL."""
        return FetchResult(self.source.id, str(self.url), health, message, status_code=status)


class _CorruptBody(Exception):
    """The compressed body could not be decompressed."""


class _CappedBody:
    """Collects a response body, decompressing gzip/deflate, never holding more than `limit`.

    Decompression output is bounded on every call (zlib's max_length), so a gzip bomb never
    expands in memory past the limit however extreme its compression ratio. Unknown
    encodings are kept as they are (the parse stage will reject them), like httpx does.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self._encoding = encoding
        self._limit = limit
        self._buffer = bytearray()
        self._first_chunk = True
        self.too_large = False
        if encoding in ("gzip", "x-gzip"):
            self._decompressor: zlib._Decompress | None = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._decompressor = zlib.decompressobj()
        else:
            self._decompressor = None

    def feed(self, raw: bytes) -> None:
        """Add the next raw (still encoded) chunk; sets `too_large` past the limit."""
        if self.too_large:
            return
        data = raw if self._decompressor is None else self._decompress(raw)
        self._first_chunk = False
        self._append(data)

    def finish(self) -> bytes:
        """The complete decoded body (check `too_large` afterwards)."""
        if self._decompressor is not None and not self.too_large:
            try:
                self._append(self._decompressor.flush())
            except zlib.error as exc:
                raise _CorruptBody(str(exc)) from exc
        return bytes(self._buffer)

    def _decompress(self, raw: bytes) -> bytes:
        assert self._decompressor is not None
        room = self._limit - len(self._buffer) + 1  # one byte more is enough to know
        try:
            return self._decompressor.decompress(raw, room)
        except zlib.error as exc:
            if not (self._encoding == "deflate" and self._first_chunk):
                raise _CorruptBody(str(exc)) from exc
        # Many servers send raw deflate without the zlib header that the RFC requires.
        self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            return self._decompressor.decompress(raw, room)
        except zlib.error as exc:
            raise _CorruptBody(str(exc)) from exc

    def _append(self, data: bytes) -> None:
        if len(self._buffer) + len(data) > self._limit:
            self.too_large = True
            return
        self._buffer += data


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from stored validators (ignored when unsendable)."""
    headers = {}
    if etag and _is_sendable_header_value(etag):
        headers["If-None-Match"] = etag
    if last_modified and _is_sendable_header_value(last_modified):
        headers["If-Modified-Since"] = last_modified
    return headers


def _is_sendable_header_value(value: str) -> bool:
    """Printable ASCII only: a stored validator must not break or inject into the request."""
    return len(value) <= 1024 and all(" " <= char <= "~" for char in value)


def _redirect_target(base: httpx.URL, location: str) -> httpx.URL | None:
    """The absolute URL a Location header points to, or None if it is not a valid URL."""
    try:
        return base.join(location.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        return None


def _declared_length(response: httpx.Response) -> int | None:
    """The Content-Length header as an int, or None when absent or not a number."""
    value = response.headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


def _status_label(status: int) -> str:
    """ "HTTP 403 Forbidden": the standard phrase, never the server's own (untrusted text)."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _size(byte_count: int) -> str:
    """Bytes as a short human size: 10 MiB, 512 KiB, 300 bytes."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if byte_count >= scale:
            return f"{byte_count / scale:g} {unit}"
    return f"{byte_count} bytes"


def _short_reason(exc: BaseException) -> str:
    """A one-line, bounded description of a network exception."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:_MAX_REASON_CHARS]
