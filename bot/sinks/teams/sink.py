"""The Teams sink: planned messages posted as Adaptive Cards to each channel's Workflows webhook.

Each Teams destination has its own webhook URL (looked up per message, so a URL replaced with
`calea-bot teams add-channel … --replace` is used at once). The deliverer plans the messages
(a digest card, burst cards of `alerts_per_card` alerts, or one card per alert) and paces
them; this sink renders and posts. Answers map to results: 202/200 sent; 429 (Retry-After),
5xx and network errors retry; 400/401/403/404 pause the destination with what the admin should
do; 413 re-renders a compact card once, then fails. Workflows cannot edit or thread posts, so
updates are new cards marked UPDATED. The webhook URL appears in no log line and no result.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from bot.alerts.planner import GroupingRules, Message
from bot.models import ClaimedAlert, DeliveryOutcome, Destination, SendResult
from bot.pipeline.sink import Pace
from bot.sinks.teams.cards import alert_card, burst_card, digest_card
from bot.sinks.teams.elements import (
    MAX_PAYLOAD_BYTES,
    Element,
    adaptive_card,
    encode_payload,
    message_payload,
    text_block,
)
from bot.sinks.teams.markdown import inert_markdown
from bot.sinks.teams.poster import PostResult, Verdict, WorkflowsPoster, judge
from bot.sinks.teams.urls import WebhookUrlError, WebhookUrlPolicy, mask_webhook_url

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

    @property
    def rules(self) -> GroupingRules:
        """The grouping and pacing these settings ask of the deliverer."""
        return GroupingRules(
            burst_threshold=self.burst_threshold,
            max_alerts_per_message=self.alerts_per_card,
            min_interval_seconds=self.min_interval_seconds,
            concurrent_destinations=4,  # each Workflows webhook is paced on its own
        )


class TeamsSink:
    """Posts planned messages to Teams channels through their Workflows webhooks."""

    platform = "teams"

    def __init__(
        self,
        lookup: WebhookLookup,
        *,
        policy: WebhookUrlPolicy | None = None,
        settings: TeamsSinkSettings | None = None,
        poster: WorkflowsPoster | None = None,
        proxy: str | None = None,
        no_proxy: tuple[str, ...] = (),
    ) -> None:
        self.settings = settings or TeamsSinkSettings()
        self.rules = self.settings.rules
        self.policy = policy or WebhookUrlPolicy()
        self._lookup = lookup
        self._poster = poster or WorkflowsPoster(
            connect_timeout=self.settings.connect_timeout,
            timeout=self.settings.timeout,
            proxy=proxy,
            no_proxy=no_proxy,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._poster.close()

    def confirm_outcome(self, claimed: ClaimedAlert) -> DeliveryOutcome | None:
        """Workflows keep no message ids: an alert cut off by a crash is posted again."""
        return None

    def send(self, message: Message, pace: Pace) -> SendResult:
        """Render one planned message as a card and post it to the channel's webhook."""
        destination = message.destination
        where = destination.address
        url = self._lookup(destination)
        if not url:
            return _result(
                Verdict(
                    "pause",
                    f"no Workflows webhook URL is registered for Teams channel {where!r}: "
                    f"run `calea-bot teams add-channel {shlex.quote(where)} URL`",
                )
            )
        try:
            url = self.policy.check(url)
        except WebhookUrlError as exc:
            return _result(Verdict("pause", f"Teams channel {where!r}: {exc}"))
        verdict = self._post(destination, url, self._render(message, compact=False), pace)
        if verdict.kind == "too_large":
            log.info("Teams refused a message to %r as too large; retrying compact", where)
            verdict = self._post(destination, url, self._render(message, compact=True), pace)
            if verdict.kind == "too_large":
                return _result(Verdict("failed", verdict.detail + " even in compact form"))
        return _result(verdict)

    def send_notice(self, address: str, text: str, pace: Pace) -> SendResult:
        """Post an admin notice as a one-paragraph card to the registered channel `address`."""
        destination = Destination(id=0, platform="teams", address=address, name=address)
        url = self._lookup(destination)
        if not url:
            return _result(Verdict("retry", f"no Teams channel {address!r} is registered"))
        try:
            url = self.policy.check(url)
        except WebhookUrlError as exc:
            return _result(Verdict("retry", f"Teams channel {address!r}: {exc}"))
        card = adaptive_card([text_block(inert_markdown(text, 2000))])
        return _result(self._post(destination, url, card, pace))

    def _render(self, message: Message, *, compact: bool) -> Element:
        max_bytes = self.settings.max_payload_bytes
        if message.kind == "digest":
            return digest_card(message.alerts, max_bytes=max_bytes, compact=compact)
        if message.kind == "burst":
            return burst_card(message.alerts, max_bytes=max_bytes, compact=compact)
        return alert_card(message.entries[0].alert, compact=compact)

    def _post(self, destination: Destination, url: str, card: Element, pace: Pace) -> Verdict:
        with pace():
            result: PostResult = self._poster.post(url, encode_payload(message_payload(card)))
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


def _result(verdict: Verdict) -> SendResult:
    status = "failed" if verdict.kind == "too_large" else verdict.kind
    return SendResult(
        status,
        "" if status == "sent" else verdict.detail,
        verdict.retry_after_seconds if status == "retry" else None,
    )
