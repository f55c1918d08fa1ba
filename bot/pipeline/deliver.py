"""Delivering the outbox: claim due alerts → plan messages per destination → pace → sinks.

`Courier` is one platform's sink with its pacing; it turns claimed alerts into planned
messages (bot.alerts.planner), sends them one destination at a time and turns each
`SendResult` into an outcome per alert. `drain_outbox` claims, delivers and records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from bot.alerts.planner import Message, plan_messages
from bot.common.pacing import Pacer
from bot.models import ClaimedAlert, DeliveryOutcome, SendResult
from bot.pipeline.sink import Sink
from bot.store import Store

log = logging.getLogger(__name__)

#: Unexplained (non-transient) errors are retried this many times before an alert is given up.
MAX_UNEXPLAINED_ATTEMPTS = 8
#: Told (platform, claimed alerts, outcomes) after a destination's round (e.g. metrics).
DeliveryObserver = Callable[[str, Sequence[ClaimedAlert], Sequence[DeliveryOutcome]], object]
#: How long a sink crash defers the alerts it held.
SINK_ERROR_RETRY_SECONDS = 60.0


@dataclass
class DrainReport:
    """How many alerts one drain sent, deferred or failed."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class Courier:
    """Delivers claimed alerts through one platform's sink, planned and paced."""

    def __init__(
        self,
        sink: Sink,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.sink = sink
        self.pacer = Pacer(sink.rules.min_interval_seconds, clock=clock, sleep=sleep)
        self.sleep = sleep
        self.wall = wall
        # Told (platform, claimed alerts, their outcomes) after each destination's round.
        self.observers: list[DeliveryObserver] = []

    @property
    def platform(self) -> str:
        """The sink's platform name ("console", "slack", "teams")."""
        return self.sink.platform

    def deliver(
        self, claimed: Sequence[ClaimedAlert], settle: Settlement | None = None
    ) -> list[DeliveryOutcome]:
        """Deliver alerts of any destinations; one outcome per alert, never raises.

        `settle`, when given, is told each message's outcomes as soon as the platform answered
        (from a worker thread), so they are recorded before the next post: a crash or kill
        leaves at most the message being sent unrecorded (the sink confirms it later).
        """
        groups = _by_destination(claimed)
        width = min(len(groups), self.sink.rules.concurrent_destinations)
        round_ = functools.partial(self.deliver_to, settle=settle)
        if width <= 1:
            return [outcome for group in groups for outcome in round_(group)]
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="deliver") as pool:
            return [outcome for result in pool.map(round_, groups) for outcome in result]

    def deliver_to(
        self, entries: Sequence[ClaimedAlert], settle: Settlement | None = None
    ) -> list[DeliveryOutcome]:
        """Deliver one destination's alerts in planned order.

        A retry or pause stops the round for this destination: the rest waits in the outbox.
        A single alert posted on a proceeding becomes the thread for its followers.
        """
        outcomes = self._deliver_to(entries, settle)
        if settle is not None:
            settle.round_over(outcomes)
        for observer in self.observers:
            try:
                observer(self.platform, entries, outcomes)
            except Exception:  # noqa: BLE001 - metrics must never break delivery
                log.exception("delivery observer failed")
        return outcomes

    def _deliver_to(
        self, entries: Sequence[ClaimedAlert], settle: Settlement | None
    ) -> list[DeliveryOutcome]:
        destination = entries[0].destination
        outcomes: list[DeliveryOutcome] = []
        by_id = {e.alert.outbox_id: e for e in entries}

        def done(new: list[DeliveryOutcome]) -> None:
            outcomes.extend(new)
            if settle is not None and new:
                settle.message_done([by_id[o.outbox_id] for o in new], new)

        confirmed: list[DeliveryOutcome] = []
        entries = self._confirm_in_flight(entries, confirmed)
        done(confirmed)
        if not entries:
            return outcomes
        self._wait_for_other_replicas(entries[0].last_sent_at)
        plan = plan_messages(entries, self.sink.rules)
        threads: dict[str, str] = {}
        for index, message in enumerate(plan):
            key = message.thread_key
            if key in threads and message.thread_ref is None:
                message = dataclasses.replace(message, thread_ref=threads[key])
            result = self._send(message, lambda: self.pacer.turn(destination.id))
            done(_outcomes(message, result))
            if result.status == "sent":
                if key and message.thread_ref is None and result.ref:
                    threads.setdefault(key, result.ref)
            elif result.status in ("retry", "pause"):
                for later in plan[index + 1 :]:
                    done(_outcomes(later, dataclasses.replace(result, delivered=())))
                break
        return outcomes

    def _confirm_in_flight(
        self, entries: Sequence[ClaimedAlert], outcomes: list[DeliveryOutcome]
    ) -> list[ClaimedAlert]:
        """Alerts a crashed replica left mid-send: those the sink confirms as posted are done
        (their outcome is added); the rest are delivered like any other."""
        remaining = []
        for entry in entries:
            outcome = None
            if entry.in_flight:
                try:
                    outcome = self.sink.confirm_outcome(entry)
                except Exception:  # noqa: BLE001 - unconfirmed: deliver it again
                    log.exception("sink %s could not confirm an in-flight alert", self.platform)
            if outcome is not None:
                log.info("alert %s had already been delivered", entry.alert.outbox_id)
                outcomes.append(outcome)
            else:
                remaining.append(entry)
        return remaining

    def _wait_for_other_replicas(self, last_sent_at: float | None) -> None:
        """Keep the channel's pace across replicas: wait until `min_interval` after the last
        post any replica made there."""
        if last_sent_at is None:
            return
        wait = last_sent_at + self.sink.rules.min_interval_seconds - self.wall()
        if wait > 0:
            self.sleep(min(wait, self.sink.rules.min_interval_seconds))

    def _send(self, message: Message, pace) -> SendResult:
        try:
            return self.sink.send(message, pace)
        except Exception as exc:  # noqa: BLE001 - a sink bug must not lose alerts
            log.exception("sink %s crashed", self.sink.platform)
            return SendResult("retry", f"sink error: {exc!r}", SINK_ERROR_RETRY_SECONDS)


def _outcomes(message: Message, result: SendResult) -> list[DeliveryOutcome]:
    """One outcome per alert of a message from the sink's result for the whole message."""
    outcomes = []
    for entry in message.entries:
        outbox_id = entry.alert.outbox_id
        if result.status == "sent":
            ref = result.ref if message.keeps_ref else None
            outcomes.append(DeliveryOutcome(outbox_id, "sent", ref=ref))
        elif outbox_id in result.delivered:
            outcomes.append(DeliveryOutcome(outbox_id, "sent"))
        else:
            status = result.status
            exhausted = entry.attempts >= MAX_UNEXPLAINED_ATTEMPTS
            if status == "retry" and not result.transient and exhausted:
                status = "failed"
            outcomes.append(
                DeliveryOutcome(outbox_id, status, result.detail, result.retry_after_seconds)
            )
    return outcomes


def _by_destination(claimed: Sequence[ClaimedAlert]) -> list[list[ClaimedAlert]]:
    """Claimed alerts grouped per destination, in queue order."""
    groups: dict[int, list[ClaimedAlert]] = {}
    for entry in claimed:
        groups.setdefault(entry.destination.id, []).append(entry)
    return list(groups.values())


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
    couriers: Mapping[str, Courier],
    *,
    now: dt.datetime,
    source_names: Mapping[str, str] | None = None,
    batch: int = 5000,
    per_destination: int = 500,
) -> DrainReport:
    """Deliver every due alert for the configured platforms, batch by batch.

    Each destination's alerts reach its courier together (up to `per_destination` per batch),
    so a burst becomes a few grouped messages; platforms serve several destinations at once,
    so one channel's pacing never holds up the others.
    """
    report = DrainReport()
    names = source_names or {}
    drain_notices(store, couriers, now=now)
    # Claim only as many channels as the couriers serve at once: with several replicas the
    # rest stay free for the others (and a killed replica leaves few half-sent channels).
    width = sum(max(1, c.sink.rules.concurrent_destinations) for c in couriers.values())
    while True:
        claimed = store.outbox.claim_due(
            now,
            platforms=list(couriers),
            limit=batch,
            per_destination=per_destination,
            max_destinations=width,
        )
        if not claimed:
            return report
        claimed = [_with_names(c, names) for c in claimed]
        outcomes: list[DeliveryOutcome] = []
        settled = _Settler(store, now)
        try:
            with ClaimKeeper(store, {c.destination.id for c in claimed}):
                outcomes = _deliver_platforms(couriers, claimed, settled)
            leftover = [o for o in outcomes if o.outbox_id not in settled.done]
            if leftover:  # what could not be recorded message by message
                store.outbox.record(leftover, now, claimed, release=False)
            store.outbox.release_claims(outcomes)  # every claim a round did not give back
        except BaseException:
            # Recording failed (e.g. the database stayed locked): nothing may stay 'sending'.
            store.outbox.release(
                [c.alert.outbox_id for c in claimed if c.alert.outbox_id not in settled.done]
            )
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


class Settlement(Protocol):
    """Told as delivery goes (from worker threads): what each message did, and when a
    destination's round is over."""

    def message_done(
        self, entries: Sequence[ClaimedAlert], outcomes: Sequence[DeliveryOutcome]
    ) -> None: ...

    def round_over(self, outcomes: Sequence[DeliveryOutcome]) -> None: ...


class _Settler:
    """Records each message's outcomes as soon as the platform answered, so a crash or kill
    later in a long drain loses at most the messages being sent at that moment; ends a
    destination's claim when its round is over (never earlier: another replica would take
    the channel while this one still posts)."""

    def __init__(self, store: Store, now: dt.datetime) -> None:
        self.store = store
        self.now = now
        self.done: set[int] = set()
        self._lock = threading.Lock()  # SQLite's connection is shared by the round threads

    def message_done(
        self, entries: Sequence[ClaimedAlert], outcomes: Sequence[DeliveryOutcome]
    ) -> None:
        """Record one message's outcomes (kept for the drain's end if the database fails)."""
        with self._lock:
            try:
                self.store.outbox.record(outcomes, self.now, entries, release=False)
            except Exception:  # noqa: BLE001 - recorded with the rest at the end of the drain
                log.warning("could not record a delivery yet", exc_info=True)
                return
            self.done.update(o.outbox_id for o in outcomes)

    def round_over(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Give the round's destination back (the drain's end releases it otherwise)."""
        if not outcomes or any(o.outbox_id not in self.done for o in outcomes):
            return
        with self._lock:
            try:
                self.store.outbox.release_claims(outcomes)
            except Exception:  # noqa: BLE001 - released at the end of the drain
                log.warning("could not release a delivery claim yet", exc_info=True)


class ClaimKeeper:
    """While a replica sends, keeps its claims on the destinations alive (PostgreSQL, where
    other replicas would take a destination whose claim ran out). SQLite has one instance."""

    def __init__(self, store: Store, destination_ids: set[int]) -> None:
        self.store = store
        self.destination_ids = sorted(destination_ids)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ClaimKeeper:
        if self.store.dialect == "postgres":
            self._thread = threading.Thread(target=self._keep, name="claim-keeper", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _keep(self) -> None:
        interval = self.store.outbox.claim_seconds / 4
        while not self._stop.wait(interval):
            try:
                self.store.outbox.extend_claims(self.destination_ids)
            except Exception:  # noqa: BLE001 - try again; the claim lasts several intervals
                log.warning("could not extend delivery claims", exc_info=True)


def drain_notices(store: Store, couriers: Mapping[str, Courier], *, now: dt.datetime) -> int:
    """Send due admin notices (a source broke or recovered) through their platform's sink.

    Queued once in the poll's transaction, marked sent after the platform accepted them:
    each reaches its channel once (again only if the bot crashed mid-post).
    """
    sent = 0
    for notice in store.notices.claim_due(now, list(couriers)):
        courier = couriers[notice.platform]
        pace = functools.partial(courier.pacer.turn, f"notice:{notice.address}")
        try:
            result = courier.sink.send_notice(notice.address, notice.text, pace)
        except Exception as exc:  # noqa: BLE001 - a sink bug must not lose the notice
            log.exception("sink %s crashed sending an admin notice", notice.platform)
            result = SendResult("retry", f"sink error: {exc!r}")
        ok = result.status == "sent"
        store.notices.settle(notice, ok, result.detail, now)
        if ok:
            sent += 1
        else:
            log.warning("admin notice to %s not sent: %s", notice.platform, result.detail)
    return sent


def _deliver_platforms(
    couriers: Mapping[str, Courier], claimed: Sequence[ClaimedAlert], settle: Settlement
) -> list[DeliveryOutcome]:
    """Each platform's share of a batch, through its courier."""
    by_platform: dict[str, list[ClaimedAlert]] = {}
    for entry in claimed:
        by_platform.setdefault(entry.destination.platform, []).append(entry)
    return [
        outcome
        for platform, entries in by_platform.items()
        for outcome in couriers[platform].deliver(entries, settle)
    ]
