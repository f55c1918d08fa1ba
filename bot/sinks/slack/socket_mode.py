"""Slack Socket Mode: one supervised WebSocket connection that receives /calea, buttons, events.

Which client, and why: slack_sdk's built-in client (`slack_sdk.socket_mode.builtin`), driven
by Bolt's `SocketModeHandler` (sync, like the rest of the Bolt app):

- no extra dependency: `websocket-client` or `aiohttp` would add a WebSocket library to
  production for one connection, and aiohttp would need an async Bolt app (ours is sync);
- it is the client Bolt's handler uses by default and Slack maintains it with slack_sdk; it
  acks envelopes with Bolt's response (`{"envelope_id", "payload"?}`), answers pings, pings
  Slack itself and follows `disconnect` (refresh_requested / warning) by opening a new
  connection before dropping the old one;
- `connect()` is synchronous, so a refused app token is known before the bot says it started.

What it does not do, and this module does instead: its own reconnection has no backoff (it
retries every ping interval forever, also after `invalid_auth`) and it keeps no state a health
check could read. So its auto-reconnect is off and `SocketModeConnection` supervises:
reconnect with exponential backoff and jitter; stop on a permanent auth error and say so in
`health()`; count connections, refreshes and drops. It also notices a peer that closed the TCP
connection without a close frame (FIN): the built-in client reads that as "no data" in a busy
loop until its ping check gives up (about 4 ping intervals); the supervisor peeks at the socket
and drops it at once. A connection that dies silently (no FIN, no reset) is still found by the
ping check (CALEA_BOT_SLACK_PING_INTERVAL, default 5 s).

Alert delivery never goes through this socket (it uses the Web API), so a lost connection only
delays commands; Slack does not queue slash commands meanwhile (users see an error).

The app token and the one-time WebSocket URL are never logged; the SDK's own log lines only
show at debug level (-vv).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import SlackSettings
from bot.sinks.slack.errors import error_code

log = logging.getLogger(__name__)

#: apps.connections.open errors that retrying cannot fix: the app token must be replaced.
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
        "missing_scope",
    }
)


class SocketState(StrEnum):
    """Where the Socket Mode connection stands (reported by /healthz and /readyz)."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"


class SocketAuthError(Exception):
    """Slack refused the app token (see AUTH_ERRORS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SocketConnectError(Exception):
    """The connection could not be opened this time (network, handshake, no hello)."""


@dataclass(frozen=True)
class SocketSettings:
    """Timings; the defaults suit production, tests shrink them through the environment."""

    ping_interval: float = 5.0  # CALEA_BOT_SLACK_PING_INTERVAL
    reconnect_min: float = 1.0  # CALEA_BOT_SLACK_RECONNECT_MIN: first retry delay
    reconnect_max: float = 60.0  # CALEA_BOT_SLACK_RECONNECT_MAX: backoff ceiling
    hello_timeout: float = 10.0  # how long a new connection may take to say hello

    @classmethod
    def from_slack(cls, settings: SlackSettings) -> SocketSettings:
        """The timings set in the environment (validated by bot.settings)."""
        return cls(
            ping_interval=settings.ping_interval,
            reconnect_min=settings.reconnect_min,
            reconnect_max=settings.reconnect_max,
        )

    def backoff(self, failures: int, rng: Callable[[], float] = random.random) -> float:
        """Delay before reconnect attempt number `failures + 1`: doubling, capped, jittered."""
        ceiling = min(self.reconnect_max, self.reconnect_min * 2 ** min(failures, 30))
        return ceiling * (0.5 + 0.5 * rng())


def _sdk_debug_only(_: logging.LogRecord) -> bool:
    """The SDK logs every failed attempt (and tracebacks); our own lines say it once."""
    return logging.getLogger().isEnabledFor(logging.DEBUG)


def _sdk_logger() -> logging.Logger:
    logger = logging.getLogger(f"{__name__}.sdk")
    if _sdk_debug_only not in logger.filters:
        logger.addFilter(_sdk_debug_only)
    return logger


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def describe(exc: BaseException) -> str:
    """A short, token-free description of a connection failure."""
    if isinstance(exc, SlackApiError):
        return error_code(exc)
    text = str(exc).split("\n", 1)[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class SocketModeConnection:
    """The Bolt app on a Socket Mode connection, reconnected with backoff, with a health state.

    `connect()` opens the first connection (raises SocketAuthError / SocketConnectError);
    after that a supervisor thread keeps it open until `close()`.
    """

    #: How often the supervisor looks at the connection.
    CHECK_INTERVAL = 0.1

    def __init__(
        self,
        app: App,
        app_token: str,
        client: WebClient,
        settings: SocketSettings | None = None,
    ) -> None:
        self.settings = settings or SocketSettings()
        # `client` carries SLACK_API_URL, so apps.connections.open goes there too; the SDK
        # sends the app token (not the bot token) for that one call.
        self._handler = SocketModeHandler(
            app,
            app_token,
            logger=_sdk_logger(),
            web_client=client,
            auto_reconnect_enabled=False,  # the supervisor reconnects, with backoff
            ping_interval=self.settings.ping_interval,
        )
        self._client = self._handler.client
        self._client.on_message_listeners.append(self._on_raw_message)
        self._lock = threading.Lock()
        self._hello = threading.Event()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._state = SocketState.CONNECTING
        self._since = _now()
        self._connected_at: str | None = None
        self._connections = 0
        self._reconnects = 0
        self._refreshes = 0
        self._last_disconnect: str | None = None
        self._last_error: str | None = None

    # -- state ------------------------------------------------------------------------------

    def _set_state(self, state: SocketState) -> None:
        with self._lock:
            if state != self._state:
                self._state = state
                self._since = _now()

    @property
    def state(self) -> SocketState:
        with self._lock:
            state = self._state
        if state == SocketState.CONNECTED and not self._client.is_connected():
            return SocketState.RECONNECTING  # lost just now; the supervisor is on it
        return state

    def health(self) -> dict[str, Any]:
        """For /healthz and /readyz: ok unless the app token was refused; ready when connected."""
        state = self.state
        with self._lock:
            return {
                "ok": state not in (SocketState.AUTH_FAILED, SocketState.STOPPED),
                "ready": state == SocketState.CONNECTED,
                "mode": "socket",
                "state": state.value,
                "since": self._since,
                "connected_at": self._connected_at,
                "connections": self._connections,
                "reconnects": self._reconnects,
                "refreshes": self._refreshes,
                "last_disconnect": self._last_disconnect,
                "last_error": self._last_error,
            }

    def _on_raw_message(self, raw: str) -> None:
        """Runs on the receiving thread for every text frame: notes hello and disconnect."""
        if '"envelope_id"' in raw:
            return  # an envelope (Bolt handles it); hello and disconnect carry no envelope_id
        try:
            message = json.loads(raw)
        except ValueError:
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "hello":
            with self._lock:
                self._connections += 1
                self._connected_at = _now()
            self._hello.set()
            self._set_state(SocketState.CONNECTED)
        elif kind == "disconnect":
            # The SDK opens a new connection at once (process_message), then drops this one.
            reason = str(message.get("reason") or "unknown")
            with self._lock:
                self._refreshes += 1
                self._last_disconnect = f"slack asked to reconnect ({reason})"
            log.info("Slack Socket Mode: Slack asked for a new connection (%s)", reason)

    # -- connecting -------------------------------------------------------------------------

    def _open(self) -> None:
        """One attempt: a new URL from apps.connections.open, the WebSocket, Slack's hello."""
        try:
            url = self._client.issue_new_wss_url()
        except SlackApiError as exc:
            code = error_code(exc)
            if code in AUTH_ERRORS:
                raise SocketAuthError(code) from None
            raise SocketConnectError(code) from None
        except Exception as exc:  # noqa: BLE001 - network trouble reaching the Web API
            raise SocketConnectError(describe(exc)) from None
        self._hello.clear()
        acquired = self._client.connect_operation_lock.acquire(timeout=5)
        try:
            self._client.wss_uri = url
            self._client.connect()  # logs and swallows handshake errors: check below
        finally:
            if acquired:
                self._client.connect_operation_lock.release()
        if not self._client.is_connected():
            raise SocketConnectError("the WebSocket handshake failed")
        if not self._hello.wait(self.settings.hello_timeout):
            self._client.disconnect()
            raise SocketConnectError("Slack sent no hello on the new connection")

    def connect(self) -> None:
        """Open the first connection and start supervising it."""
        self._open()
        self._supervisor = threading.Thread(
            target=self._supervise, name="slack-socket-supervisor", daemon=True
        )
        self._supervisor.start()

    def _peer_closed(self) -> bool:
        """True when the server closed the TCP connection (EOF and nothing left to read).

        Peeks at a duplicate of the socket's descriptor, below TLS: nothing is consumed.
        """
        session = self._client.current_session
        sock = getattr(session, "sock", None)
        if sock is None or not hasattr(socket, "MSG_DONTWAIT"):
            return False
        try:
            with socket.socket(sock.family, sock.type, fileno=os.dup(sock.fileno())) as raw:
                return raw.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False  # open, nothing to read
        except OSError:
            return True  # reset, or already closed

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.wait(self.CHECK_INTERVAL):
            if self._client.is_connected():
                if not self._peer_closed():
                    continue
                log.debug("Slack Socket Mode: the server closed the connection")
                self._client.disconnect()
            if failures == 0:
                with self._lock:
                    self._last_disconnect = self._last_disconnect or "connection lost"
                self._set_state(SocketState.RECONNECTING)
                log.warning("Slack Socket Mode: connection lost; reconnecting")
            delay = self.settings.backoff(failures)
            if self._stopping.wait(delay):
                return
            try:
                self._open()
            except SocketAuthError as exc:
                with self._lock:
                    self._last_error = exc.code
                self._set_state(SocketState.AUTH_FAILED)
                log.error(
                    "Slack Socket Mode: Slack refused SLACK_APP_TOKEN (%s); /calea is not "
                    "answered until the token is replaced and the bot restarted (alerts are "
                    "still delivered)",
                    exc.code,
                )
                return
            except SocketConnectError as exc:
                failures += 1
                with self._lock:
                    self._last_error = str(exc)
                log.warning("Slack Socket Mode: reconnect attempt %d failed (%s)", failures, exc)
                continue
            with self._lock:
                self._reconnects += 1
                self._last_disconnect = None
            after = f" after {failures} failed attempts" if failures else ""
            log.warning("Slack Socket Mode: reconnected%s", after)
            failures = 0

    def close(self) -> None:
        """Stop supervising and close the connection and the SDK's threads."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        self._set_state(SocketState.STOPPED)
        started = time.monotonic()
        self._handler.close()
        log.debug("Slack Socket Mode: closed in %.2fs", time.monotonic() - started)
