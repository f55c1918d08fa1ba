"""The Bolt app: /calea, the alert buttons, App Home, and uninstall events.

Bolt is wiring here. Each listener acknowledges at once (Slack wants an answer within 3 s),
then does the work in Bolt's worker thread and answers through `respond` (the response_url),
ephemeral unless the command's reply is meant for the channel. The logic lives elsewhere:
commands in `bot.commands.dispatch.run_command`, rendering in `blocks`/`home`.

Requests are signed (Bolt checks X-Slack-Signature and rejects requests older than 5
minutes). Installed in one workspace (SLACK_BOT_TOKEN), requests from any other are refused
before they reach a listener. Installed in many (OAuth, see oauth.py), Bolt finds each
request's workspace's installation, and every command runs confined to that workspace
(CommandContext.workspace / isolated): it sees and changes only its own channels.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from bot.commands.context import CommandContext, CommandServices
from bot.commands.dispatch import follow_up_allowed, run_command
from bot.commands.item_refs import item_ref, one_per_event
from bot.commands.reply import Reply, error_reply
from bot.reports.status import build_status
from bot.sinks.slack.admins import AdminPolicy
from bot.sinks.slack.blocks import COMMAND_ACTION, MUTE_ACTION, OPEN_ACTION, render_reply
from bot.sinks.slack.home import render_home
from bot.sinks.slack.membership import NOT_A_MEMBER, invisible_private_channel, subscribes
from bot.sinks.slack.reasons import REVOKED_REASON, UNINSTALLED_REASON
from bot.sinks.slack.workspace import Workspace

log = logging.getLogger(__name__)

COMMAND = "/calea"
#: Bolt listener threads: 200 concurrent commands with a 250 ms response_url ack in < 1 s.
LISTENER_THREADS = 64
MUTE_ACTIONS = re.compile(rf"^{MUTE_ACTION}(_\d+)?$")
COMMAND_ACTIONS = re.compile(rf"^{COMMAND_ACTION}_\d+$")
OPEN_ACTIONS = re.compile(rf"^{OPEN_ACTION}(_\d+)?$")
_TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# What Slack makes of typed links when escaping is on: <https://x|x> → https://x
_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")

OTHER_WORKSPACE = "This calea-bot is installed in another Slack workspace and does not answer here."
__all__ = ["REVOKED_REASON", "UNINSTALLED_REASON", "SlackHandlers", "build_app"]


def _without_token_notice(record: logging.LogRecord) -> bool:
    """Bolt warns that SLACK_BOT_TOKEN is unused when given a client: expected here, not news."""
    return "`token` will be unused" not in record.getMessage()


def command_text(raw: str) -> str:
    """Slash-command text as the user typed it: Slack's &amp;/&lt;/&gt; and link markup undone."""
    text = _SLACK_LINK.sub(lambda match: match.group(1), raw or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def utc_now() -> dt.datetime:
    """The current time, aware UTC."""
    return dt.datetime.now(dt.UTC)


class SlackHandlers:
    """The listeners' logic, independent of how Bolt is configured (HTTP or Socket Mode).

    `services.store` is one SQLite connection; listeners run on Bolt's worker threads, so
    every use of it is serialised by one lock. `installs` (installed in many workspaces) is
    where Bolt keeps each workspace's tokens; None with one workspace (`workspace`).
    """

    def __init__(
        self,
        services: CommandServices,
        *,
        admins: AdminPolicy,
        workspace: Callable[[], Workspace | None],
        installs: InstallationStore | None = None,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.services = services
        self.admins = admins
        self.workspace = workspace
        self.installs = installs
        self.now = now
        self.lock = threading.Lock()
        services.outside_lock = self._unlocked  # `feeds add` probes without holding the lock

    @contextlib.contextmanager
    def _unlocked(self) -> Iterator[None]:
        """Inside a command run under `self.lock`: let other commands run meanwhile."""
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()

    # -- refusing other workspaces (a Bolt before_authorize middleware) -----------------------

    @property
    def multi(self) -> bool:
        """True when installed in many workspaces (OAuth)."""
        return self.installs is not None

    def scope(self, context: Any) -> str:
        """The workspace a request acts for: its own (many workspaces) or the installed one."""
        if self.multi:
            return (context.team_id or context.enterprise_id or "") if context else ""
        installed = self.workspace()
        return installed.team_id if installed else ""

    def guard(self, body: dict, context: Any, next_: Callable[[], BoltResponse]) -> BoltResponse:
        """Let through requests for the installed workspace; answer others with a refusal.

        Installed in many workspaces, Bolt's authorization finds the request's installation.
        """
        if self.multi:
            return next_()
        team_id = context.team_id
        enterprise_id = context.enterprise_id
        if not team_id and not enterprise_id:
            return next_()  # url_verification and ssl_check carry no workspace
        installed = self.workspace()
        if installed is not None and installed.accepts(team_id, enterprise_id):
            return next_()
        log.warning("refused a Slack request from workspace %s", team_id or enterprise_id)
        if isinstance(body, dict) and body.get("command"):
            refusal = json.dumps({"response_type": "ephemeral", "text": OTHER_WORKSPACE})
            return BoltResponse(
                status=200, body=refusal, headers={"content-type": "application/json"}
            )
        return BoltResponse(status=200, body="")

    # -- commands -------------------------------------------------------------------------------

    def _context(
        self,
        channel: str,
        channel_name: str,
        user_id: str,
        user_name: str,
        *,
        bolt: Any = None,
        client: WebClient | None = None,
    ) -> CommandContext:
        workspace = self.scope(bolt)
        return CommandContext(
            platform="slack",
            channel=channel,
            channel_name=channel_name,
            user_id=user_id,
            user_name=user_name or user_id,
            is_admin=self._is_admin(user_id, workspace, client),
            now=self.now(),
            workspace=workspace,
            isolated=self.multi,
        )

    def _is_admin(self, user_id: str, workspace: str, client: WebClient | None) -> bool:
        if self.multi:
            return self.admins.is_admin(user_id, client=client, team=workspace)
        return self.admins.is_admin(user_id)

    def run(self, text: str, ctx: CommandContext) -> Reply:
        """run_command under the store lock; never raises."""
        try:
            with self.lock:
                return run_command(text, ctx, self.services)
        except Exception:  # noqa: BLE001 - run_command should not raise; be sure anyway
            log.exception("command crashed in %s", ctx.channel)
            return error_reply("Sorry, that command failed. The error was logged.")

    @staticmethod
    def _answer(respond: Callable[..., Any], reply: Reply, *, in_channel: bool) -> None:
        payload = render_reply(reply)
        try:
            respond(
                text=payload["text"],
                blocks=payload["blocks"],
                response_type="in_channel" if in_channel else "ephemeral",
                replace_original=False,
            )
        except Exception:  # noqa: BLE001 - an expired response_url must not crash the worker
            log.exception("could not answer through response_url")

    def command(
        self,
        ack: Callable[..., Any],
        command: dict,
        respond: Callable[..., Any],
        client: WebClient | None = None,
        context: Any = None,
    ) -> None:
        """/calea …: acknowledge, run the command, answer through the response_url."""
        ack()
        ctx = self._context(
            command.get("channel_id", ""),
            command.get("channel_name", ""),
            command.get("user_id", ""),
            command.get("user_name", ""),
            bolt=context,
            client=client,
        )
        text = command_text(command.get("text", ""))
        if (
            client is not None
            and subscribes(text)
            and invisible_private_channel(client, ctx.channel)
        ):
            reply = error_reply(NOT_A_MEMBER)
        else:
            reply = self.run(text, ctx)
        self._answer(respond, reply, in_channel=reply.in_channel)

    def _action_context(
        self, body: dict, bolt: Any = None, client: WebClient | None = None
    ) -> CommandContext | None:
        channel = body.get("channel") or {}
        channel_id = channel.get("id") or (body.get("container") or {}).get("channel_id")
        if not channel_id:
            return None
        user = body.get("user") or {}
        name = user.get("username") or user.get("name") or ""
        return self._context(
            channel_id, channel.get("name", ""), user.get("id", ""), name, bolt=bolt, client=client
        )

    def mute(
        self,
        ack: Callable[..., Any],
        body: dict,
        action: dict,
        respond: Callable[..., Any],
        client: WebClient | None = None,
        context: Any = None,
    ) -> None:
        """ "Mute this topic here": unsubscribe the channel from the button's topic."""
        ack()
        topic = str(action.get("value", ""))
        ctx = self._action_context(body, context, client)
        if ctx is None:
            return
        if not _TOPIC_ID.match(topic) or topic == "all":
            reply = error_reply("That button does not name a topic; use /calea unsubscribe.")
        else:
            reply = self.run(f"unsubscribe {topic}", ctx)
        self._answer(respond, reply, in_channel=reply.in_channel)

    def follow_up(
        self,
        ack: Callable[..., Any],
        body: dict,
        action: dict,
        respond: Callable[..., Any],
        client: WebClient | None = None,
        context: Any = None,
    ) -> None:
        """A reply's command button (e.g. the next page of a search): run it like /calea."""
        ack()
        ctx = self._action_context(body, context, client)
        if ctx is None:
            return
        text = str(action.get("value", ""))
        if not follow_up_allowed(text):
            log.warning("refused a follow-up button that does not carry a follow-up command")
            reply = error_reply("That button does not run a follow-up command; type /calea help.")
        else:
            reply = self.run(text, ctx)
        self._answer(respond, reply, in_channel=False)

    @staticmethod
    def open_link(ack: Callable[..., Any]) -> None:
        """Link buttons open in the browser; Slack still wants the click acknowledged."""
        ack()

    # -- App Home and lifecycle events ----------------------------------------------------------

    def home_view(
        self, user_id: str = "", *, workspace: str = "", client: WebClient | None = None
    ) -> dict:
        """The App Home view from the store: source health, latest alerts, topics.

        Paused channels' names and reasons are shown to admins only (as in /calea status);
        anyone else sees how many are paused. Installed in many workspaces, only channels of
        `workspace` count.
        """
        config = self.services.config
        store = self.services.store
        names = {s.id: s.name for s in config.sources}
        is_admin = bool(user_id) and self._is_admin(user_id, workspace, client)
        scope = workspace if self.multi else None
        with self.lock:
            health = build_status(config, store, self.now()).health_line()
            latest = one_per_event(store.queries.latest(limit=30), 10)
            stopped = [
                d
                for d in store.subscriptions.destinations(workspace=scope, platform="slack")
                if d.paused_reason
            ]
        paused = [f"{d.name or d.address}: {d.paused_reason}" for d in stopped]
        if stopped and not is_admin:
            count = len(stopped)
            paused = [
                f"delivery to {count} channel{'s' if count != 1 else ''} is paused; "
                "an admin can see why with /calea status"
            ]
        return render_home(
            health_line=health,
            latest=[item_ref(i, names) for i in latest],
            topics=config.topics,
            paused=paused,
        )

    def home_opened(self, event: dict, client: WebClient, context: Any = None) -> None:
        """Publish the Home tab when a user opens it."""
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        try:
            view = self.home_view(event["user"], workspace=self.scope(context), client=client)
            client.views_publish(user_id=event["user"], view=view)
        except Exception:  # noqa: BLE001 - a failed publish only leaves the old view
            log.exception("views.publish failed")

    def pause_all(self, reason: str) -> int:
        """Pause every Slack destination (alerts stay queued); return how many were paused."""
        store = self.services.store.subscriptions
        paused = 0
        with self.lock:
            for destination in store.destinations():
                if destination.platform == "slack" and not destination.paused_reason:
                    store.pause(destination.id, reason, now=self.now())
                    paused += 1
        log.warning("paused %d Slack destinations: %s", paused, reason)
        return paused

    def pause_workspace(self, workspace: str, reason: str) -> int:
        """Pause one workspace's Slack destinations (many workspaces); return how many."""
        with self.lock:
            paused = self.services.store.subscriptions.pause_workspace(
                "slack", workspace, reason, now=self.now()
            )
        log.warning("paused %d Slack destinations of workspace %s: %s", paused, workspace, reason)
        return paused

    def _forget(self, context: Any, reason: str, user_ids: list[str] | None = None) -> None:
        """Many workspaces: pause the workspace's channels and delete its tokens (or, given
        `user_ids`, only those users' tokens, which alerts do not need)."""
        assert self.installs is not None
        enterprise_id = getattr(context, "enterprise_id", None)
        team_id = getattr(context, "team_id", None)
        workspace = self.scope(context)
        if not workspace:
            return
        if user_ids is not None:
            for user_id in user_ids:
                self.installs.delete_installation(
                    enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
                )
            return
        self.pause_workspace(workspace, reason)
        self.installs.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        log.warning("deleted the Slack tokens of workspace %s", workspace)

    def uninstalled(self, ack: Callable[..., Any], context: Any = None) -> None:
        """app_uninstalled: nothing can be posted any more."""
        ack()
        if self.multi:
            self._forget(context, UNINSTALLED_REASON)
        else:
            self.pause_all(UNINSTALLED_REASON)

    def tokens_revoked(self, ack: Callable[..., Any], event: dict, context: Any = None) -> None:
        """tokens_revoked: pause when the bot token is among them (user tokens do not matter
        for alerts; installed in many workspaces, revoked user tokens are deleted)."""
        ack()
        tokens = event.get("tokens") or {}
        if self.multi and tokens.get("oauth"):
            self._forget(context, REVOKED_REASON, user_ids=list(tokens["oauth"]))
        if tokens.get("bot"):
            if self.multi:
                self._forget(context, REVOKED_REASON)
            else:
                self.pause_all(REVOKED_REASON)


def build_app(
    handlers: SlackHandlers,
    *,
    client: WebClient,
    signing_secret: str,
    oauth_settings: OAuthSettings | None = None,
) -> App:
    """A Bolt App with the handlers registered; makes no network call.

    With `oauth_settings` (many workspaces) Bolt authorizes each request through the
    installation store, and `client` (no token) carries the API base URL for oauth.v2.access.

    Its listener pool is LISTENER_THREADS wide, not Bolt's 5: each listener acks at once but
    then holds its thread while it answers through the response_url, so with 5 threads a
    burst of commands and a slow response_url delayed the acks of the rest past 3 s.
    """
    logging.getLogger("slack_bolt.App").addFilter(_without_token_notice)
    app = App(
        client=client,
        signing_secret=signing_secret,
        oauth_settings=oauth_settings,
        token_verification_enabled=False,  # SlackIntegration.verify() calls auth.test itself
        before_authorize=handlers.guard,
        name="calea-bot",
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="slack-listener"
        ),
    )
    app.command(COMMAND)(handlers.command)
    app.action(MUTE_ACTIONS)(handlers.mute)
    app.action(COMMAND_ACTIONS)(handlers.follow_up)
    app.action(OPEN_ACTIONS)(handlers.open_link)
    app.event("app_home_opened")(handlers.home_opened)
    app.event("app_uninstalled")(handlers.uninstalled)
    app.event("tokens_revoked")(handlers.tokens_revoked)
    return app
