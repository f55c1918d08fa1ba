"""The delivery planner: one destination's claimed alerts → messages (pure, no SQLite)."""

from __future__ import annotations

import dataclasses

from bot.alerts.planner import GroupingRules, plan_messages
from bot.models import ClaimedAlert, Destination
from tests.sinks.teams.helpers import make_alert

CHANNEL = Destination(1, "slack", "C1", "alerts")


def entry(n: int, *, digest: bool = False, update: bool = False, ref=None, thread=None):
    alert = make_alert(n)
    if update:
        alert = dataclasses.replace(alert, action="update", revision=2)
    return ClaimedAlert(CHANNEL, alert, attempts=1, ref=ref, thread_ref=thread, digest=digest)


def kinds(plan) -> list[tuple[str, list[int]]]:
    return [(m.kind, [e.alert.outbox_id for e in m.entries]) for m in plan]


def test_a_few_fresh_alerts_are_single_messages_in_queue_order():
    plan = plan_messages([entry(1), entry(2, thread="111.1")], GroupingRules(burst_threshold=3))
    assert kinds(plan) == [("single", [1]), ("single", [2])]
    assert plan[1].thread_ref == "111.1" and plan[0].thread_ref is None


def test_more_than_the_threshold_is_one_burst_split_by_the_per_message_cap():
    plan = plan_messages(
        [entry(n) for n in range(1, 8)], GroupingRules(burst_threshold=3, max_alerts_per_message=3)
    )
    assert kinds(plan) == [("burst", [1, 2, 3]), ("burst", [4, 5, 6]), ("burst", [7])]
    assert all(m.thread_key is None and not m.keeps_ref for m in plan)


def test_without_a_cap_a_burst_is_one_message_the_renderer_may_split():
    plan = plan_messages([entry(n) for n in range(1, 30)], GroupingRules(burst_threshold=3))
    assert kinds(plan) == [("burst", list(range(1, 30)))]


def test_updates_edit_first_where_the_platform_can_and_digests_come_last():
    entries = [
        entry(1, digest=True),
        entry(2, update=True, ref="9.9"),
        entry(3),
        entry(4, digest=True),
    ]
    plan = plan_messages(entries, GroupingRules(can_edit=True))
    assert kinds(plan) == [("update", [2]), ("single", [3]), ("digest", [1, 4])]
    assert plan[0].edit_ref == "9.9" and plan[0].keeps_ref


def test_without_edits_an_update_is_posted_like_a_new_alert():
    plan = plan_messages([entry(2, update=True, ref="9.9")], GroupingRules(can_edit=False))
    assert kinds(plan) == [("single", [2])] and plan[0].edit_ref is None


def test_an_update_with_no_earlier_post_is_not_an_edit():
    plan = plan_messages([entry(2, update=True)], GroupingRules(can_edit=True))
    assert kinds(plan) == [("single", [2])]


def test_nothing_to_send_is_an_empty_plan():
    assert plan_messages([], GroupingRules()) == []
