"""A fake Slack Web API on 127.0.0.1 for tests, plus helpers to sign requests as Slack does.

The bot talks to it through a real `slack_sdk.WebClient(base_url=fake.base_url)`, over HTTP.
It checks the bearer token, records every call, keeps the messages posted per channel (with
their metadata, so conversations.history can answer like Slack), enforces about one message
per second per channel with 429 + Retry-After, validates blocks with slack_sdk's Block Kit
models, and fails on demand:

    with FakeSlackApi() as slack:
        slack.fail("chat.postMessage", error="channel_not_found")
        slack.fail("chat.postMessage", status=500)
        client = WebClient(token=slack.token, base_url=slack.base_url)

`response_url()` gives URLs on the same server that record what `respond()` posts.

Several workspaces: `add_workspace(team_id, token)` makes another bot token valid (auth.test
answers with its team), and `oauth_code(team_id, token)` a code oauth.v2.access exchanges
once for that installation, given the app's client id and secret (`client_id`,
`client_secret`, sent with HTTP Basic auth as slack_sdk does). Every call records the token
it came with (`ApiCall.token`, from the Authorization header).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from tests.fakes.slack_socket import FakeSocketMode

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
#: Around here Slack answers msg_blocks_too_long.
MAX_BLOCK_BYTES = 13_000


class FakeClock:
    """A clock shared by the sink (pacing) and the fake (rate limit); sleeping advances it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        """Advance time instead of waiting."""
        with self._lock:
            self.slept.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """Let time pass."""
        with self._lock:
            self.now += seconds


@dataclass
class ApiCall:
    """One Web API request the fake received."""

    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200
    error: str | None = None


@dataclass
class Message:
    """A message as the fake stores it (and returns it from conversations.history)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict]
    metadata: dict | None = None
    thread_ts: str | None = None
    edits: int = 0

    def as_history(self, with_metadata: bool, reply_count: int = 0) -> dict:
        """The message as conversations.history returns it."""
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if reply_count:
            data["reply_count"] = reply_count
        if self.blocks:
            data["blocks"] = self.blocks
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata:
            data["metadata"] = self.metadata
        return data


@dataclass
class _Failure:
    error: str | None
    status: int
    retry_after: float | None
    times: int


@dataclass
class FakeState:
    """Everything the fake remembers, guarded by one lock."""

    calls: list[ApiCall] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)  # bodies posted to response URLs
    views: list[dict] = field(default_factory=list)  # views.publish arguments
    last_post: dict[str, float] = field(default_factory=dict)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    #: Public channels the bot posts to without being a member: history says not_in_channel.
    outsider_channels: set[str] = field(default_factory=set)
    joined: set[str] = field(default_factory=set)  # channels joined with conversations.join


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def invalid_blocks(blocks: Any) -> str | None:
    """Why slack_sdk's Block Kit models reject these blocks, or None when they are valid."""
    if not isinstance(blocks, list):
        return "blocks must be a list"
    for block in blocks:
        try:
            parsed = Block.parse(block)
            if parsed is None:
                return f"unknown block {block!r:.80}"
            if parsed.to_dict() != block:
                return f"block has attributes Slack does not know: {block!r:.200}"
        except Exception as exc:  # noqa: BLE001 - any validation problem is the answer
            return f"{type(exc).__name__}: {exc}"
    return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # bursts of concurrent response_url posts, as Slack accepts


class FakeSlackApi:
    """A threaded loopback HTTP server speaking enough of the Slack Web API for the bot."""

    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        team_id: str = "T0TEAM",
        bot_user_id: str = "U0BOT",
        clock: Callable[[], float] = time.monotonic,
        min_post_interval: float = 1.0,
        app_token: str = "xapp-1-A0CALEA-1-test",
        socket_mode: FakeSocketMode | None = None,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.app_token_revoked = False
        #: Serves the WebSocket side of Socket Mode; apps.connections.open hands out its URLs.
        self.socket_mode = socket_mode
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.clock = clock
        self.min_post_interval = min_post_interval
        self.response_delay = 0.0  # seconds each response_url post takes
        self.users: dict[str, dict] = {}
        #: Bot tokens of every workspace the app is installed in → (team id, bot user id).
        self.workspaces: dict[str, tuple[str, str]] = {token: (team_id, bot_user_id)}
        self.client_id = "1111.2222"
        self.client_secret = "fake-client-secret"
        self.codes: dict[str, dict] = {}  # OAuth codes not yet exchanged
        self.state = FakeState()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._ts = itertools.count(1)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeSlackApi:
        """Serve in a daemon thread (and the Socket Mode server, when there is one)."""
        if self.socket_mode is not None:
            self.socket_mode.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=2)
        self._httpd.server_close()
        if self.socket_mode is not None:
            self.socket_mode.stop()

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- configuration ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to pass as WebClient(base_url=…) or SLACK_API_URL (ends with '/')."""
        return self.url("/api/")

    def url(self, path: str) -> str:
        """An absolute URL on the fake."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def response_url(self, name: str = "r1") -> str:
        """A response_url whose posts are recorded in `responses`."""
        return self.url(f"/response/{name}")

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail: `{"ok": false, "error": error}` with
        `status`, or a non-JSON HTTP `status` (e.g. 500) when no error is given."""
        with self.lock:
            self.state.failures.setdefault(method, []).append(
                _Failure(error, status, retry_after, times)
            )

    def revoke_app_token(self) -> None:
        """From now on apps.connections.open answers invalid_auth (the token was revoked)."""
        with self.lock:
            self.app_token_revoked = True

    def add_workspace(self, team_id: str, token: str, *, bot_user_id: str = "U0BOT2") -> None:
        """Another workspace the app is installed in, with its own bot token."""
        with self.lock:
            self.workspaces[token] = (team_id, bot_user_id)

    def revoke(self, token: str) -> None:
        """The token no longer works (uninstalled or revoked): invalid_auth from now on."""
        with self.lock:
            self.workspaces.pop(token, None)

    def oauth_code(self, team_id: str, token: str, *, user_token: str | None = None) -> str:
        """A code the OAuth redirect carries; oauth.v2.access exchanges it once."""
        code = f"code-{team_id}-{len(self.codes) + 1}"
        with self.lock:
            self.codes[code] = {"team_id": team_id, "token": token, "user_token": user_token}
        return code

    def add_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        team_id: str | None = None,
    ) -> None:
        """A user users.info knows (of this workspace unless `team_id` names another)."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": user_id.lower(),
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
        }

    # -- inspection -------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Recorded calls, optionally of one method only."""
        with self.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        """Messages posted (oldest first), optionally in one channel only."""
        with self.lock:
            return [m for m in self.state.messages if channel is None or m.channel == channel]

    @property
    def responses(self) -> list[dict]:
        """Bodies posted to response URLs, in order."""
        with self.lock:
            return list(self.state.responses)

    @property
    def views(self) -> list[dict]:
        """views.publish arguments, in order."""
        with self.lock:
            return list(self.state.views)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` holds (re-checked after every request); False on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self.changed:
                self.changed.wait(min(remaining, 0.05))
        return True

    # -- the API ----------------------------------------------------------------------------

    def handle(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict, dict]:
        """Answer one Web API call: (status, headers, body)."""
        with self.changed:
            call = ApiCall(method, params, token)
            self.state.calls.append(call)
            status, headers, body = self._answer(method, params, token)
            call.status = status
            call.error = body.get("error") if isinstance(body, dict) else None
            self.changed.notify_all()
            return status, headers, body

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict, dict]:
        if method == "oauth.v2.access":
            return self._api_oauth_v2_access(params, token)
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if method == "apps.connections.open":
            return self._api_apps_connections_open(token)
        if token not in self.workspaces:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        queued = self.state.failures.get(method)
        if queued:
            failure = queued[0]
            failure.times -= 1
            if failure.times <= 0:
                queued.pop(0)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(int(failure.retry_after))
            if failure.error is None:
                return failure.status, headers, {"_raw": "<html>Service Unavailable</html>"}
            return failure.status, headers, {"ok": False, "error": failure.error}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        if method == "auth.test":
            return self._api_auth_test(params, token)
        return handler(params)

    def _api_apps_connections_open(self, token: str) -> tuple[int, dict, dict]:
        """Socket Mode: only the app-level token may ask for a WebSocket URL."""
        if token == self.token:
            return 200, {}, {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token or self.app_token_revoked:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        queued = self.state.failures.get("apps.connections.open")
        if queued:
            failure = queued[0]
            failure.times -= 1
            if failure.times <= 0:
                queued.pop(0)
            if failure.error is None:
                return failure.status, {}, {"_raw": "<html>Service Unavailable</html>"}
            return failure.status, {}, {"ok": False, "error": failure.error}
        if self.socket_mode is None:
            return 200, {}, {"ok": False, "error": "socket_mode_not_enabled"}
        return 200, {}, {"ok": True, "url": self.socket_mode.new_url()}

    def _api_oauth_v2_access(self, params: dict, basic: str | None) -> tuple[int, dict, dict]:
        """The OAuth code exchange: the app's credentials (Basic auth or form), a live code."""
        credentials = f"{self.client_id}:{self.client_secret}"
        given = basic or f"{params.get('client_id')}:{params.get('client_secret')}"
        if given != credentials:
            return 200, {}, {"ok": False, "error": "invalid_client_id"}
        grant = self.codes.pop(str(params.get("code")), None)
        if grant is None:
            return 200, {}, {"ok": False, "error": "invalid_code"}
        team_id, token = grant["team_id"], grant["token"]
        self.workspaces[token] = (team_id, f"U0BOT{team_id}")
        if grant["user_token"]:
            self.workspaces[grant["user_token"]] = (team_id, "U0INSTALLER")
        authed_user: dict = {"id": "U0INSTALLER"}
        if grant["user_token"]:
            authed_user.update(access_token=grant["user_token"], scope="search:read")
        return (
            200,
            {},
            {
                "ok": True,
                "app_id": "A0CALEA",
                "authed_user": authed_user,
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": token,
                "bot_user_id": f"U0BOT{team_id}",
                "team": {"id": team_id, "name": f"Team {team_id}"},
                "enterprise": None,
                "is_enterprise_install": False,
            },
        )

    def _api_auth_test(self, params: dict, token: str | None = None) -> tuple[int, dict, dict]:
        team_id, bot_user_id = self.workspaces.get(token or "", (self.team_id, self.bot_user_id))
        return (
            200,
            {},
            {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Test Team",
                "user": "calea-bot",
                "team_id": team_id,
                "user_id": bot_user_id,
                "bot_id": f"B0{team_id}",
                "is_enterprise_install": False,
            },
        )

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n}.{n:06d}"

    def _check_blocks(self, params: dict, limit: int = MAX_BLOCKS) -> str | None:
        blocks = params.get("blocks")
        if blocks is None:
            return None
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
            params["blocks"] = blocks
        if len(blocks) > limit or invalid_blocks(blocks):
            return "invalid_blocks"
        if len(json.dumps(blocks, ensure_ascii=False).encode()) > MAX_BLOCK_BYTES:
            return "msg_blocks_too_long"
        return None

    def _api_chat_postMessage(self, params: dict) -> tuple[int, dict, dict]:
        channel = params.get("channel")
        if not channel:
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return 200, {}, {"ok": False, "error": "no_text"}
        now = self.clock()
        last = self.state.last_post.get(channel)
        if last is not None and now - last < self.min_post_interval:
            wait = max(1, int(self.min_post_interval - (now - last) + 0.999))
            return 429, {"Retry-After": str(wait)}, {"ok": False, "error": "ratelimited"}
        error = self._check_blocks(params)
        if error:
            return 200, {}, {"ok": False, "error": error}
        self.state.last_post[channel] = now
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            text=params.get("text") or "",
            blocks=params.get("blocks") or [],
            metadata=metadata,
            thread_ts=params.get("thread_ts"),
        )
        self.state.messages.append(message)
        return 200, {}, {"ok": True, "channel": channel, "ts": message.ts}

    def _api_chat_update(self, params: dict) -> tuple[int, dict, dict]:
        for message in self.state.messages:
            if message.channel == params.get("channel") and message.ts == params.get("ts"):
                error = self._check_blocks(params)
                if error:
                    return 200, {}, {"ok": False, "error": error}
                message.text = params.get("text") or message.text
                message.blocks = params.get("blocks") or message.blocks
                message.edits += 1
                return 200, {}, {"ok": True, "channel": message.channel, "ts": message.ts}
        return 200, {}, {"ok": False, "error": "message_not_found"}

    def _api_views_publish(self, params: dict) -> tuple[int, dict, dict]:
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        blocks = (view or {}).get("blocks", [])
        if len(blocks) > MAX_HOME_BLOCKS or invalid_blocks(blocks):
            return 200, {}, {"ok": False, "error": "invalid_arguments"}
        self.state.views.append({"user_id": params.get("user_id"), "view": view})
        return 200, {}, {"ok": True, "view": {"id": "V1", **(view or {})}}

    def _api_users_info(self, params: dict) -> tuple[int, dict, dict]:
        user = self.users.get(params.get("user", ""))
        if user is None:
            return 200, {}, {"ok": False, "error": "user_not_found"}
        return 200, {}, {"ok": True, "user": user}

    def _api_conversations_history(self, params: dict) -> tuple[int, dict, dict]:
        channel = params.get("channel")
        if channel in self.state.outsider_channels:  # posted to via chat:write.public only
            return 200, {}, {"ok": False, "error": "not_in_channel"}
        limit = int(params.get("limit") or 100)
        with_metadata = _truthy(params.get("include_all_metadata"))
        top = [
            m
            for m in self.state.messages
            if m.channel == channel and (m.thread_ts is None or m.thread_ts == m.ts)
        ]
        newest_first = list(reversed(top))[:limit]
        replies = {}
        for m in self.state.messages:
            if m.channel == channel and m.thread_ts and m.thread_ts != m.ts:
                replies[m.thread_ts] = replies.get(m.thread_ts, 0) + 1
        history = [m.as_history(with_metadata, replies.get(m.ts, 0)) for m in newest_first]
        return 200, {}, {"ok": True, "messages": history}

    def _api_conversations_join(self, params: dict) -> tuple[int, dict, dict]:
        channel = params.get("channel")
        self.state.joined.add(channel)
        self.state.outsider_channels.discard(channel)
        return 200, {}, {"ok": True, "channel": {"id": channel}}

    def _api_conversations_replies(self, params: dict) -> tuple[int, dict, dict]:
        channel, ts = params.get("channel"), params.get("ts")
        with_metadata = _truthy(params.get("include_all_metadata"))
        thread = [
            m
            for m in self.state.messages
            if m.channel == channel and (m.ts == ts or m.thread_ts == ts)
        ]
        if not thread:
            return 200, {}, {"ok": False, "error": "thread_not_found"}
        return 200, {}, {"ok": True, "messages": [m.as_history(with_metadata) for m in thread]}

    def record_response(self, body: dict) -> None:
        """Keep what was posted to a response URL."""
        with self.changed:
            self.state.responses.append(body)
            self.changed.notify_all()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence
        pass

    @property
    def fake(self) -> FakeSlackApi:
        return self.server.fake  # type: ignore[attr-defined]

    def _params(self, body: bytes) -> dict[str, Any]:
        query = urllib.parse.urlsplit(self.path).query
        params: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
        content_type = self.headers.get("Content-Type", "")
        if body and "json" in content_type:
            params.update(json.loads(body))
        elif body:
            params.update(urllib.parse.parse_qsl(body.decode()))
        return params

    def _reply(self, status: int, headers: Mapping[str, str], body: dict) -> None:
        raw = body.get("_raw")
        data = raw.encode() if isinstance(raw, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if raw else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/response/"):
            time.sleep(self.fake.response_delay)  # a slow response_url (Slack under load)
            self.fake.record_response(json.loads(body or b"{}"))
            self._reply(200, {}, {"_raw": "ok"})
            return
        if not path.startswith("/api/"):
            self._reply(404, {}, {"ok": False, "error": "not_found"})
            return
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        if auth.startswith("Basic "):  # oauth.v2.access: client id and secret
            token = base64.b64decode(auth[len("Basic ") :]).decode()
        status, headers, answer = self.fake.handle(path[len("/api/") :], self._params(body), token)
        self._reply(status, headers, answer)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle()

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self._handle()


# -- requests as Slack sends them ------------------------------------------------------------


def signed_headers(
    secret: str, body: str, *, timestamp: int | None = None, content_type: str | None = None
) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature for `body`, as Slack computes them."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def slash_command_fields(
    text: str,
    *,
    response_url: str,
    team_id: str = "T0TEAM",
    channel_id: str = "C0ALERTS",
    channel_name: str = "reg-alerts",
    user_id: str = "U0ALICE",
    user_name: str = "alice",
) -> dict[str, str]:
    """A /calea slash command's fields (Socket Mode sends them as the envelope's payload)."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": "example",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": "/calea",
        "text": text,
        "api_app_id": "A0CALEA",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def slash_command_body(text: str, *, response_url: str, **fields: str) -> str:
    """A /calea slash command, form-encoded exactly as Slack posts it (HTTP mode)."""
    return urllib.parse.urlencode(slash_command_fields(text, response_url=response_url, **fields))


def block_action_payload(
    action_id: str,
    value: str,
    *,
    response_url: str,
    team_id: str = "T0TEAM",
    channel_id: str = "C0ALERTS",
    channel_name: str = "reg-alerts",
    user_id: str = "U0ALICE",
) -> dict:
    """A button click (block_actions) as Slack describes it (Socket Mode: the payload)."""
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "example"},
        "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": team_id},
        "api_app_id": "A0CALEA",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000001.000001",
            "channel_id": channel_id,
        },
        "trigger_id": "1.2.3",
        "channel": {"id": channel_id, "name": channel_name},
        "message": {"type": "message", "ts": "1700000001.000001", "text": "alert"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "text": {"type": "plain_text", "text": "Mute"},
                "action_ts": "1700000002.000002",
            }
        ],
    }
    return payload


def block_action_body(action_id: str, value: str, *, response_url: str, **fields: str) -> str:
    """A button click (block_actions), form-encoded as Slack posts it (payload=JSON)."""
    payload = block_action_payload(action_id, value, response_url=response_url, **fields)
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def event_payload(event: dict, *, team_id: str = "T0TEAM", event_id: str = "Ev0001") -> dict:
    """An Events API callback (event_callback) as Slack sends it (Socket Mode: the payload)."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": "A0CALEA",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "authorizations": [
            {"team_id": team_id, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}
        ],
    }


def event_body(event: dict, *, team_id: str = "T0TEAM", event_id: str = "Ev0001") -> str:
    """An Events API callback, JSON as Slack posts it (HTTP mode)."""
    return json.dumps(event_payload(event, team_id=team_id, event_id=event_id))
