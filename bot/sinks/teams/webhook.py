"""POST /teams/messages: chat commands from a Teams outgoing webhook (@mention in a channel).

Every request must carry `Authorization: HMAC …` signed with the outgoing-webhook secret;
anything missing, malformed or forged gets 401 and changes nothing. Bodies are capped. The
command runs in a worker thread (one at a time: the command store has one connection) and the
answer goes back in the HTTP response, which Teams waits for at most 5 seconds: a command that
is not done in `reply_timeout_seconds` is answered "Still working — try again in a moment".

A Teams channel acts on the registered destination it is linked to (`teams add-channel …
--channel-id` or `teams link`), so `subscribe` there routes alerts to that channel's Workflows
webhook. Commands from an unlinked channel are refused with the exact command an admin runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.commands.context import CommandContext, CommandServices
from bot.commands.reply import Paragraph, Reply
from bot.common.clock import utc_now
from bot.common.http_body import read_body_capped
from bot.sinks.teams.activity import ActivityError, TeamsMessage, parse_activity
from bot.sinks.teams.cards import reply_message
from bot.sinks.teams.markdown import code_span
from bot.sinks.teams.signature import verify
from bot.store import Store
from bot.store.teams_webhooks import TeamsWebhooks

log = logging.getLogger(__name__)

PATH = "/teams/messages"
ENV_ADMINS = "CALEA_BOT_TEAMS_ADMINS"
STILL_WORKING = "Still working — try again in a moment."

CommandRunner = Callable[[str, CommandContext, CommandServices], Reply]


_MAX_ACTIVITY_ID = 256  # longer ids are cut (they are ours to key on, not to echo)


@dataclass(frozen=True)
class OutgoingWebhookSettings:
    """Limits of the endpoint."""

    max_body_bytes: int = 64 * 1024
    reply_timeout_seconds: float = 4.0  # Teams gives up after 5 s
    max_clock_skew_seconds: float = 300.0  # older (or future) activities are replays: refused


def _default_runner() -> CommandRunner:
    from bot.commands.dispatch import run_command

    return run_command


def _message(text: str, status: int) -> JSONResponse:
    return JSONResponse({"type": "message", "text": text}, status_code=status)


class OutgoingWebhook:
    """The Starlette endpoint for Teams outgoing-webhook messages."""

    def __init__(
        self,
        *,
        key: bytes,
        services: CommandServices,
        admins: frozenset[str] = frozenset(),
        settings: OutgoingWebhookSettings | None = None,
        run: CommandRunner | None = None,
    ) -> None:
        self._key = key
        self._services = services
        self._admins = admins
        self.settings = settings or OutgoingWebhookSettings()
        self._run = run or _default_runner()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="teams-commands"
        )
        # Seen activity ids live in the database (own connection, used on the event loop
        # only), so a restart cannot reopen the replay window.
        self._seen = Store(services.store.target)

    def route(self) -> Route:
        """The POST /teams/messages route."""
        return Route(PATH, self.handle, methods=["POST"])

    def close(self) -> None:
        """Stop the command worker (a running command finishes in the background)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._seen.close()

    async def handle(self, request: Request) -> Response:
        """Verify, parse, run the command, answer within Teams' 5 seconds."""
        try:
            body = await read_body_capped(request, self.settings.max_body_bytes)
        except ClientDisconnect:
            return Response(status_code=400)
        if body is None:
            return _message("That message is too large for calea-bot.", 413)
        if not verify(self._key, body, request.headers.get("authorization")):
            log.warning("refused a Teams request with a missing or invalid HMAC signature")
            return JSONResponse(
                {"error": "invalid or missing HMAC signature"},
                status_code=401,
                headers={"WWW-Authenticate": "HMAC"},
            )
        try:
            message = parse_activity(json.loads(body))
        except (ValueError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, ActivityError) else "the body is not JSON"
            return _message(f"calea-bot could not read this Teams message: {reason}.", 400)
        replay = self._replay_reason(message)
        if replay is not None:
            log.warning("refused a Teams request: %s", replay)
            return JSONResponse({"error": replay}, status_code=401)
        future = self._executor.submit(self._answer, message)
        try:
            reply = await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=self.settings.reply_timeout_seconds
            )
        except TimeoutError:
            log.warning("Teams command did not finish in time; answered 'still working'")
            return _message(STILL_WORKING, 200)
        except Exception:  # noqa: BLE001 - never a traceback to the channel
            log.exception("Teams command failed")
            return _message("Sorry, that command failed unexpectedly; it has been logged.", 200)
        return JSONResponse(reply_message(reply))

    def _replay_reason(self, message: TeamsMessage) -> str | None:
        """Why a correctly signed activity must still be refused: too old, or seen before.

        The HMAC covers the body, timestamp and id included, so a captured request can only
        be replayed as it was: within the skew window the id gives it away.
        """
        now = dt.datetime.now(dt.UTC)
        if message.sent_at is not None:
            skew = abs((now - message.sent_at).total_seconds())
            if skew > self.settings.max_clock_skew_seconds:
                return f"the activity timestamp is {skew:.0f} s from now (replayed or stale)"
        if message.activity_id:
            window = 2 * self.settings.max_clock_skew_seconds
            fresh = self._seen.seen_activities.first_sight(
                message.activity_id[:_MAX_ACTIVITY_ID], now.timestamp(), window
            )
            if not fresh:
                return "this activity was already handled (replayed request)"
        return None

    # -- in the worker thread ---------------------------------------------------------------

    def _is_admin(self, message: TeamsMessage) -> bool:
        ids = {message.user_aad_id.lower(), message.user_id.lower()} - {""}
        return bool(ids & self._admins)

    def _answer(self, message: TeamsMessage) -> Reply:
        webhook = TeamsWebhooks(self._services.store.db).by_channel_id(message.channel_id)
        if webhook is None:
            return unlinked_reply(message.channel_id)
        ctx = CommandContext(
            platform="teams",
            channel=webhook.name,
            channel_name=webhook.name,
            user_id=message.user_aad_id or message.user_id,
            user_name=message.user_name,
            is_admin=self._is_admin(message),
            now=utc_now(),
        )
        reply = self._run(message.text, ctx, self._services)
        if not reply.ok and not self._admins and _is_admin_command(message.text):
            reply = _with_admin_hint(reply, message)
        return reply


def _is_admin_command(text: str) -> bool:
    words = text.lower().split()
    return len(words) >= 2 and words[0] in ("feeds", "feed") and words[1] in ("add", "remove")


def _with_admin_hint(reply: Reply, message: TeamsMessage) -> Reply:
    own = message.user_aad_id or message.user_id
    hint = (
        f"No Teams admins are configured, so nobody can add or remove feeds from Teams. "
        f"The bot's operator can set {ENV_ADMINS} to a comma-separated list of Azure AD "
        f"object ids and restart the bot (yours is {code_span(own) if own else 'unknown'})."
    )
    return dataclasses.replace(
        reply, text=f"{reply.text} {hint}", blocks=(*reply.blocks, Paragraph(hint))
    )


def unlinked_reply(channel_id: str) -> Reply:
    """What an unlinked channel is told: its id and the exact commands that link it."""
    shown_id = code_span(channel_id)
    text = (
        "This Teams channel is not linked to calea-bot yet, so commands here cannot tell "
        "where its alerts should go."
    )
    return Reply(
        text=f"{text} Channel id: {channel_id}",
        blocks=(
            Paragraph(text),
            Paragraph(
                "An admin links it on the bot's host with "
                f"`calea-bot teams link NAME {channel_id}` when the channel is already registered, "
                f"or `calea-bot teams add-channel NAME WORKFLOWS_URL --channel-id {channel_id}`."
                if shown_id.startswith("`")
                else "An admin links it on the bot's host with `calea-bot teams link NAME "
                "CHANNEL_ID` (see docs/teams.md)."
            ),
            Paragraph(f"Channel id: {shown_id}"),
        ),
        ok=False,
    )
