"""Replicas sharing one outbox: destination claims, hand-over of a dead replica's rows, pacing.

Two `Outbox` objects with different replica ids stand for two `run` processes; on PostgreSQL
they also use two connection pools' worth of sessions. Clocks are injected, not waited out.
"""

from __future__ import annotations

import datetime as dt
import threading

from bot.models import DeliveryOutcome
from bot.store import Store
from bot.store.outbox import Outbox
from tests.bursts import queue_burst

NOW = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)


def queue(store: Store, channels: int, items: int) -> None:
    queue_burst(store, channels=channels, items=items, now=NOW)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def replica(store: Store, name: str, clock: Clock) -> Outbox:
    return Outbox(store.db, replica=name, claim_seconds=30, clock=clock)


def sent(claimed) -> list[DeliveryOutcome]:
    return [
        DeliveryOutcome(c.alert.outbox_id, "sent", ref=f"ts{c.alert.outbox_id}") for c in claimed
    ]


def test_two_replicas_never_claim_the_same_destination(store):
    queue(store, channels=6, items=3)
    clock = Clock()
    a, b = replica(store, "a", clock), replica(store, "b", clock)
    first = a.claim_due(NOW, platforms=["slack"], max_destinations=4)
    second = b.claim_due(NOW, platforms=["slack"])
    mine = {c.destination.id for c in first}
    theirs = {c.destination.id for c in second}
    assert len(mine) == 4 and len(theirs) == 2 and not mine & theirs
    assert len(first) == 12 and len(second) == 6
    assert b.claim_due(NOW, platforms=["slack"]) == []  # everything is someone's now
    a.record(sent(first), NOW, first)
    b.record(sent(second), NOW, second)
    assert store.outbox.counts() == {"sent": 18}


def test_concurrent_claims_split_the_work_without_overlap(db_target):
    stores = [Store(db_target) for _ in range(4)]
    try:
        queue(stores[0], channels=40, items=2)
        clock = Clock()
        outboxes = [replica(s, f"r{n}", clock) for n, s in enumerate(stores)]
        results: dict[int, list] = {}

        def claim(n: int) -> None:
            results[n] = outboxes[n].claim_due(NOW, platforms=["slack"], max_destinations=15)

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rows = [c.alert.outbox_id for claimed in results.values() for c in claimed]
        assert len(rows) == len(set(rows)) == 80  # every row once, by exactly one replica
        owners = {}
        for n, claimed in results.items():
            for c in claimed:
                assert owners.setdefault(c.destination.id, n) == n
    finally:
        for s in stores:
            s.close()


def test_a_dead_replicas_rows_go_to_another_marked_in_flight(store):
    queue(store, channels=2, items=2)
    clock = Clock()
    a, b = replica(store, "a", clock), replica(store, "b", clock)
    taken = a.claim_due(NOW, platforms=["slack"])
    assert len(taken) == 4 and not any(c.in_flight for c in taken)
    # a is killed mid-send: nothing recorded. Until its claims run out, nobody else sends.
    assert b.claim_due(NOW, platforms=["slack"]) == []
    clock.now += 31
    handed = b.claim_due(NOW, platforms=["slack"])
    assert sorted(c.alert.outbox_id for c in handed) == sorted(c.alert.outbox_id for c in taken)
    assert all(c.in_flight for c in handed)  # the sink confirms these before posting again
    b.record(sent(handed), NOW, handed)
    assert store.outbox.counts() == {"sent": 4}


def test_a_live_replica_keeps_its_claims_by_extending_them(store):
    queue(store, channels=1, items=1)
    clock = Clock()
    a, b = replica(store, "a", clock), replica(store, "b", clock)
    taken = a.claim_due(NOW, platforms=["slack"])
    for _ in range(5):
        clock.now += 20
        assert a.extend_claims([taken[0].destination.id]) == 1
        assert b.claim_due(NOW, platforms=["slack"]) == []


def test_pacing_carries_over_to_the_next_replica(store):
    queue(store, channels=1, items=1)
    clock = Clock()
    a, b = replica(store, "a", clock), replica(store, "b", clock)
    taken = a.claim_due(NOW, platforms=["slack"])
    assert taken[0].last_sent_at is None
    a.record(sent(taken), NOW, taken)
    queue(store, channels=1, items=2)  # a new item for the same channel
    later = b.claim_due(NOW, platforms=["slack"])
    assert [c.last_sent_at for c in later] == [clock.now]


def test_a_retry_releases_the_destination_without_a_send_time(store):
    queue(store, channels=1, items=1)
    clock = Clock()
    a, b = replica(store, "a", clock), replica(store, "b", clock)
    taken = a.claim_due(NOW, platforms=["slack"])
    a.record([DeliveryOutcome(taken[0].alert.outbox_id, "retry", "429", 1.0)], NOW, taken)
    later = b.claim_due(NOW + dt.timedelta(minutes=5), platforms=["slack"])
    assert [c.alert.outbox_id for c in later] == [taken[0].alert.outbox_id]
    assert later[0].last_sent_at is None and not later[0].in_flight


def test_destinations_the_limit_left_without_rows_are_not_kept_claimed(store):
    queue(store, channels=3, items=2)
    clock = Clock()
    a, b = replica(store, "a", clock), replica(store, "b", clock)
    first = a.claim_due(NOW, platforms=["slack"], limit=2, per_destination=10)
    assert len(first) == 2 and len({c.destination.id for c in first}) == 2
    second = b.claim_due(NOW, platforms=["slack"])  # the third is free at once
    assert len({c.destination.id for c in second}) == 1 and len(second) == 2
    assert not {c.destination.id for c in first} & {c.destination.id for c in second}
