"""`status`'s first line stays short however many sources fail."""

from __future__ import annotations

import datetime as dt

from bot.models import Health, Source
from bot.reports.status import SourceHealthRow, StatusReport
from bot.reports.text import render_status
from bot.store import SourceState

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


def report(failing: int, ok: int = 2) -> StatusReport:
    rows = [
        SourceHealthRow(Source(id=f"ok{n}", name=f"OK {n}", url="https://x.gov/f"),
                        SourceState(source_id=f"ok{n}", health=Health.OK))
        for n in range(ok)
    ] + [
        SourceHealthRow(Source(id=f"bad{n}", name=f"Bad {n}", url="https://x.gov/f"),
                        SourceState(source_id=f"bad{n}", health=Health.TIMEOUT))
        for n in range(failing)
    ]  # fmt: skip
    return StatusReport(NOW, tuple(rows), (), {}, 0)


def test_many_failures_are_counted_and_only_three_named():
    line = report(7).health_line()
    assert line == (
        "2 sources ok, 7 failing: Bad 0 (timeout), Bad 1 (timeout), Bad 2 (timeout) …and 4 more"
    )
    first = render_status(report(7)).splitlines()[0]
    assert "Bad 3" not in first and "…and 4 more" in first


def test_up_to_three_failures_are_all_named():
    assert report(3).health_line().endswith("Bad 1 (timeout), Bad 2 (timeout)")
    assert "more" not in report(3).health_line()
