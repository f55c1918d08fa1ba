"""The interface every chat platform's sink implements for the deliverer (render and send)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from bot.alerts.planner import GroupingRules, Message
from bot.models import ClaimedAlert, DeliveryOutcome, SendResult

#: Called around every platform call of one destination: waits for its turn (pacing).
Pace = Callable[[], AbstractContextManager[None]]


class Sink(Protocol):
    """Renders and sends one planned message to its platform; reports a `SendResult`.

    A sink never raises for platform trouble: outages, rate limits and refusals become
    `retry` (with Retry-After when known), `pause` (the destination is unusable) or `failed`
    results, and the outbox keeps the alerts. Grouping and pacing are the deliverer's.
    """

    platform: str
    rules: GroupingRules

    def send(self, message: Message, pace: Pace) -> SendResult:
        """Post (or edit) one message, wrapping each platform call in `with pace():`."""
        ...

    def send_notice(self, address: str, text: str, pace: Pace) -> SendResult:
        """Post one plain-text admin message (untrusted text escaped) to `address`."""
        ...

    def confirm_outcome(self, claimed: ClaimedAlert) -> DeliveryOutcome | None:
        """After a crash: the outcome of an alert found already delivered, else None."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
