"""Slack: a sink that posts alerts, and a Bolt app that answers /calea.

`SlackIntegration.from_settings` builds everything from `Settings.slack` (bot.settings reads
and validates the environment):

- SLACK_BOT_TOKEN (xoxb-…): one workspace. Without it, SLACK_CLIENT_ID, SLACK_CLIENT_SECRET,
  SLACK_SIGNING_SECRET and CALEA_BOT_TOKEN_KEY install the app in many workspaces through
  OAuth (see oauth.py); with neither, Slack is off (no SlackSettings).
- SLACK_APP_TOKEN (xapp-…): Socket Mode (no public URL needed). Without it, HTTP mode, which
  needs SLACK_SIGNING_SECRET and serves POST /slack/events from `routes()`.
- SLACK_API_URL: another Web API base URL (GovSlack, tests); must be http(s). Socket Mode's
  apps.connections.open goes there too.
- CALEA_BOT_SLACK_PING_INTERVAL, CALEA_BOT_SLACK_RECONNECT_MIN / _MAX: Socket Mode timings in
  seconds (see socket_mode.py).
- CALEA_BOT_ADMINS: comma-separated Slack user ids allowed to run admin commands.

Tokens are never logged or put in error messages.

Workspaces: every Slack destination belongs to one (destinations.workspace, its team id).
With one workspace, rows get the installed team id (rows older than workspaces are claimed at
start-up) and commands see every channel as before. With many, each command, button, Home tab
and lifecycle event acts on its own workspace's channels only, and delivery posts with the
destination's workspace's bot token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.commands.context import CommandServices
from bot.common.http_body import read_body_capped
from bot.errors import ConfigError
from bot.settings import SlackSettings
from bot.sinks.slack import oauth as slack_oauth
from bot.sinks.slack.admins import AdminPolicy
from bot.sinks.slack.app import SlackHandlers, build_app
from bot.sinks.slack.reasons import INSTALL_REASONS
from bot.sinks.slack.sink import SlackSink
from bot.sinks.slack.socket_mode import (
    SocketAuthError,
    SocketConnectError,
    SocketModeConnection,
    SocketSettings,
)
from bot.sinks.slack.workspace import Workspace, identify_workspace

__all__ = ["SlackIntegration", "SlackSink", "Workspace"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
INSTALL = slack_oauth.INSTALL_PATH
#: Slack's payloads are a few KB; anything far larger is not from Slack.
MAX_REQUEST_BYTES = 1024 * 1024
API_TIMEOUT_SECONDS = 15


_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


def _plausible_signature_headers(headers: Mapping[str, str]) -> bool:
    """Reject malformed signing headers before Bolt (it raises on a non-numeric timestamp)."""
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    return bool(_TIMESTAMP.match(stamp)) and signature.startswith("v0=")


class SlackIntegration:
    """The Slack sink plus the Bolt app, configured from the environment (see the module)."""

    platform = "slack"

    def __init__(
        self,
        *,
        client: WebClient,
        services: CommandServices,
        mode: str,
        signing_secret: str = "",
        app_token: str | None = None,
        admins: frozenset[str] | None = None,
        sink: SlackSink | None = None,
        socket_settings: SocketSettings | None = None,
        oauth: slack_oauth.OAuthParts | None = None,
        clients: slack_oauth.WorkspaceClients | None = None,
    ) -> None:
        self.client = client
        self.mode = mode
        self.oauth = oauth
        self.sink = sink or SlackSink(client, clients=clients)
        self.workspace: Workspace | None = None
        self._app_token = app_token
        self.handlers = SlackHandlers(
            services,
            admins=AdminPolicy(client, admins, workspace_team=self._team_id),
            workspace=self._installed_workspace,
            installs=oauth.installs if oauth else None,
        )
        self.app = build_app(
            self.handlers,
            client=client,
            signing_secret=signing_secret,
            oauth_settings=oauth.settings if oauth else None,
        )
        self._socket_settings = socket_settings or SocketSettings()
        self._socket: SocketModeConnection | None = None

    @classmethod
    def from_settings(
        cls, settings: SlackSettings | None, services: CommandServices
    ) -> SlackIntegration | None:
        """Build from validated settings; None when Slack is not configured.

        Makes no network call (see `verify`).
        """
        if settings is None:
            return None
        if settings.multi_workspace:
            return cls._many_workspaces(settings, services)
        client = WebClient(
            token=settings.bot_token, base_url=settings.api_url, timeout=API_TIMEOUT_SECONDS
        )
        return cls(
            client=client,
            services=services,
            mode=settings.mode,
            signing_secret=settings.signing_secret,
            app_token=settings.app_token,
            admins=settings.admins,
            socket_settings=SocketSettings.from_slack(settings) if settings.app_token else None,
        )

    @classmethod
    def _many_workspaces(
        cls, settings: SlackSettings, services: CommandServices
    ) -> SlackIntegration:
        """Installed through OAuth: tokens per workspace from the database (no network call)."""
        holder: list[SlackIntegration] = []
        oauth = slack_oauth.build_oauth(
            settings, services.store.target, lambda team: holder[0].installed(team)
        )
        integration = cls(
            client=WebClient(base_url=settings.api_url, timeout=API_TIMEOUT_SECONDS),
            services=services,
            mode="http",
            signing_secret=settings.signing_secret,
            admins=settings.admins,
            oauth=oauth,
            clients=slack_oauth.WorkspaceClients(oauth.installs, settings, API_TIMEOUT_SECONDS),
        )
        holder.append(integration)
        return integration

    # -- checks ---------------------------------------------------------------------------------

    def verify(self) -> Workspace | None:
        """auth.test: which workspace the token belongs to. ConfigError if Slack refuses it.

        Destinations older than workspaces become the installed workspace's. Installed in many
        workspaces: check that CALEA_BOT_TOKEN_KEY decrypts the stored tokens (None returned).
        """
        if self.oauth is not None:
            self.oauth.installs.check_key()
            teams = self.oauth.installs.team_ids()
            log.info("Slack: installed in %d workspace(s) (OAuth at %s)", len(teams), INSTALL)
            return None
        self.workspace = identify_workspace(self.client)
        log.info(
            "Slack: connected to workspace %s (%s) as %s",
            self.workspace.team_name,
            self.workspace.team_id,
            self.workspace.bot_user_id,
        )
        with self.handlers.lock:
            claimed = self.handlers.services.store.subscriptions.claim_unassigned(
                "slack", self.workspace.team_id
            )
        if claimed:
            log.info("Slack: %d channels recorded as %s's", claimed, self.workspace.team_id)
        return self.workspace

    def installed(self, team: str) -> int:
        """After an OAuth install: resume the team's channels paused for want of one."""
        with self.handlers.lock:
            resumed = self.handlers.services.store.subscriptions.resume_workspace(
                "slack", team, INSTALL_REASONS
            )
        if resumed:
            log.info("Slack: resumed %d channels of workspace %s", resumed, team)
        return resumed

    def _team_id(self) -> str | None:
        workspace = self._installed_workspace()
        return workspace.team_id if workspace else None

    def _installed_workspace(self) -> Workspace | None:
        if self.oauth is not None:  # many workspaces: each request names its own
            return None
        if self.workspace is None:
            try:
                self.verify()
            except ConfigError as exc:
                log.error("Slack: %s", exc)
        return self.workspace

    # -- HTTP mode ------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """POST /slack/events for HTTP mode (commands, buttons, events); none in Socket Mode.

        Installed in many workspaces, also GET /slack/install and /slack/oauth_redirect.
        """
        if self.mode != "http":
            return []
        routes: list[BaseRoute] = [Route(EVENTS_PATH, self._events, methods=["POST"])]
        if self.oauth is not None:
            routes += [
                Route(INSTALL, self._install, methods=["GET"]),
                Route(slack_oauth.REDIRECT_PATH, self._oauth_redirect, methods=["GET"]),
            ]
        return routes

    async def _install(self, request: Request) -> Response:
        flow = self.app.oauth_flow
        assert flow is not None
        response = await run_in_threadpool(flow.handle_installation, to_bolt_request(request, b""))
        return to_starlette_response(response)

    async def _oauth_redirect(self, request: Request) -> Response:
        flow = self.app.oauth_flow
        assert flow is not None
        response = await run_in_threadpool(flow.handle_callback, to_bolt_request(request, b""))
        return to_starlette_response(response)

    async def _events(self, request: Request) -> Response:
        try:
            body = await read_body_capped(request, MAX_REQUEST_BYTES)
        except ClientDisconnect:
            return PlainTextResponse("client disconnected", status_code=400)
        if body is None:
            return PlainTextResponse("request body too large", status_code=413)
        if not _plausible_signature_headers(request.headers):
            return PlainTextResponse("invalid request signature", status_code=401)
        try:
            bolt_request = to_bolt_request(request, body)
        except UnicodeDecodeError:
            return PlainTextResponse("request body is not UTF-8", status_code=400)
        # Bolt's dispatch is blocking (it waits up to 3 s for ack): keep it off the event loop.
        bolt_response = await run_in_threadpool(self.app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    # -- Socket Mode ----------------------------------------------------------------------------

    def start(self) -> None:
        """Socket Mode: open the WebSocket, kept open by background threads (no-op in HTTP mode).

        ConfigError (one line, no traceback) when Slack refuses the app token or the first
        connection cannot be opened; later losses are reconnected (see `health`).
        """
        if self.mode != "socket" or self._socket is not None:
            return
        assert self._app_token is not None
        socket = SocketModeConnection(self.app, self._app_token, self.client, self._socket_settings)
        try:
            socket.connect()
        except SocketAuthError as exc:
            socket.close()
            raise ConfigError(
                f"SLACK_APP_TOKEN was rejected by Slack ({exc.code}): use an app-level "
                "token (xapp-…) with the connections:write scope, and enable Socket Mode."
            ) from None
        except SocketConnectError as exc:
            socket.close()
            raise ConfigError(f"Could not open the Slack Socket Mode connection ({exc}).") from None
        self._socket = socket
        log.info("Slack: Socket Mode connected")

    def health(self) -> dict | None:
        """Socket Mode's connection state for /healthz and /readyz; None in HTTP mode."""
        if self.mode != "socket":
            return None
        if self._socket is None:
            return {"ok": True, "ready": False, "mode": "socket", "state": "connecting"}
        return self._socket.health()

    def stop(self) -> None:
        """Close the Socket Mode connection, if open."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.oauth is not None:
            self.oauth.close()
