"""Docket filings that arrive together are one message per proceeding."""

from __future__ import annotations

import dataclasses

from bot.alerts.planner import GroupingRules, plan_messages
from bot.models import ClaimedAlert
from tests.alerts.test_planner import CHANNEL, kinds
from tests.sinks.teams.helpers import make_alert


def filing(n: int, docket: str) -> ClaimedAlert:
    alert = dataclasses.replace(make_alert(n), filing=True, dockets=(docket,), matters=())
    return ClaimedAlert(CHANNEL, alert, attempts=1)


def test_filings_are_grouped_per_docket_and_other_alerts_stay_single():
    entries = [
        filing(1, "PS 22-329"),
        ClaimedAlert(CHANNEL, make_alert(2), attempts=1),
        filing(3, "PS 22-329"),
    ]
    plan = plan_messages(entries, GroupingRules(burst_threshold=3))
    assert kinds(plan) == [("single", [2]), ("burst", [1, 3])]


def test_one_filing_or_filings_of_different_dockets_stay_single():
    plan = plan_messages([filing(1, "PS 22-329"), filing(2, "WC 17-97")], GroupingRules())
    assert kinds(plan) == [("single", [1]), ("single", [2])]
