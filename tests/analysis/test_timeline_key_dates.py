"""Matter timelines show one row per real key date: a seeded row and the items stating it merge."""

from __future__ import annotations

import datetime as dt

from bot.analysis.matters import merge_timeline
from bot.models import MatterEvent

DAY = dt.date(2025, 11, 26)


def test_seeded_and_item_key_dates_collapse_into_one_row() -> None:
    seeded = MatterEvent(DAY, "Comments due on the Further Notice of Proposed Rulemaking")
    from_release = MatterEvent(DAY, "Comments due — FCC 25-49: Comment Dates Set", item_id=7)
    from_fr = MatterEvent(DAY, "Comments due — 2025-19624: Submarine Cable Security", item_id=9)
    (only,) = merge_timeline([seeded], [from_release, from_fr])
    assert only.label == seeded.label and only.item_id == 7


def test_different_kinds_on_one_day_stay_apart() -> None:
    events = [
        MatterEvent(DAY, "Comments due — FCC 25-49: NPRM"),
        MatterEvent(DAY, "Reply comments due — FCC 25-49: NPRM"),
        MatterEvent(DAY, "Third-party signing order takes effect"),
        MatterEvent(DAY, "Takes effect — STIR/SHAKEN rules"),
        MatterEvent(DAY, "Ex parte meeting"),
    ]
    assert [e.label for e in merge_timeline(events)] == [
        "Comments due — FCC 25-49: NPRM",
        "Reply comments due — FCC 25-49: NPRM",
        "Third-party signing order takes effect",
        "Ex parte meeting",
    ]
