"""The WebSocket side of Slack's Socket Mode, on 127.0.0.1, for tests.

`FakeSlackApi(socket_mode=FakeSocketMode())` serves `apps.connections.open` (the app-level
token, `Authorization: Bearer xapp-…`, answers `{"ok": true, "url": "ws://127.0.0.1:PORT/link/
?ticket=…"}`; `invalid_auth` once `revoke_app_token()` was called). Each URL is good for one
connection, as Slack's are. This server (the `websockets` library, threaded) then:

- sends `hello` on every new connection;
- sends envelopes framed as Slack frames them (`slash_commands`, `interactive`, `events_api`,
  with `envelope_id`, `payload`, `accepts_response_payload`, and for events `retry_attempt` /
  `retry_reason`) to the newest connection;
- records each ack (`{"envelope_id": …, "payload"?: …}`) and how long it took; an ack later
  than `ack_deadline` (3 s, Slack's limit) is counted as late;
- sends `disconnect` (`refresh_requested` / `warning`) like Slack before it recycles a
  connection, and can drop a connection abruptly (TCP closed, no close frame);
- can refuse new WebSocket handshakes for a while (`refuse_connections`).

    socket = FakeSocketMode()
    with FakeSlackApi(socket_mode=socket) as slack:
        ...  # run the bot with SLACK_APP_TOKEN=slack.app_token, SLACK_API_URL=slack.base_url
        assert socket.wait_for_connections(1)
        envelope = socket.slash_command("help", response_url=slack.response_url())
        ack = socket.wait_for_ack(envelope)
"""

from __future__ import annotations

import itertools
import json
import socket as socketlib
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack_api import block_action_payload, event_payload, slash_command_fields

#: Slack shows the user an error when an envelope is not acknowledged within 3 seconds.
ACK_DEADLINE_SECONDS = 3.0


@dataclass
class Ack:
    """An envelope's acknowledgement as the bot sent it."""

    envelope_id: str
    payload: dict | None
    latency: float  # seconds from sending the envelope to receiving the ack
    connection: int


@dataclass
class Envelope:
    """An envelope the fake sent."""

    envelope_id: str
    type: str
    sent_at: float
    connection: int


@dataclass
class _Connection:
    number: int
    ws: ServerConnection
    opened_at: float
    closed: threading.Event = field(default_factory=threading.Event)
    how_closed: str | None = None
    open_before: list[int] = field(default_factory=list)  # connections still open at its hello


class FakeSocketMode:
    """A threaded loopback WebSocket server speaking Socket Mode (see the module)."""

    def __init__(self, *, ack_deadline: float = ACK_DEADLINE_SECONDS) -> None:
        self.ack_deadline = ack_deadline
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.refuse_connections = False
        self.tickets_issued: list[str] = []
        self.refused: list[str] = []  # why handshakes were refused
        self.connections: list[_Connection] = []
        self.envelopes: dict[str, Envelope] = {}
        self.acks: dict[str, Ack] = {}
        self.unknown_acks: list[Any] = []  # messages from the bot that ack nothing we sent
        self._unused: set[str] = set()
        self._numbers = itertools.count(1)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        """Listen on an ephemeral port; serve in a daemon thread."""
        self._server = serve(
            self._serve,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            ping_interval=None,  # the bot pings; Slack's own pings are not modelled
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket."""
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return self._server.socket.getsockname()[1]

    def new_url(self) -> str:
        """A fresh one-connection URL (what apps.connections.open returns)."""
        ticket = uuid.uuid4().hex
        with self.lock:
            self.tickets_issued.append(ticket)
            self._unused.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id=A0CALEA"

    # -- the server -------------------------------------------------------------------------

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = (parse_qs(urlsplit(request.path).query).get("ticket") or [""])[0]
        with self.changed:
            if self.refuse_connections:
                reason = "refusing connections"
            elif ticket not in self._unused:
                reason = "unknown or reused ticket"
            else:
                self._unused.discard(ticket)
                return None
            self.refused.append(reason)
            self.changed.notify_all()
        return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, reason + "\n")

    def _serve(self, ws: ServerConnection) -> None:
        conn = _Connection(next(self._numbers), ws, time.monotonic())
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {
                "host": "applink-fake-1",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": "A0CALEA"},
        }
        ws.send(json.dumps(hello))
        with self.changed:
            conn.open_before = [c.number for c in self.connections if not c.closed.is_set()]
            self.connections.append(conn)
            self.changed.notify_all()
        try:
            for raw in ws:
                self._received(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            with self.changed:
                conn.how_closed = conn.how_closed or "closed by the bot"
                conn.closed.set()
                self.changed.notify_all()

    def _received(self, conn: _Connection, raw: str | bytes) -> None:
        now = time.monotonic()
        try:
            message = json.loads(raw)
        except ValueError:
            message = raw
        with self.changed:
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            sent = self.envelopes.get(envelope_id or "")
            if sent is None or envelope_id in self.acks:
                self.unknown_acks.append(message)
            else:
                self.acks[envelope_id] = Ack(
                    envelope_id, message.get("payload"), now - sent.sent_at, conn.number
                )
            self.changed.notify_all()

    # -- what tests do ----------------------------------------------------------------------

    def live(self) -> list[_Connection]:
        """Open connections, oldest first."""
        with self.lock:
            return [c for c in self.connections if not c.closed.is_set()]

    def _newest(self) -> _Connection:
        live = self.live()
        if not live:
            raise AssertionError("the bot has no open Socket Mode connection")
        return live[-1]

    def send_envelope(
        self,
        kind: str,
        payload: dict,
        *,
        accepts_response_payload: bool,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Send one envelope on the newest connection; returns its envelope_id."""
        conn = self._newest()
        envelope_id = str(uuid.uuid4())
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            message["retry_attempt"] = retry_attempt
            message["retry_reason"] = retry_reason or ""
        with self.lock:
            self.envelopes[envelope_id] = Envelope(envelope_id, kind, time.monotonic(), conn.number)
        conn.ws.send(json.dumps(message))
        return envelope_id

    def slash_command(self, text: str, *, response_url: str, **fields: str) -> str:
        """/calea `text`, as a `slash_commands` envelope."""
        payload = slash_command_fields(text, response_url=response_url, **fields)
        return self.send_envelope("slash_commands", payload, accepts_response_payload=True)

    def block_action(self, action_id: str, value: str, *, response_url: str, **fields: str) -> str:
        """A button click, as an `interactive` envelope."""
        payload = block_action_payload(action_id, value, response_url=response_url, **fields)
        return self.send_envelope("interactive", payload, accepts_response_payload=False)

    def event(
        self, event: dict, *, event_id: str = "Ev0001", retry_attempt: int = 0, **kw: str
    ) -> str:
        """An Events API event (e.g. app_home_opened), as an `events_api` envelope."""
        reason = "" if retry_attempt == 0 else "timeout"
        return self.send_envelope(
            "events_api",
            event_payload(event, event_id=event_id, **kw),
            accepts_response_payload=False,
            retry_attempt=retry_attempt,
            retry_reason=reason,
        )

    def request_refresh(self, reason: str = "refresh_requested") -> int:
        """Send `disconnect` (`refresh_requested` or `warning`) on the newest connection, as
        Slack does before recycling it; returns that connection's number. Like Slack, the old
        connection stays open until the bot closes it (see `close_connection`)."""
        conn = self._newest()
        message = {
            "type": "disconnect",
            "reason": reason,
            "debug_info": {"host": "applink-fake-1"},
        }
        conn.ws.send(json.dumps(message))
        return conn.number

    def close_connection(self, number: int) -> None:
        """Close a connection politely (close frame), as Slack does after a `disconnect`."""
        for conn in self.live():
            if conn.number == number:
                conn.how_closed = "closed by the server"
                conn.ws.close()

    def drop(self, *, reset: bool = True) -> int:
        """Drop the newest connection abruptly, without a close frame: a TCP reset (as after a
        load balancer failure), or with `reset=False` a plain TCP close (FIN)."""
        conn = self._newest()
        conn.how_closed = "dropped by the server"
        sock = conn.ws.socket
        if reset:
            sock.setsockopt(socketlib.SOL_SOCKET, socketlib.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.shutdown(socketlib.SHUT_RDWR)
        sock.close()
        with self.changed:
            conn.closed.set()  # the serving thread may not notice its socket went away
            self.changed.notify_all()
        return conn.number

    # -- waiting ----------------------------------------------------------------------------

    def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(min(remaining, 0.05))
        return True

    def wait_for_connections(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until `count` connections have been opened in all (each got its hello)."""
        return self._wait(lambda: len(self.connections) >= count, timeout)

    def wait_for_ack(self, envelope_id: str, timeout: float | None = None) -> Ack | None:
        """The envelope's ack, waiting up to `timeout` (default: the 3 s deadline)."""
        limit = self.ack_deadline if timeout is None else timeout
        if self._wait(lambda: envelope_id in self.acks, limit):
            with self.lock:
                return self.acks[envelope_id]
        return None

    def ack_latencies(self) -> list[float]:
        """Every recorded ack latency, in seconds."""
        with self.lock:
            return [a.latency for a in self.acks.values()]

    def late_acks(self) -> list[Ack]:
        """Acks that came later than the deadline."""
        with self.lock:
            return [a for a in self.acks.values() if a.latency > self.ack_deadline]
