"""The Slack sink: renders a planned message as Block Kit and posts or edits it.

The deliverer (bot.pipeline.deliver) plans what a channel sees (single alerts, bursts, digests,
edits of updated documents, thread replies) and paces it to one message per second per
channel; this sink renders each message and makes the Web API call. It never raises and never
sleeps for Retry-After: a 429 becomes a "retry" result, a dead channel "pause", and the outbox
keeps the alerts.

Every post carries message metadata (event_type "calea_alert") naming its outbox rows, so
after a crash `confirm_outcome` can tell whether a post landed before posting it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alerts.planner import GroupingRules, Message
from bot.models import ClaimedAlert, DeliveryOutcome, SendResult
from bot.pipeline.sink import Pace
from bot.sinks.slack.blocks import SlackMessage, render_alert, render_burst, render_digest
from bot.sinks.slack.errors import EDIT_IMPOSSIBLE_ERRORS, PAYLOAD_ERRORS, Failure, classify
from bot.sinks.slack.mrkdwn import escape_mrkdwn
from bot.sinks.slack.reasons import no_installation_reason
from bot.store.token_cipher import TokenKeyError

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "calea_alert"
#: Slack's grouping: more than 3 fresh alerts → one burst; 1 message/s per channel; 8 channels
#: served at once. Bursts and digests are split by the renderer within Block Kit's limits.
SLACK_RULES = GroupingRules(
    burst_threshold=3, can_edit=True, min_interval_seconds=1.0, concurrent_destinations=8
)
#: How many recent messages `confirm_outcome` looks through.
HISTORY_WINDOW = 200
#: Stored tokens unreadable (CALEA_BOT_TOKEN_KEY changed): try again after this long.
KEY_ERROR_RETRY_SECONDS = 600.0
#: The client of a workspace (Slack team id) from its installation; None when not installed.
WorkspaceClients = Callable[[str], WebClient | None]


@dataclass
class _Post:
    """One Web API call: a rendered message and the claimed alerts it delivers."""

    message: SlackMessage
    entries: tuple[ClaimedAlert, ...]
    edit_ts: str | None = None  # chat.update of this message instead of a new post
    thread_ts: str | None = None
    metadata: dict = field(default_factory=dict)


def _metadata(entries: Sequence[ClaimedAlert]) -> dict:
    if len(entries) == 1:
        alert = entries[0].alert
        payload: dict = {"outbox_id": alert.outbox_id, "event_id": alert.event_id}
        if alert.thread_key:
            payload["thread_key"] = alert.thread_key
    else:
        payload = {
            "outbox_ids": ",".join(str(e.alert.outbox_id) for e in entries),
            "event_ids": ",".join(str(e.alert.event_id) for e in entries),
        }
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": payload}


def _carries(message: dict, outbox_id: int) -> bool:
    """True when a message from history carries this outbox row in its metadata."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload") or {}
    if str(payload.get("outbox_id")) == str(outbox_id):
        return True
    return str(outbox_id) in str(payload.get("outbox_ids", "")).split(",")


def _result(failure: Failure, delivered: Sequence[ClaimedAlert] = ()) -> SendResult:
    return SendResult(
        failure.status,
        failure.detail,
        failure.retry_after_seconds,
        delivered=tuple(e.alert.outbox_id for e in delivered),
        transient=failure.transient,
    )


class SlackSink:
    """Sends planned messages to Slack channels through the Web API (see the module)."""

    platform = "slack"

    def __init__(
        self,
        client: WebClient,
        *,
        rules: GroupingRules = SLACK_RULES,
        clients: WorkspaceClients | None = None,
    ) -> None:
        self.client = client
        self.rules = rules
        self._clients = clients  # installed in many workspaces: each one's own bot token

    def client_for(self, workspace: str) -> tuple[WebClient | None, SendResult | None]:
        """The client posting to a destination of `workspace`, or why there is none.

        One workspace: always `client`. Many: that workspace's installation; a workspace
        without one pauses its destination, unreadable stored tokens retry later.
        """
        if self._clients is None:
            return self.client, None
        try:
            client = self._clients(workspace)
        except TokenKeyError as exc:
            log.error("Slack: %s", exc)
            return None, SendResult("retry", str(exc), KEY_ERROR_RETRY_SECONDS, transient=True)
        if client is None:
            return None, SendResult("pause", no_installation_reason(workspace))
        return client, None

    def close(self) -> None:
        """Nothing to release: the WebClient opens a connection per call."""

    # -- sending ----------------------------------------------------------------------------

    def send(self, message: Message, pace: Pace) -> SendResult:
        """Render and post (or edit) one planned message; a multi-part render posts each part."""
        channel = message.destination.address
        where = message.destination.name or channel
        where = where if where.startswith("#") or where == channel else f"#{where}"
        client, refusal = self.client_for(message.destination.workspace)
        if client is None:
            return refusal
        posts = self._render(message)
        delivered: list[ClaimedAlert] = []
        ts = None
        for post in posts:
            ts, failure = self._send(client, channel, post, where, pace)
            if failure is not None:
                return _result(failure, delivered)
            delivered.extend(post.entries)
        return SendResult("sent", ref=ts if len(posts) == 1 else None)

    def send_notice(self, address: str, text: str, pace: Pace) -> SendResult:
        """Post an admin notice as escaped plain mrkdwn (no mentions, no forged links).

        `address` is a channel id, or TEAM:CHANNEL when installed in many workspaces.
        """
        workspace, _, address = address.rpartition(":")
        client, refusal = self.client_for(workspace)
        if client is None:
            return refusal
        try:
            with pace():
                response = client.chat_postMessage(
                    channel=address,
                    text=escape_mrkdwn(text),
                    unfurl_links=False,
                    unfurl_media=False,
                )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a result
            return _result(classify(exc, where=address))
        return SendResult("sent", ref=response.get("ts"))

    @staticmethod
    def _render(message: Message) -> list[_Post]:
        if message.kind in ("single", "update", "reminder"):
            (entry,) = message.entries
            return [
                _Post(
                    render_alert(entry.alert),
                    message.entries,
                    edit_ts=message.edit_ref,
                    thread_ts=message.thread_ref,
                    metadata=_metadata(message.entries),
                )
            ]
        render = render_digest if message.kind == "digest" else render_burst
        by_id = {e.alert.outbox_id: e for e in message.entries}
        posts = []
        for part in render(message.alerts):
            carried = tuple(by_id[a.outbox_id] for a in part.alerts)
            posts.append(_Post(part, carried, metadata=_metadata(carried)))
        return posts

    # -- Web API calls ----------------------------------------------------------------------

    def _send(
        self, client: WebClient, channel: str, post: _Post, where: str, pace: Pace
    ) -> tuple[str | None, Failure | None]:
        """Post or edit; on a payload error try once more as plain text. Returns (ts, failure)."""
        if post.edit_ts is not None:
            ts, failure = self._call(client, channel, post, where, pace, edit=True)
            if failure is None or failure.error not in EDIT_IMPOSSIBLE_ERRORS:
                return ts, failure
            # The original is gone or no longer editable: post the update under it instead.
            post = replace(post, edit_ts=None, thread_ts=post.edit_ts)
        ts, failure = self._call(client, channel, post, where, pace)
        if failure is not None and failure.error in PAYLOAD_ERRORS:
            log.warning(
                "Slack rejected blocks for %s (%s); sending text only", where, failure.error
            )
            plain = replace(post, message=SlackMessage([], post.message.text, post.message.alerts))
            keep_metadata = "metadata" not in failure.error
            ts, failure = self._call(
                client, channel, plain, where, pace, with_metadata=keep_metadata
            )
        return ts, failure

    def _call(
        self,
        client: WebClient,
        channel: str,
        post: _Post,
        where: str,
        pace: Pace,
        *,
        edit: bool = False,
        with_metadata: bool = True,
    ) -> tuple[str | None, Failure | None]:
        arguments: dict = {"channel": channel, "text": post.message.text}
        if post.message.blocks:
            arguments["blocks"] = post.message.blocks
        if with_metadata:
            arguments["metadata"] = post.metadata
        try:
            with pace():
                if edit:
                    response = client.chat_update(ts=post.edit_ts, **arguments)
                else:
                    if post.thread_ts:
                        arguments["thread_ts"] = post.thread_ts
                    response = client.chat_postMessage(
                        unfurl_links=False, unfurl_media=False, **arguments
                    )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a result
            return None, classify(exc, where=where)
        return response.get("ts"), None

    # -- crash recovery ---------------------------------------------------------------------

    def confirm_delivered(self, claimed: ClaimedAlert) -> str | None:
        """The ts of a message already carrying this outbox row, or None if none is found.

        For rows left in 'sending' by a crash: a found ts means "it landed, do not post it
        again" (for a grouped burst or digest, the ts of that grouped message). Edits are not
        looked up (repeating chat.update is harmless). In a public channel the bot is not a
        member of, it joins first (see `_history_after_joining`). None is also the answer when
        the history cannot be read (no channels:history / groups:history / channels:join
        scope, Slack down): the row is then delivered again, at least once.
        """
        message = self._landed(claimed)
        return message.get("ts") if message else None

    def confirm_outcome(self, claimed: ClaimedAlert) -> DeliveryOutcome | None:
        """Like `confirm_delivered`, as the "sent" outcome delivery would have recorded.

        Its ref is the message ts for a message of its own, None for a grouped one (a grouped
        message is neither edited nor used as a thread), so `Outbox.record` can take it as is.
        """
        message = self._landed(claimed)
        if message is None:
            return None
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        single = str(payload.get("outbox_id")) == str(claimed.alert.outbox_id)
        return DeliveryOutcome(
            claimed.alert.outbox_id,
            "sent",
            "found in the channel after a restart",
            ref=message.get("ts") if single else None,
        )

    def _landed(self, claimed: ClaimedAlert) -> dict | None:
        if claimed.alert.action == "update" and claimed.ref:
            return None
        channel = claimed.destination.address
        client, _ = self.client_for(claimed.destination.workspace)
        if client is None:
            return None
        try:
            messages = self._history_after_joining(client, channel, claimed)
        except Exception as exc:  # noqa: BLE001 - cannot confirm: deliver again
            log.warning(
                "could not read Slack history of %s to confirm alert %s (%s)",
                channel,
                claimed.alert.outbox_id,
                classify(exc, where=channel).error,
            )
            return None
        return next((m for m in messages if _carries(m, claimed.alert.outbox_id)), None)

    def _history_after_joining(
        self, client: WebClient, channel: str, claimed: ClaimedAlert
    ) -> list[dict]:
        """Recent messages; in a public channel the bot posts to without being a member
        (chat:write.public), Slack answers not_in_channel: join it (channels:join), read again.

        Why join rather than keep delivery ids: the post and the "sent" record cannot be one
        atomic step, so after a crash between them only the channel knows whether the post
        landed. Joining a public channel is harmless (it already receives the bot's posts) and
        makes that history readable; private channels need an invitation to be posted to, so
        the bot is already a member there.
        """
        try:
            return self._recent_messages(client, channel, claimed)
        except SlackApiError as exc:
            if (exc.response or {}).get("error") != "not_in_channel":
                raise
        log.info("joining %s to check its history for alerts cut off by a restart", channel)
        client.conversations_join(channel=channel)
        return self._recent_messages(client, channel, claimed)

    def _recent_messages(
        self, client: WebClient, channel: str, claimed: ClaimedAlert
    ) -> list[dict]:
        """Recent top-level messages, plus the replies of the thread this alert may be in.

        The thread is the known one (thread_ref) or a recent post of the same proceeding made
        in the crashed round (its metadata names the thread_key).
        """
        response = client.conversations_history(
            channel=channel, limit=HISTORY_WINDOW, include_all_metadata=True
        )
        messages = list(response.get("messages") or [])
        thread = claimed.thread_ref
        key = claimed.alert.thread_key
        if thread is None and key:
            for message in messages:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("thread_key") == key and message.get("reply_count"):
                    thread = message.get("ts")
                    break
        if thread:
            replies = client.conversations_replies(
                channel=channel, ts=thread, limit=HISTORY_WINDOW, include_all_metadata=True
            )
            messages += list(replies.get("messages") or [])
        return messages
