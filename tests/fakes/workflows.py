"""A fake Teams Workflows webhook on 127.0.0.1: records every post, answers as scripted.

Real Workflows URLs are https on *.logic.azure.com; tests allow this server's plain-http
loopback host explicitly (`WebhookUrlPolicy().with_entries(["http://127.0.0.1"])`, or
CALEA_BOT_TEAMS_ALLOWED_HOSTS=http://127.0.0.1 for the command line).

    with FakeWorkflows() as workflows:
        workflows.answer(429, retry_after="7")   # the next post gets 429, later ones 202
        url = workflows.url("flow-a")             # …/workflows/flow-a/…?sig=<secret>
        …
        workflows.posts[0].json["attachments"][0]["content"]
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    """One scripted response."""

    status: int = 202
    retry_after: str | None = None
    body: bytes = b""


@dataclass
class RecordedPost:
    """One request the fake received."""

    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def card(self) -> dict:
        """The Adaptive Card inside the message payload."""
        return self.json["attachments"][0]["content"]


@dataclass
class _State:
    answers: deque[Answer] = field(default_factory=deque)
    posts: list[RecordedPost] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        state = self.server.state
        with state.lock:
            state.posts.append(
                RecordedPost(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            answer = state.answers.popleft() if state.answers else Answer()
        self.send_response(answer.status)
        if answer.retry_after is not None:
            self.send_header("Retry-After", answer.retry_after)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        """Silence the default stderr access log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class FakeWorkflows:
    """The fake endpoint: start with `with`, script answers with `answer`, read `posts`."""

    SIGNATURE = "fake-signature-0123456789abcdef"

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeWorkflows:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, flow: str = "flow") -> str:
        """A Workflows-shaped URL for `flow`, with a secret `sig` query parameter."""
        return (
            f"{self.base}/workflows/{flow}/triggers/manual/paths/invoke"
            f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={self.SIGNATURE}"
        )

    def answer(self, status: int, *, retry_after: str | None = None, times: int = 1) -> None:
        """The next `times` posts get `status` (then 202 again)."""
        with self._server.state.lock:
            for _ in range(times):
                self._server.state.answers.append(Answer(status, retry_after))

    @property
    def posts(self) -> list[RecordedPost]:
        """Every post received so far, in order."""
        with self._server.state.lock:
            return list(self._server.state.posts)
