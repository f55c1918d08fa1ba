"""The fetch stage against a real loopback HTTP server: statuses, limits, redirects, politeness."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import threading
import tracemalloc
import zlib
from email.utils import format_datetime

import httpx
import pytest

from bot.feeds.fetch import Fetcher
from bot.models import FetchResult, FetchSettings, Health, Source
from tests.fakes.feed_server import FeedServer, LargeBody, MiB, gzip_bomb

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>FCC</title>'
    b"<item><title>Order</title><link>https://www.fcc.gov/document/x</link></item>"
    b"</channel></rss>"
)
LAST_MODIFIED = "Wed, 21 Oct 2025 07:28:00 GMT"
SETTINGS = FetchSettings(
    user_agent="calea-bot-test/1.0 (+https://example.org/bot)",
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=3.0,
    max_bytes=1 * MiB,
    max_redirects=3,
)


def source_for(url: str) -> Source:
    return Source(id="fcc-headlines", name="FCC headlines", url=url)


def fetch(url: str, settings: FetchSettings = SETTINGS, **validators: str | None) -> FetchResult:
    """One fetch with a fresh Fetcher on a fresh event loop."""

    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(source_for(url), **validators)

    return asyncio.run(run())


def respond(handler, status: int = 200, body: bytes = RSS, headers: dict | None = None) -> None:
    """Write a complete response from a custom feed-server handler."""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.write_body(body)


class InFlightCounter:
    """Custom handler that counts simultaneous requests and records the peak.

    Each request lingers until more than `limit` requests are in flight (a violation, so
    there is no point waiting) or `linger` seconds pass. The assertion is on the peak count.
    """

    def __init__(self, limit: int, linger: float = 0.1) -> None:
        self.limit = limit
        self.linger = linger
        self.current = 0
        self.peak = 0
        self.condition = threading.Condition()

    def __call__(self, handler, server) -> None:
        with self.condition:
            self.current += 1
            self.peak = max(self.peak, self.current)
            self.condition.notify_all()
            self.condition.wait_for(lambda: self.current > self.limit, timeout=self.linger)
        try:
            respond(handler)
        finally:
            with self.condition:
                self.current -= 1


# -- success and conditional GET -----------------------------------------------------------


def test_ok_then_conditional_get_returns_not_modified(feed_server):
    feed_server.route("/feed.xml", body=RSS, etag='"v1"', last_modified=LAST_MODIFIED)
    first = fetch(feed_server.url("/feed.xml"))
    assert first.health is Health.OK
    assert first.status_code == 200
    assert first.body == RSS
    assert first.content_type == "application/rss+xml; charset=utf-8"
    assert (first.etag, first.last_modified) == ('"v1"', LAST_MODIFIED)
    assert first.elapsed_seconds > 0
    assert "if-none-match" not in feed_server.requests[0].headers

    second = fetch(feed_server.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified)
    assert second.health is Health.NOT_MODIFIED
    assert second.body is None
    assert (second.etag, second.last_modified) == ('"v1"', LAST_MODIFIED)
    sent = feed_server.requests[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == LAST_MODIFIED


def test_last_modified_alone_gives_not_modified(feed_server):
    feed_server.route("/feed.xml", body=RSS, last_modified=LAST_MODIFIED)
    result = fetch(feed_server.url("/feed.xml"), last_modified=LAST_MODIFIED)
    assert result.health is Health.NOT_MODIFIED
    assert result.last_modified == LAST_MODIFIED


def test_changed_etag_gives_the_new_body_and_validator(feed_server):
    feed_server.route("/feed.xml", body=RSS, etag='"v2"')
    result = fetch(feed_server.url("/feed.xml"), etag='"v1"')
    assert result.health is Health.OK
    assert result.etag == '"v2"'


def test_bare_304_keeps_the_stored_validators(feed_server):
    feed_server.handle("/feed.xml", lambda handler, server: respond(handler, 304, b""))
    result = fetch(feed_server.url("/feed.xml"), etag='"v1"', last_modified=LAST_MODIFIED)
    assert result.health is Health.NOT_MODIFIED
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)


def test_unsendable_stored_etag_is_not_sent(feed_server):
    feed_server.route("/feed.xml", body=RSS)
    result = fetch(feed_server.url("/feed.xml"), etag='"v1"\r\nX-Injected: 1')
    assert result.health is Health.OK
    headers = feed_server.requests[0].headers
    assert "if-none-match" not in headers and "x-injected" not in headers


def test_identifying_user_agent_and_feed_accept_headers_are_sent(feed_server):
    feed_server.route("/feed.xml", body=RSS)
    fetch(feed_server.url("/feed.xml"))
    headers = feed_server.requests[0].headers
    assert headers["user-agent"] == SETTINGS.user_agent
    assert "application/rss+xml" in headers["accept"]
    assert "application/atom+xml" in headers["accept"]
    assert "gzip" in headers["accept-encoding"]


def test_gzip_encoded_feed_is_decompressed(feed_server):
    feed_server.route("/feed.xml", body=RSS, gzip=True)
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.OK
    assert result.body == RSS


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_encoded_feed_is_decompressed(feed_server, wbits):
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = compressor.compress(RSS) + compressor.flush()
    feed_server.route("/feed.xml", body=body, headers={"Content-Encoding": "deflate"})
    assert fetch(feed_server.url("/feed.xml")).body == RSS


def test_corrupt_gzip_body_is_a_server_error(feed_server):
    feed_server.route("/feed.xml", body=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.SERVER_ERROR
    assert "corrupt" in result.message


def test_html_page_is_returned_as_ok_for_the_parser_to_judge(feed_server):
    page = b"\xef\xbb\xbf  <!DOCTYPE html><html><body>Just a moment...</body></html>"
    feed_server.route("/feed.xml", body=page, headers={"Content-Type": "text/html"})
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.OK
    assert result.body == page
    assert result.content_type == "text/html"


def test_empty_200_is_not_a_feed(feed_server):
    feed_server.route("/feed.xml", body=b"")
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.NOT_A_FEED
    assert "empty response" in result.message
    assert result.body is None


# -- HTTP errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "health", "text"),
    [
        (401, Health.BLOCKED, "HTTP 401 Unauthorized"),
        (403, Health.BLOCKED, "HTTP 403 Forbidden — the site refuses automated requests"),
        (404, Health.NOT_FOUND, "HTTP 404 Not Found"),
        (410, Health.NOT_FOUND, "HTTP 410 Gone"),
        (500, Health.SERVER_ERROR, "HTTP 500 Internal Server Error"),
        (502, Health.SERVER_ERROR, "HTTP 502 Bad Gateway"),
        (400, Health.CLIENT_ERROR, "HTTP 400 Bad Request"),
        (418, Health.CLIENT_ERROR, "HTTP 418"),
    ],
)
def test_error_statuses_map_to_health(feed_server, status, health, text):
    feed_server.route("/feed.xml", status=status, body=b"<html>denied</html>")
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is health
    assert result.status_code == status
    assert result.message.startswith(text)
    assert result.body is None


def test_rate_limited_with_retry_after_seconds(feed_server):
    feed_server.route("/feed.xml", status=429, headers={"Retry-After": "120"})
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.RATE_LIMITED
    assert result.retry_after_seconds == 120.0
    assert "retry after 120 s" in result.message


def test_rate_limited_with_retry_after_http_date(feed_server):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=600)
    feed_server.route(
        "/feed.xml", status=429, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.RATE_LIMITED
    assert 500.0 < result.retry_after_seconds <= 600.0


def test_service_unavailable_carries_retry_after(feed_server):
    feed_server.route("/feed.xml", status=503, headers={"Retry-After": "30"})
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.SERVER_ERROR
    assert result.retry_after_seconds == 30.0


def test_garbage_retry_after_is_ignored(feed_server):
    feed_server.route("/feed.xml", status=429, headers={"Retry-After": "later please"})
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.RATE_LIMITED
    assert result.retry_after_seconds is None


# -- timeouts ------------------------------------------------------------------------------


def test_slow_server_times_out(feed_server):
    feed_server.route("/feed.xml", body=RSS, delay=5.0)
    settings = FetchSettings(read_timeout=0.2, total_timeout=2.0)
    result = fetch(feed_server.url("/feed.xml"), settings)
    assert result.health is Health.TIMEOUT
    assert "sent nothing for 0.2 s" in result.message


def test_trickling_server_is_cut_off_by_the_total_deadline(feed_server):
    # 400 one-byte chunks, 20 ms apart: each read is fast, the whole body takes 8 s.
    feed_server.route("/feed.xml", body=b"x" * 400, chunk_size=1, chunk_delay=0.02)
    settings = FetchSettings(read_timeout=1.0, total_timeout=0.3)
    result = fetch(feed_server.url("/feed.xml"), settings)
    assert result.health is Health.TIMEOUT
    assert "0.3 s total time limit" in result.message


# -- size limits ---------------------------------------------------------------------------


def test_declared_oversized_body_is_rejected_without_reading_it(feed_server):
    feed_server.route("/big.xml", body=LargeBody(50 * MiB))
    result = fetch(feed_server.url("/big.xml"))
    assert result.health is Health.TOO_LARGE
    assert "declares 52,428,800 bytes" in result.message


def test_streamed_oversized_body_stops_at_the_cap(feed_server):
    feed_server.route("/big.xml", body=LargeBody(50 * MiB), chunked=True)
    result = fetch(feed_server.url("/big.xml"))
    assert result.health is Health.TOO_LARGE
    assert feed_server.wait_idle()
    # Reading stopped early: far less than 50 MiB left the server (socket buffers aside).
    assert feed_server.requests[0].bytes_sent < 20 * MiB


def test_gzip_bomb_is_too_large(feed_server):
    bomb = gzip_bomb(50 * MiB)
    assert len(bomb) < MiB
    feed_server.route("/bomb.xml", body=bomb, headers={"Content-Encoding": "gzip"})
    result = fetch(feed_server.url("/bomb.xml"))
    assert result.health is Health.TOO_LARGE
    assert "after decompression" in result.message


def test_gzip_bomb_never_expands_in_memory_beyond_the_cap(feed_server):
    bomb = gzip_bomb(50 * MiB)  # built before tracing starts
    feed_server.route("/bomb.xml", body=bomb, headers={"Content-Encoding": "gzip"})

    async def run() -> tuple[FetchResult, int]:
        async with Fetcher(SETTINGS) as fetcher:
            tracemalloc.start()  # after the client (and its TLS context) exists
            try:
                result = await fetcher.fetch(source_for(feed_server.url("/bomb.xml")))
                return result, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    result, peak = asyncio.run(run())
    assert result.health is Health.TOO_LARGE
    assert peak < 4 * MiB  # the cap is 1 MiB; one unbounded zlib call would allocate ~50 MiB


def test_body_exactly_at_the_cap_is_accepted(feed_server):
    feed_server.route("/feed.xml", body=b"x" * 1000, gzip=True)
    result = fetch(feed_server.url("/feed.xml"), FetchSettings(max_bytes=1000))
    assert result.health is Health.OK
    assert len(result.body) == 1000


def test_one_byte_over_the_cap_is_too_large(feed_server):
    feed_server.route("/feed.xml", body=b"x" * 1001, gzip=True)
    result = fetch(feed_server.url("/feed.xml"), FetchSettings(max_bytes=1000))
    assert result.health is Health.TOO_LARGE


# -- redirects and URLs --------------------------------------------------------------------


def test_redirect_to_a_good_feed_reports_the_final_url(feed_server):
    feed_server.route("/old.xml", status=301, redirect_to="/new.xml")
    feed_server.route("/new.xml", body=RSS)
    result = fetch(feed_server.url("/old.xml"))
    assert result.health is Health.OK
    assert result.url == feed_server.url("/new.xml")
    assert result.body == RSS


def test_redirect_loop_is_too_many_redirects(feed_server):
    feed_server.route("/a", redirect_to="/b")
    feed_server.route("/b", redirect_to="/a")
    result = fetch(feed_server.url("/a"))
    assert result.health is Health.TOO_MANY_REDIRECTS
    assert "loop" in result.message
    assert len(feed_server.requests) == SETTINGS.max_redirects + 1


def test_redirect_chain_longer_than_the_limit(feed_server):
    for hop in range(5):
        feed_server.route(f"/hop{hop}", redirect_to=f"/hop{hop + 1}")
    feed_server.route("/hop5", body=RSS)
    result = fetch(feed_server.url("/hop0"))
    assert result.health is Health.TOO_MANY_REDIRECTS
    assert "more than 3 redirects" in result.message


def test_redirect_to_a_non_http_url_is_refused(feed_server):
    feed_server.route("/feed.xml", redirect_to="ftp://example.org/feed.xml")
    result = fetch(feed_server.url("/feed.xml"))
    assert result.health is Health.INVALID_URL
    assert "ftp" in result.message


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "http://", ""],
)
def test_non_http_urls_are_invalid_without_a_request(url):
    result = fetch(url)
    assert result.health is Health.INVALID_URL
    assert result.url == url
    assert result.elapsed_seconds == 0.0


def test_connection_refused_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch(f"http://127.0.0.1:{port}/feed.xml")
    assert result.health is Health.CONNECTION_ERROR
    assert "127.0.0.1" in result.message


def test_query_strings_never_reach_the_logs(feed_server, caplog):
    caplog.set_level(logging.DEBUG)
    feed_server.route("/feed.xml", body=RSS)
    result = fetch(feed_server.url("/feed.xml?api_key=s3cret-key"))
    assert result.health is Health.OK
    assert "fcc-headlines" in caplog.text
    assert "s3cret-key" not in caplog.text


def test_transport_seam_accepts_an_httpx_mock_transport():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=RSS, headers={"ETag": '"m1"'})

    async def run() -> FetchResult:
        transport = httpx.MockTransport(answer)
        async with Fetcher(SETTINGS, transport=transport) as fetcher:
            return await fetcher.fetch(source_for("https://feeds.example.org/rss"))

    result = asyncio.run(run())
    assert (result.health, result.body, result.etag) == (Health.OK, RSS, '"m1"')


# -- concurrency ---------------------------------------------------------------------------


def test_per_host_concurrency_is_limited(feed_server):
    counter = InFlightCounter(limit=2)
    feed_server.handle("/feed.xml", counter)
    settings = FetchSettings(per_host_concurrency=2, total_concurrency=32)

    async def run() -> list[FetchResult]:
        async with Fetcher(settings) as fetcher:
            source = source_for(feed_server.url("/feed.xml"))
            return await asyncio.gather(*(fetcher.fetch(source) for _ in range(6)))

    results = asyncio.run(run())
    assert [r.health for r in results] == [Health.OK] * 6
    assert len(feed_server.requests) == 6
    assert counter.peak == 2


def test_total_concurrency_is_limited_across_hosts(feed_server):
    # Queued fetches wait on the fetcher's own limit, not in the connection pool (whose
    # wait is bounded by the short pool timeout and would fail them).
    counter = InFlightCounter(limit=2, linger=0.2)
    feed_server.handle("/feed.xml", counter)
    settings = FetchSettings(per_host_concurrency=4, total_concurrency=2, connect_timeout=0.1)
    with FeedServer() as other_server:
        other_server.handle("/feed.xml", counter)

        async def run() -> list[FetchResult]:
            async with Fetcher(settings) as fetcher:
                urls = [feed_server.url("/feed.xml"), other_server.url("/feed.xml")] * 3
                return await asyncio.gather(*(fetcher.fetch(source_for(u)) for u in urls))

        results = asyncio.run(run())
    assert [r.health for r in results] == [Health.OK] * 6
    assert counter.peak == 2


def test_a_busy_host_does_not_block_another_host(feed_server):
    slow_arrived = threading.Event()
    fast_served = threading.Event()

    def slow(handler, server):
        slow_arrived.set()
        # Answers 200 only if the other host was served while this request was in flight.
        respond(handler, 200 if fast_served.wait(timeout=1.0) else 503)

    def fast(handler, server):
        fast_served.set()
        respond(handler)

    feed_server.handle("/feed.xml", slow)
    settings = FetchSettings(per_host_concurrency=1)
    with FeedServer() as other_server:
        other_server.handle("/feed.xml", fast)

        async def run() -> tuple[FetchResult, FetchResult]:
            async with Fetcher(settings) as fetcher:
                slow_task = asyncio.create_task(
                    fetcher.fetch(source_for(feed_server.url("/feed.xml")))
                )
                assert await asyncio.to_thread(slow_arrived.wait, 2.0)
                fast_result = await fetcher.fetch(source_for(other_server.url("/feed.xml")))
                return await slow_task, fast_result

        slow_result, fast_result = asyncio.run(run())
    assert fast_result.health is Health.OK
    assert slow_result.health is Health.OK


def test_waiting_for_a_busy_host_does_not_count_against_the_total_deadline(feed_server):
    def lingering(handler, server):
        server.stopping.wait(0.1)
        respond(handler)

    feed_server.handle("/feed.xml", lingering)
    # Six fetches one at a time take ~0.6 s in all; each alone stays well under 0.5 s.
    settings = FetchSettings(per_host_concurrency=1, total_timeout=0.5)

    async def run() -> list[FetchResult]:
        async with Fetcher(settings) as fetcher:
            source = source_for(feed_server.url("/feed.xml"))
            return await asyncio.gather(*(fetcher.fetch(source) for _ in range(6)))

    assert [r.health for r in asyncio.run(run())] == [Health.OK] * 6


def test_public_only_source_is_refused_before_any_request_and_on_redirect(feed_server):
    feed_server.route("/feed.xml", body=b"<rss/>")
    direct = Source(id="u", name="u", url=feed_server.url("/feed.xml"), public_only=True)
    result = asyncio.run(_fetch_once(direct))
    assert result.health is Health.INVALID_URL
    assert "loopback" in result.message
    assert feed_server.requests_to("/feed.xml") == []


async def _fetch_once(source: Source) -> FetchResult:
    async with Fetcher(FetchSettings()) as fetcher:
        return await fetcher.fetch(source)


def test_public_only_source_redirected_to_cloud_metadata_is_refused():
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})

    def public_dns(host, port):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    source = Source(id="u", name="u", url="https://feeds.example.org/rss", public_only=True)

    async def go() -> FetchResult:
        fetcher = Fetcher(
            FetchSettings(), transport=httpx.MockTransport(handler), resolver=public_dns
        )
        async with fetcher:
            return await fetcher.fetch(source)

    result = asyncio.run(go())
    assert result.health is Health.INVALID_URL
    assert "cloud metadata" in result.message
    assert requested == ["https://feeds.example.org/rss"]


def test_dns_rebinding_cannot_reach_a_private_address(feed_server):
    feed_server.route("/internal", body=b"internal-secret")
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])  # public when checked, then not

    def rebinding_dns(host, port):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    source = Source(
        id="u",
        name="u",
        url=f"http://rebind.example.org:{feed_server.port}/internal",
        public_only=True,
    )

    async def go() -> FetchResult:
        async with Fetcher(FetchSettings(), resolver=rebinding_dns) as fetcher:
            return await fetcher.fetch(source)

    result = asyncio.run(go())
    assert result.health is Health.CONNECTION_ERROR
    assert "loopback" in result.message
    assert feed_server.requests_to("/internal") == []
