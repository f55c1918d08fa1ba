"""The one interface every chat platform adapter implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.models import DeliveryOutcome
from bot.store import ClaimedAlert


class Sink(Protocol):
    """Delivers claimed alerts to one platform and reports an outcome for each.

    A sink never raises for platform trouble: outages, rate limits and refusals become
    `retry` (with Retry-After when known) or `failed` outcomes, and the outbox keeps the alert.
    """

    platform: str
    # How many destinations `deliver` may serve at once from different threads (optional
    # attribute; 1 when absent). Paced sinks set it so one channel's pacing never blocks others.
    # concurrent_destinations: int

    def deliver(self, claimed: Sequence[ClaimedAlert]) -> list[DeliveryOutcome]: ...
