"""The console sink: readable alerts, inert against terminal tricks, never loses an alert."""

from __future__ import annotations

import datetime as dt
import io

from bot.models import Alert, Destination, KeyDate, TopicMatch
from bot.pipeline.deliver import Courier
from bot.sinks.console import ConsoleSink, render_console_alert
from bot.store import ClaimedAlert


def alert(**changes) -> Alert:
    values = dict(
        outbox_id=7,
        event_id=3,
        action="new",
        revision=1,
        source_name="FCC EDOCS",
        title="FCC Rescinds CALEA Declaratory Ruling",
        link="https://docs.fcc.gov/public/attachments/DOC-415455A1.pdf",
        published=dt.datetime(2025, 11, 21, 17, tzinfo=dt.UTC),
        topics=(TopicMatch("calea", "docket PS 22-329"),),
        dockets=("PS 22-329",),
        documents=("FCC 25-81",),
        dates=(KeyDate("effective", dt.date(2026, 1, 15)),),
        summary="The Commission voted 2-1.",
        also_in=("Federal Register",),
        matters=("calea-network-security",),
    )
    values.update(changes)
    return Alert(**values)


def test_alert_shows_every_field_a_compliance_reader_needs():
    text = render_console_alert(alert())
    assert text.splitlines()[0] == "[NEW] FCC EDOCS · 2025-11-21 17:00 UTC"
    for needle in (
        "FCC Rescinds CALEA",
        "calea (docket PS 22-329)",
        "PS 22-329, FCC 25-81",
        "effective 2026-01-15",
        "calea-network-security",
        "2-1",
        "also in: Federal Register",
        "DOC-415455A1.pdf",
    ):
        assert needle in text


def test_hostile_text_cannot_forge_lines_or_drive_the_terminal():
    hostile = alert(
        title="ok\x1b[2J\x1b]8;;https://evil\x07click\n[NEW] Fake · forged\u202e",
        summary="line one\r\n[UPDATED] forged",
        documents=("FCC 25-81\n[NEW] x",),
    )
    text = render_console_alert(hostile)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\r" not in text
    assert [line for line in text.splitlines() if line.startswith("[")] == [text.splitlines()[0]]


def test_a_broken_stream_means_retry_not_loss():
    class Broken(io.StringIO):
        def write(self, _):
            raise OSError("stdout closed")

    claimed = [ClaimedAlert(Destination(1, "console", "stdout"), alert(), attempts=1)]
    assert [o.status for o in Courier(ConsoleSink(Broken())).deliver(claimed)] == ["retry"]
    out = io.StringIO()
    assert [o.status for o in Courier(ConsoleSink(out)).deliver(claimed)] == ["sent"]
    assert "FCC Rescinds" in out.getvalue()
