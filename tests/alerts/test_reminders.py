"""Reminder timing (pure): business days, per-channel offsets, the nearest due reminder only."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.alerts.reminders import announcements, due_reminders, parse_offsets
from bot.analysis.deadlines import Deadline
from bot.common.business_days import business_days_before, roll_forward
from bot.models import Subscription

D = dt.date.fromisoformat


def deadline(due: str, **changes) -> Deadline:
    values = dict(
        subject="doc:FCC 26-1", kind="comments", stated_date=D(due), due_date=D(due),
        basis="text", confidence="high", title="NPRM", link=None, event_id=5, id=1,
        topics=("calea",),
    )  # fmt: skip
    values.update(changes)
    return Deadline(**values)


def test_roll_forward_skips_weekends_and_observed_federal_holidays():
    assert roll_forward(D("2026-11-26")) == D("2026-11-27")  # Thanksgiving
    assert roll_forward(D("2027-07-03")) == D("2027-07-06")  # Sat, Sun, Mon (July 4 observed)
    assert roll_forward(D("2026-12-01")) == D("2026-12-01")
    assert business_days_before(D("2026-11-30"), 1) == D("2026-11-27")
    assert business_days_before(D("2026-12-04"), 7) == D("2026-11-24")  # skips Thanksgiving


def test_only_the_nearest_due_reminder_and_only_for_subscribers():
    subs = [Subscription(10, "calea"), Subscription(11, "robocalls"), Subscription(12, "*")]
    due = deadline("2026-12-04")
    assert due_reminders([due], subs, {}, D("2026-11-23")) == []
    at_t7 = due_reminders([due], subs, {}, D("2026-11-24"))
    assert [(r.destination_id, r.offset) for r in at_t7] == [(10, 7), (12, 7)]
    late = due_reminders([due], subs, {12: (14, 1)}, D("2026-12-03"))
    assert [(r.destination_id, r.offset) for r in late] == [(10, 1), (12, 1)]
    assert due_reminders([due], subs, {10: (), 12: ()}, D("2026-12-03")) == []
    assert (
        due_reminders([deadline("2026-12-04", confidence="medium")], subs, {}, D("2026-12-03"))
        == []
    )
    assert due_reminders([due], subs, {}, D("2026-12-05")) == []  # past


def test_changed_dates_are_announced_to_subscribers():
    changed = deadline("2027-01-15", version=2, previous_due_date=D("2026-12-04"))
    (one,) = announcements([changed], [Subscription(10, "calea"), Subscription(11, "x")])
    assert (one.destination_id, one.offset, one.version) == (10, -1, 2)


@pytest.mark.parametrize(
    ("words", "expected"),
    [(["14", "7", "1"], (14, 7, 1)), (["1", "7", "7"], (7, 1)), (["off"], ()), (["0"], (0,))],
)
def test_parse_offsets(words, expected):
    assert parse_offsets(words) == expected


@pytest.mark.parametrize("words", [[], ["61"], ["-1"], ["soon"], ["7", "x"]])
def test_parse_offsets_refuses(words):
    with pytest.raises(ValueError):
        parse_offsets(words)
