"""The Slack sink: posts, edits and threads alerts for one channel at a time, politely.

`drain_outbox` hands `deliver` every due alert of one destination. The sink turns them into as
few messages as makes sense (digest rows → a digest; a burst → one grouped message; an update
→ chat.update of the earlier post; a follow-up on a proceeding → a reply in its thread),
paces itself to one message per second per channel, and reports an outcome per alert. It
never raises and never sleeps for Retry-After: a 429 returns "retry" for everything not yet
sent, a dead channel returns "pause", and the outbox keeps the alerts.

Every post carries message metadata (event_type "calea_alert") naming its outbox rows, so
after a crash `confirm_delivered` can tell whether a post landed before posting it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from slack_sdk import WebClient

from bot.models import DeliveryOutcome
from bot.sinks.slack.blocks import SlackMessage, render_alert, render_burst, render_digest
from bot.sinks.slack.errors import EDIT_IMPOSSIBLE_ERRORS, PAYLOAD_ERRORS, Failure, classify
from bot.store import ClaimedAlert

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "calea_alert"
#: More fresh alerts than this for one channel in one round become one grouped message.
DEFAULT_BURST_THRESHOLD = 3
#: Slack allows about one message per second per channel.
DEFAULT_MIN_INTERVAL_SECONDS = 1.0
#: Unexplained errors are retried this many times before the alert is given up.
MAX_UNEXPLAINED_ATTEMPTS = 8
#: How many recent messages `confirm_delivered` looks through.
HISTORY_WINDOW = 200


@dataclass
class _Send:
    """One planned Web API call and the claimed alerts it delivers."""

    message: SlackMessage
    entries: tuple[ClaimedAlert, ...]
    edit_ts: str | None = None  # chat.update of this message instead of a new post
    single: bool = True  # one alert per message: its ts becomes the alert's ref
    thread_ts: str | None = None
    thread_key: str | None = None
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


class SlackSink:
    """Delivers alerts to Slack channels through the Web API (see the module docstring)."""

    platform = "slack"
    concurrent_destinations = 8  # channels are paced independently (1 message/s each)

    def __init__(
        self,
        client: WebClient,
        *,
        burst_threshold: int = DEFAULT_BURST_THRESHOLD,
        min_interval_seconds: float = DEFAULT_MIN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.burst_threshold = burst_threshold
        self.min_interval_seconds = min_interval_seconds
        self._clock = clock
        self._sleep = sleep
        self._last_post: dict[str, float] = {}

    # -- delivery ---------------------------------------------------------------------------

    def deliver(self, claimed: Sequence[ClaimedAlert]) -> list[DeliveryOutcome]:
        """Deliver one destination's claimed alerts; one outcome per alert, never raises."""
        outcomes: list[DeliveryOutcome] = []
        by_channel: dict[str, list[ClaimedAlert]] = {}
        for entry in claimed:
            by_channel.setdefault(entry.destination.address, []).append(entry)
        for channel, entries in by_channel.items():
            try:
                outcomes.extend(self._deliver_channel(channel, entries))
            except Exception as exc:  # noqa: BLE001 - a rendering bug must not lose alerts
                log.exception("Slack delivery to %s crashed", channel)
                done = {o.outbox_id for o in outcomes}
                outcomes.extend(
                    DeliveryOutcome(e.alert.outbox_id, "retry", f"Slack sink error: {exc!r}")
                    for e in entries
                    if e.alert.outbox_id not in done
                )
        return outcomes

    def _plan(self, entries: Sequence[ClaimedAlert]) -> list[_Send]:
        edits = [e for e in entries if not e.digest and e.alert.action == "update" and e.ref]
        digest = [e for e in entries if e.digest and not (e.alert.action == "update" and e.ref)]
        planned = {e.alert.outbox_id for e in [*edits, *digest]}
        fresh = [e for e in entries if e.alert.outbox_id not in planned]
        plan = [
            _Send(render_alert(e.alert), (e,), edit_ts=e.ref, metadata=_metadata([e]))
            for e in edits
        ]
        if len(fresh) > self.burst_threshold:
            plan.extend(self._grouped(render_burst([e.alert for e in fresh]), fresh))
        else:
            plan.extend(
                _Send(
                    render_alert(e.alert),
                    (e,),
                    thread_ts=e.thread_ref,
                    thread_key=e.alert.thread_key,
                    metadata=_metadata([e]),
                )
                for e in fresh
            )
        if digest:
            plan.extend(self._grouped(render_digest([e.alert for e in digest]), digest))
        return plan

    @staticmethod
    def _grouped(messages: list[SlackMessage], entries: Sequence[ClaimedAlert]) -> list[_Send]:
        by_id = {e.alert.outbox_id: e for e in entries}
        sends = []
        for message in messages:
            carried = tuple(by_id[a.outbox_id] for a in message.alerts)
            sends.append(_Send(message, carried, single=False, metadata=_metadata(carried)))
        return sends

    def _deliver_channel(
        self, channel: str, entries: Sequence[ClaimedAlert]
    ) -> list[DeliveryOutcome]:
        where = entries[0].destination.name or channel
        where = where if where.startswith("#") or where == channel else f"#{where}"
        outcomes: list[DeliveryOutcome] = []
        threads: dict[str, str] = {}  # thread_key → ts of a post made earlier in this round
        plan = self._plan(entries)
        for index, send in enumerate(plan):
            if send.thread_ts is None and send.thread_key in threads:
                send = replace(send, thread_ts=threads[send.thread_key])
            ts, failure = self._send(channel, send, where)
            if failure is None:
                if send.single and send.thread_key and send.thread_ts is None and ts:
                    threads.setdefault(send.thread_key, ts)
                ref = ts if send.single else None
                outcomes.extend(
                    DeliveryOutcome(e.alert.outbox_id, "sent", ref=ref) for e in send.entries
                )
                continue
            outcomes.extend(self._failed(send.entries, failure))
            if failure.stops_channel:
                for later in plan[index + 1 :]:
                    outcomes.extend(self._failed(later.entries, failure))
                break
        return outcomes

    @staticmethod
    def _failed(entries: Sequence[ClaimedAlert], failure: Failure) -> list[DeliveryOutcome]:
        outcomes = []
        for entry in entries:
            status = failure.status
            exhausted = entry.attempts >= MAX_UNEXPLAINED_ATTEMPTS
            if status == "retry" and not failure.transient and exhausted:
                status = "failed"
            outcomes.append(
                DeliveryOutcome(
                    entry.alert.outbox_id, status, failure.detail, failure.retry_after_seconds
                )
            )
        return outcomes

    # -- Web API calls ----------------------------------------------------------------------

    def _send(self, channel: str, send: _Send, where: str) -> tuple[str | None, Failure | None]:
        """Post or edit; on a payload error try once more as plain text. Returns (ts, failure)."""
        if send.edit_ts is not None:
            ts, failure = self._call(channel, send, where, edit=True)
            if failure is None or failure.error not in EDIT_IMPOSSIBLE_ERRORS:
                return ts, failure
            # The original is gone or no longer editable: post the update under it instead.
            send = replace(send, edit_ts=None, thread_ts=send.edit_ts)
        ts, failure = self._call(channel, send, where)
        if failure is not None and failure.error in PAYLOAD_ERRORS:
            log.warning(
                "Slack rejected blocks for %s (%s); sending text only", where, failure.error
            )
            plain = replace(send, message=SlackMessage([], send.message.text, send.message.alerts))
            keep_metadata = "metadata" not in failure.error
            ts, failure = self._call(channel, plain, where, with_metadata=keep_metadata)
        return ts, failure

    def _call(
        self,
        channel: str,
        send: _Send,
        where: str,
        *,
        edit: bool = False,
        with_metadata: bool = True,
    ) -> tuple[str | None, Failure | None]:
        arguments: dict = {"channel": channel, "text": send.message.text}
        if send.message.blocks:
            arguments["blocks"] = send.message.blocks
        if with_metadata:
            arguments["metadata"] = send.metadata
        self._pace(channel)
        try:
            if edit:
                response = self.client.chat_update(ts=send.edit_ts, **arguments)
            else:
                if send.thread_ts:
                    arguments["thread_ts"] = send.thread_ts
                response = self.client.chat_postMessage(
                    unfurl_links=False, unfurl_media=False, **arguments
                )
        except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
            return None, classify(exc, where=where)
        finally:
            self._last_post[channel] = self._clock()
        return response.get("ts"), None

    def _pace(self, channel: str) -> None:
        """Wait until one interval has passed since the previous message to this channel."""
        last = self._last_post.get(channel)
        if last is None:
            return
        wait = last + self.min_interval_seconds - self._clock()
        if wait > 0:
            self._sleep(wait)

    # -- crash recovery ---------------------------------------------------------------------

    def confirm_delivered(self, claimed: ClaimedAlert) -> str | None:
        """The ts of a message already carrying this outbox row, or None if none is found.

        For rows left in 'sending' by a crash: a found ts means "it landed, do not post it
        again" (for a grouped burst or digest, the ts of that grouped message). Edits are not
        looked up (repeating chat.update is harmless). None is also the answer when the
        history cannot be read (no channels:history / groups:history scope, bot not in the
        channel, Slack down): the row is then delivered again, at least once.
        """
        message = self._landed(claimed)
        return message.get("ts") if message else None

    def confirm_outcome(self, claimed: ClaimedAlert) -> DeliveryOutcome | None:
        """Like `confirm_delivered`, as the "sent" outcome `deliver` would have reported.

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
        try:
            messages = self._recent_messages(channel, claimed)
        except Exception as exc:  # noqa: BLE001 - cannot confirm: deliver again
            log.warning(
                "could not read Slack history of %s to confirm alert %s (%s)",
                channel,
                claimed.alert.outbox_id,
                classify(exc, where=channel).error,
            )
            return None
        return next((m for m in messages if _carries(m, claimed.alert.outbox_id)), None)

    def _recent_messages(self, channel: str, claimed: ClaimedAlert) -> list[dict]:
        """Recent top-level messages, plus the replies of the thread this alert may be in.

        The thread is the known one (thread_ref) or a recent post of the same proceeding made
        in the crashed round (its metadata names the thread_key).
        """
        response = self.client.conversations_history(
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
            replies = self.client.conversations_replies(
                channel=channel, ts=thread, limit=HISTORY_WINDOW, include_all_metadata=True
            )
            messages += list(replies.get("messages") or [])
        return messages
