"""A real HTTP/1.1 feed server on 127.0.0.1 for tests: routes, slow and hostile responses.

Every test that needs HTTP talks to this server over loopback instead of mocking httpx. Routes
serve fixed bodies with optional ETag/Last-Modified (answering conditional requests with 304),
delays, trickled bodies, redirects, huge streamed bodies and gzip bombs; a callable handler
covers anything odd. Every request is recorded so tests can assert on the headers sent.

    with FeedServer() as server:
        server.route("/feed.xml", body=b"<rss/>", etag='"v1"')
        url = server.url("/feed.xml")
"""

from __future__ import annotations

import contextlib
import functools
import gzip as gzip_module
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MiB = 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class LargeBody:
    """A body of `size` bytes repeating `fill`, streamed without ever being built in memory."""

    size: int
    fill: bytes = b"\0"

    def chunks(self, chunk_size: int) -> Iterator[bytes]:
        """Yield the body in pieces of at most `chunk_size` bytes."""
        block = (self.fill * (chunk_size // len(self.fill) + 1))[:chunk_size]
        remaining = self.size
        while remaining > 0:
            piece = block[: min(chunk_size, remaining)]
            remaining -= len(piece)
            yield piece


@functools.lru_cache(maxsize=4)
def gzip_bomb(decompressed_size: int) -> bytes:
    """Gzip of `decompressed_size` zero bytes, compressed incrementally (50 MiB → ~50 KiB).

    Serve it with `headers={"Content-Encoding": "gzip"}`.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(MiB)
    parts = []
    remaining = decompressed_size
    while remaining > 0:
        size = min(MiB, remaining)
        parts.append(compressor.compress(block[:size]))
        remaining -= size
    parts.append(compressor.flush())
    return b"".join(parts)


@dataclass
class RecordedRequest:
    """One request the server received. `bytes_sent` counts body bytes written back."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    bytes_sent: int = 0
    finished: bool = False


@dataclass
class Route:
    """How the server answers one path (see `FeedServer.route`)."""

    body: bytes | LargeBody = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    chunk_delay: float = 0.0
    chunk_size: int = 64 * 1024
    chunked: bool = False
    redirect_to: str | None = None


#: A custom handler gets the live request handler (to write anything) and the server.
Handler = Callable[[BaseHTTPRequestHandler, "FeedServer"], None]


class FeedServer:
    """A threaded loopback HTTP/1.1 server with a route table and a request log."""

    def __init__(self) -> None:
        self._routes: dict[str, Route | Handler] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        self._connections: set[socket.socket] = set()
        self.stopping = threading.Event()
        self._httpd = _LoopbackHTTPServer(self)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FeedServer:
        """Start serving in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="feed-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: wake sleeping handlers and cut open connections."""
        self.stopping.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=2)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The ephemeral port the server listens on."""
        return self._httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        """The absolute http://127.0.0.1:port URL of `path`."""
        return f"http://127.0.0.1:{self.port}{path}"

    def route(
        self,
        path: str,
        *,
        body: bytes | LargeBody = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
        chunk_delay: float = 0.0,
        chunk_size: int = 64 * 1024,
        chunked: bool = False,
        redirect_to: str | None = None,
    ) -> None:
        """Serve `path` with a fixed response.

        delay: seconds before the status line. chunk_delay: seconds between body chunks of
        `chunk_size` bytes (a trickling server). gzip: compress a bytes body on the fly.
        chunked: use Transfer-Encoding: chunked instead of Content-Length. redirect_to: a path
        or URL sent as Location with status 302 (unless `status` is another 3xx). A matching
        If-None-Match (etag) or If-Modified-Since (last_modified) gets a 304.
        """
        if redirect_to is not None and not 300 <= status < 400:
            status = 302
        self._routes[path] = Route(
            body=body,
            status=status,
            headers=dict(headers or {}),
            delay=delay,
            etag=etag,
            last_modified=last_modified,
            gzip=gzip,
            chunk_delay=chunk_delay,
            chunk_size=chunk_size,
            chunked=chunked,
            redirect_to=redirect_to,
        )

    def handle(self, path: str, handler: Handler) -> None:
        """Answer `path` with a callable that writes the whole response itself."""
        self._routes[path] = handler

    # -- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests whose path (without query) is `path`."""
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Block until no request is being handled; False if that took longer than timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout=timeout)

    # -- used by the request handler ---------------------------------------------------------

    def _lookup(self, path: str) -> Route | Handler | None:
        return self._routes.get(path) or self._routes.get(path.split("?", 1)[0])

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._active += 1

    def _finish(self, request: RecordedRequest) -> None:
        with self._lock:
            request.finished = True
            self._active -= 1
            self._idle.notify_all()

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


class _LoopbackHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer bound to 127.0.0.1:0 with daemon threads and quiet errors."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: FeedServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-response is normal in these tests: stay quiet."""


class _RequestHandler(BaseHTTPRequestHandler):
    """Dispatches each request to its route or custom handler and records it."""

    protocol_version = "HTTP/1.1"
    timeout = 5  # an idle keep-alive connection cannot pin a thread for long
    server: _LoopbackHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, open_=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._track(self.connection, open_=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silence the default stderr access log."""

    def do_GET(self) -> None:
        owner = self.server.owner
        self.recorded = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        owner._record(self.recorded)
        try:
            target = owner._lookup(self.path)
            if target is None:
                self._send_simple(404, b"no such route")
            elif isinstance(target, Route):
                self._serve_route(target)
            else:
                target(self, owner)
        except OSError:
            self.close_connection = True
        finally:
            owner._finish(self.recorded)

    do_HEAD = do_GET

    def write_body(self, data: bytes) -> None:
        """Write body bytes and count them (for custom handlers too)."""
        self.wfile.write(data)
        self.recorded.bytes_sent += len(data)

    def _send_simple(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.write_body(body)

    def _serve_route(self, route: Route) -> None:
        owner = self.server.owner
        if route.delay and owner.stopping.wait(route.delay):
            self.close_connection = True
            return
        if self._not_modified(route):
            self.send_response(304)
            self._send_validators(route)
            self.end_headers()
            return
        self.send_response(route.status)
        if route.redirect_to is not None:
            location = route.redirect_to
            if location.startswith("/"):
                location = owner.url(location)
            self.send_header("Location", location)
        body = route.body
        if route.gzip and isinstance(body, bytes):
            body = gzip_module.compress(body)
            self.send_header("Content-Encoding", "gzip")
        names = {name.lower() for name in route.headers}
        if "content-type" not in names and route.status == 200:
            self.send_header("Content-Type", DEFAULT_CONTENT_TYPE)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self._send_validators(route)
        size = len(body) if isinstance(body, bytes) else body.size
        if route.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "content-length" not in names:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command != "HEAD":
            self._send_body(route, body)

    def _send_body(self, route: Route, body: bytes | LargeBody) -> None:
        stopping = self.server.owner.stopping
        if isinstance(body, bytes):
            size = route.chunk_size
            pieces: Iterator[bytes] = (body[i : i + size] for i in range(0, len(body), size))
        else:
            pieces = body.chunks(route.chunk_size)
        for index, piece in enumerate(pieces):
            if index and route.chunk_delay and stopping.wait(route.chunk_delay):
                self.close_connection = True
                return
            if route.chunked:
                self.wfile.write(b"%x\r\n" % len(piece))
                self.write_body(piece)
                self.wfile.write(b"\r\n")
            else:
                self.write_body(piece)
            self.wfile.flush()
        if route.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _send_validators(self, route: Route) -> None:
        if route.etag is not None:
            self.send_header("ETag", route.etag)
        if route.last_modified is not None:
            self.send_header("Last-Modified", route.last_modified)

    def _not_modified(self, route: Route) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip() for tag in if_none_match.split(",")}
            return route.etag is not None and (route.etag in tags or "*" in tags)
        since = self.headers.get("If-Modified-Since")
        if since is None or route.last_modified is None:
            return False
        if since == route.last_modified:
            return True
        try:
            return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
