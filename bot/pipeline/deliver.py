"""Draining the outbox: claim due alerts, hand them to their platform's sink, record outcomes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.models import DeliveryOutcome
from bot.sinks.base import Sink
from bot.store import ClaimedAlert, Store

log = logging.getLogger(__name__)


@dataclass
class DrainReport:
    """How many alerts one drain sent, deferred or failed."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def _with_names(entry: ClaimedAlert, names: Mapping[str, str]) -> ClaimedAlert:
    alert = entry.alert
    alert = dataclasses.replace(
        alert,
        source_name=names.get(alert.source_name, alert.source_name),
        also_in=tuple(names.get(s, s) for s in alert.also_in),
    )
    return dataclasses.replace(entry, alert=alert)


def drain_outbox(
    store: Store,
    sinks: Mapping[str, Sink],
    *,
    now: dt.datetime,
    source_names: Mapping[str, str] | None = None,
    batch: int = 5000,
    per_destination: int = 500,
) -> DrainReport:
    """Deliver every due alert for the configured platforms, batch by batch.

    Each destination's alerts reach its sink together (up to `per_destination` per batch), so
    a burst becomes a few grouped messages; sinks that allow it serve several destinations at
    once, so one channel's pacing never holds up the others.
    """
    report = DrainReport()
    names = source_names or {}
    while True:
        claimed = store.outbox.claim_due(
            now, platforms=list(sinks), limit=batch, per_destination=per_destination
        )
        if not claimed:
            return report
        claimed = [_with_names(c, names) for c in claimed]
        outcomes: list[DeliveryOutcome] = []
        try:
            outcomes = _deliver_groups(sinks, list(_by_destination(claimed).values()))
            store.outbox.record(outcomes, now, claimed)
        except BaseException:
            # Recording failed (e.g. the database stayed locked): nothing may stay 'sending'.
            store.outbox.release([c.alert.outbox_id for c in claimed])
            raise
        for outcome in outcomes:
            if outcome.status == "sent":
                report.sent += 1
            elif outcome.status in ("retry", "pause"):
                report.retried += 1
                if outcome.status == "pause":
                    log.warning("destination paused: %s", outcome.detail)
            else:
                report.failed += 1
                log.warning("alert %s failed permanently: %s", outcome.outbox_id, outcome.detail)
        if report.retried:
            return report  # something must wait: the next drain picks it up when due


def _deliver_groups(
    sinks: Mapping[str, Sink], groups: list[list[ClaimedAlert]]
) -> list[DeliveryOutcome]:
    """Hand each destination's alerts to its sink; concurrently where the sink allows it."""

    def deliver(group: list[ClaimedAlert]) -> list[DeliveryOutcome]:
        return _deliver_safely(sinks[group[0].destination.platform], group)

    def width(group: list[ClaimedAlert]) -> int:
        return getattr(sinks[group[0].destination.platform], "concurrent_destinations", 1)

    serial = [g for g in groups if width(g) <= 1]
    parallel = [g for g in groups if width(g) > 1]
    outcomes = [outcome for group in serial for outcome in deliver(group)]
    if parallel:
        workers = min(len(parallel), max(width(g) for g in parallel))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
            for result in pool.map(deliver, parallel):
                outcomes.extend(result)
    return outcomes


def _by_destination(claimed: list[ClaimedAlert]) -> dict[int, list[ClaimedAlert]]:
    """Claimed alerts grouped per destination, in queue order (a sink sees one channel)."""
    groups: dict[int, list[ClaimedAlert]] = {}
    for entry in claimed:
        groups.setdefault(entry.destination.id, []).append(entry)
    return groups


def _deliver_safely(sink: Sink, claimed: list[ClaimedAlert]) -> list[DeliveryOutcome]:
    """Call a sink; if it crashes, every alert it held is retried later, none is lost."""
    try:
        outcomes = sink.deliver(claimed)
    except Exception as exc:  # noqa: BLE001 - a sink bug must not lose alerts
        log.exception("sink %s crashed", sink.platform)
        return [
            DeliveryOutcome(c.alert.outbox_id, "retry", f"sink error: {exc!r}", 60.0)
            for c in claimed
        ]
    reported = {o.outbox_id for o in outcomes}
    missing = [
        DeliveryOutcome(c.alert.outbox_id, "retry", "sink reported no outcome", 60.0)
        for c in claimed
        if c.alert.outbox_id not in reported
    ]
    return [*outcomes, *missing]
