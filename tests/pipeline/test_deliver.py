"""The courier: planned messages through a recording sink, pacing and stop-on-failure."""

from __future__ import annotations

import dataclasses

from bot.alerts.planner import GroupingRules
from bot.models import ClaimedAlert, DeliveryOutcome, Destination, SendResult
from bot.pipeline.deliver import MAX_UNEXPLAINED_ATTEMPTS, Courier
from tests.sinks.teams.helpers import make_alert


class RecordingSink:
    """Answers each message with the next scripted result, and remembers what it was sent."""

    platform = "test"

    def __init__(self, rules: GroupingRules, *results: SendResult) -> None:
        self.rules = rules
        self.results = list(results)
        self.sent = []

    def send(self, message, pace):
        with pace():
            self.sent.append(message)
        return (
            self.results.pop(0) if self.results else SendResult("sent", ref=f"ref-{len(self.sent)}")
        )

    def confirm_outcome(self, claimed):
        return None

    def close(self):
        pass


class Clock:
    def __init__(self) -> None:
        self.now, self.waits = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def claimed(n: int, destination: int = 1, attempts: int = 1) -> ClaimedAlert:
    alert = make_alert(n, matters=(), dockets=("PS 22-329",))
    return ClaimedAlert(Destination(destination, "test", f"C{destination}"), alert, attempts)


def test_singles_on_one_proceeding_thread_under_the_first_post_and_are_paced():
    clock = Clock()
    sink = RecordingSink(GroupingRules(min_interval_seconds=1.0))
    outcomes = Courier(sink, clock=clock, sleep=clock.sleep).deliver([claimed(1), claimed(2)])
    assert [(o.outbox_id, o.status, o.ref) for o in outcomes] == [
        (1, "sent", "ref-1"),
        (2, "sent", "ref-2"),
    ]
    assert sink.sent[1].thread_ref == "ref-1"
    assert clock.waits == [1.0]


def test_a_retry_stops_the_destination_and_defers_everything_after_it():
    sink = RecordingSink(
        GroupingRules(), SendResult("sent", ref="a"), SendResult("retry", "429", 7.0)
    )
    outcomes = Courier(sink).deliver([claimed(1), claimed(2), claimed(3)])
    assert [(o.status, o.retry_after_seconds) for o in outcomes] == [
        ("sent", None),
        ("retry", 7.0),
        ("retry", 7.0),
    ]
    assert len(sink.sent) == 2


def test_a_part_delivered_before_a_failure_counts_as_sent():
    sink = RecordingSink(
        GroupingRules(burst_threshold=1), SendResult("retry", "5xx", delivered=(1,))
    )
    outcomes = Courier(sink).deliver([claimed(1), claimed(2)])
    assert {o.outbox_id: o.status for o in outcomes} == {1: "sent", 2: "retry"}


def test_unexplained_errors_give_up_after_the_attempt_limit():
    unexplained = SendResult("retry", "weird", transient=False)
    early = Courier(RecordingSink(GroupingRules(), unexplained)).deliver([claimed(1)])
    late = Courier(RecordingSink(GroupingRules(), unexplained)).deliver(
        [claimed(1, attempts=MAX_UNEXPLAINED_ATTEMPTS)]
    )
    assert (early[0].status, late[0].status) == ("retry", "failed")


def test_a_crashing_sink_loses_nothing():
    class Crashing(RecordingSink):
        def send(self, message, pace):
            raise RuntimeError("bug")

    outcomes = Courier(Crashing(GroupingRules())).deliver([claimed(1), claimed(2)])
    assert [o.status for o in outcomes] == ["retry", "retry"]


def test_destinations_are_planned_apart():
    sink = RecordingSink(GroupingRules(burst_threshold=1, concurrent_destinations=2))
    Courier(sink).deliver([claimed(1, 1), claimed(2, 2), claimed(3, 1)])
    assert sorted((m.kind, m.destination.id, len(m.entries)) for m in sink.sent) == [
        ("burst", 1, 2),
        ("single", 2, 1),
    ]


class ConfirmingSink(RecordingSink):
    """Knows that outbox rows in `landed` were posted before a crash."""

    def __init__(self, rules: GroupingRules, landed: set[int]) -> None:
        super().__init__(rules)
        self.landed = landed

    def confirm_outcome(self, claimed):
        if claimed.alert.outbox_id in self.landed:
            return DeliveryOutcome(claimed.alert.outbox_id, "sent", ref="before-crash")
        return None


def test_in_flight_alerts_that_landed_are_not_posted_again():
    sink = ConfirmingSink(GroupingRules(min_interval_seconds=0.0), landed={1})
    entries = [
        dataclasses.replace(claimed(1), in_flight=True),
        dataclasses.replace(claimed(2), in_flight=True),  # never reached the platform
        claimed(3),
    ]
    outcomes = Courier(sink).deliver(entries)
    assert sorted((o.outbox_id, o.status, o.ref) for o in outcomes) == [
        (1, "sent", "before-crash"),
        (2, "sent", "ref-1"),
        (3, "sent", "ref-2"),
    ]
    assert [m.entries[0].alert.outbox_id for m in sink.sent] == [2, 3]


def test_the_first_post_waits_for_another_replicas_last_post_to_the_channel():
    clock = Clock()
    clock.now = 100.0
    sink = RecordingSink(GroupingRules(min_interval_seconds=1.0))
    courier = Courier(sink, clock=clock, sleep=clock.sleep, wall=clock)
    entry = dataclasses.replace(claimed(1), last_sent_at=99.6)  # posted 0.4 s ago elsewhere
    courier.deliver([entry])
    assert [round(w, 3) for w in clock.waits] == [0.6]
    clock.waits.clear()
    courier.deliver([dataclasses.replace(claimed(2, destination=2), last_sent_at=50.0)])
    assert clock.waits == []  # long ago: no wait
