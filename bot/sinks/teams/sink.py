"""The Teams sink: alerts posted as Adaptive Cards to each channel's Workflows webhook.

Each Teams destination has its own webhook URL (looked up per delivery, so a URL replaced
with `calea-bot teams add-channel … --replace` is used at once). One `deliver` call becomes
as few posts as possible: daily-digest alerts → one digest card, more than `burst_threshold`
real-time alerts → one grouped card, otherwise one card per alert. Answers map to outcomes:
202/200 sent; 429 (Retry-After), 5xx and network errors retry; 400/401/403/404 pause the
destination with what the admin should do; 413 re-renders a compact card once, then fails.
Workflows cannot edit or thread posts, so updates are new cards marked UPDATED and `ref`
stays None. The webhook URL appears in no log line and no outcome detail.
"""

from __future__ import annotations

import functools
import logging
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.models import Alert, DeliveryOutcome, Destination
from bot.sinks.teams.cards import alert_card, burst_card, digest_card
from bot.sinks.teams.elements import MAX_PAYLOAD_BYTES, Element, encode_payload, message_payload
from bot.sinks.teams.poster import PostResult, Verdict, WorkflowsPoster, judge
from bot.sinks.teams.urls import WebhookUrlError, WebhookUrlPolicy, mask_webhook_url
from bot.store import ClaimedAlert

log = logging.getLogger(__name__)

#: Looks up a destination's webhook URL (None when none is registered).
WebhookLookup = Callable[[Destination], str | None]


@dataclass(frozen=True)
class TeamsSinkSettings:
    """Timeouts, grouping and pacing of the Teams sink."""

    connect_timeout: float = 5.0
    timeout: float = 15.0
    burst_threshold: int = 3  # more real-time alerts than this in one call → grouped cards
    alerts_per_card: int = 20  # a grouped card lists this many; a bigger burst gets more cards
    min_interval_seconds: float = 1.0  # between two posts to the same webhook
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    default_retry_seconds: float = 60.0


@dataclass(frozen=True)
class _Message:
    """One post to make: the alerts it carries and how to render it (compact or not)."""

    entries: tuple[ClaimedAlert, ...]
    render: Callable[[bool], Element]


class TeamsSink:
    """Delivers claimed alerts to Teams channels through their Workflows webhooks."""

    platform = "teams"
    concurrent_destinations = 4  # each Workflows webhook is paced on its own

    def __init__(
        self,
        lookup: WebhookLookup,
        *,
        policy: WebhookUrlPolicy | None = None,
        settings: TeamsSinkSettings | None = None,
        poster: WorkflowsPoster | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or TeamsSinkSettings()
        self.policy = policy or WebhookUrlPolicy()
        self._lookup = lookup
        self._poster = poster or WorkflowsPoster(
            connect_timeout=self.settings.connect_timeout, timeout=self.settings.timeout
        )
        self._sleep = sleep
        self._clock = clock
        self._last_post: dict[int, float] = {}

    def close(self) -> None:
        """Release pooled connections."""
        self._poster.close()

    def deliver(self, claimed: Sequence[ClaimedAlert]) -> list[DeliveryOutcome]:
        """Post the alerts of each destination and report one outcome per alert."""
        by_destination: dict[int, list[ClaimedAlert]] = {}
        for entry in claimed:
            by_destination.setdefault(entry.destination.id, []).append(entry)
        outcomes: list[DeliveryOutcome] = []
        for entries in by_destination.values():
            outcomes.extend(self._deliver_to(entries[0].destination, entries))
        return outcomes

    # -- one destination --------------------------------------------------------------------

    def _deliver_to(
        self, destination: Destination, entries: list[ClaimedAlert]
    ) -> list[DeliveryOutcome]:
        where = destination.address
        url = self._lookup(destination)
        if not url:
            return _all(
                entries,
                Verdict(
                    "pause",
                    f"no Workflows webhook URL is registered for Teams channel {where!r}: "
                    f"run `calea-bot teams add-channel {shlex.quote(where)} URL`",
                ),
            )
        try:
            url = self.policy.check(url)
        except WebhookUrlError as exc:
            return _all(entries, Verdict("pause", f"Teams channel {where!r}: {exc}"))
        outcomes: list[DeliveryOutcome] = []
        messages = self._plan(entries)
        for index, message in enumerate(messages):
            verdict = self._post_message(destination, url, message)
            outcomes.extend(_all(message.entries, verdict))
            if verdict.kind in ("retry", "pause"):
                # The channel is rate limited, down or broken: the rest waits in the outbox.
                for later in messages[index + 1 :]:
                    outcomes.extend(_all(later.entries, verdict))
                break
        return outcomes

    def _plan(self, entries: list[ClaimedAlert]) -> list[_Message]:
        """Group alerts into posts: one digest, one burst, or one card per alert."""
        max_bytes = self.settings.max_payload_bytes
        digest = tuple(e for e in entries if e.digest)
        realtime = tuple(e for e in entries if not e.digest)
        messages: list[_Message] = []
        size = self.settings.alerts_per_card
        for start in range(0, len(digest), size):
            part = digest[start : start + size]
            render = functools.partial(digest_card, _alerts(part), max_bytes=max_bytes)
            messages.append(_Message(part, lambda compact, r=render: r(compact=compact)))
        if len(realtime) > self.settings.burst_threshold:
            # Several cards rather than one that hides most alerts behind "…and N more".
            for start in range(0, len(realtime), size):
                part = realtime[start : start + size]
                render = functools.partial(burst_card, _alerts(part), max_bytes=max_bytes)
                messages.append(_Message(part, lambda compact, r=render: r(compact=compact)))
        else:
            for entry in realtime:
                render = functools.partial(alert_card, entry.alert)
                messages.append(_Message((entry,), lambda compact, r=render: r(compact=compact)))
        return messages

    def _post_message(self, destination: Destination, url: str, message: _Message) -> Verdict:
        verdict = self._post(destination, url, message.render(False))
        if verdict.kind == "too_large":
            log.info(
                "Teams refused a message to %r as too large; retrying compact", destination.address
            )
            verdict = self._post(destination, url, message.render(True))
            if verdict.kind == "too_large":
                return Verdict("failed", verdict.detail + " even in compact form")
        return verdict

    def _post(self, destination: Destination, url: str, card: Element) -> Verdict:
        self._pace(destination.id)
        result: PostResult = self._poster.post(url, encode_payload(message_payload(card)))
        self._last_post[destination.id] = self._clock()
        verdict = judge(
            result,
            where=destination.address,
            default_retry_seconds=self.settings.default_retry_seconds,
        )
        log.info(
            "Teams channel %r (%s): %s",
            destination.address,
            mask_webhook_url(url),
            verdict.detail if verdict.kind != "sent" else "sent",
        )
        return verdict

    def _pace(self, destination_id: int) -> None:
        last = self._last_post.get(destination_id)
        if last is None:
            return
        wait = self.settings.min_interval_seconds - (self._clock() - last)
        if wait > 0:
            self._sleep(wait)


def _alerts(entries: Sequence[ClaimedAlert]) -> list[Alert]:
    return [entry.alert for entry in entries]


def _all(entries: Sequence[ClaimedAlert], verdict: Verdict) -> list[DeliveryOutcome]:
    status = "failed" if verdict.kind == "too_large" else verdict.kind
    return [
        DeliveryOutcome(
            entry.alert.outbox_id,
            status,
            "" if status == "sent" else verdict.detail,
            verdict.retry_after_seconds if status == "retry" else None,
        )
        for entry in entries
    ]
