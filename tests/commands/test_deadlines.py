"""`deadlines`, `remind` and `calendar` in chat; the calendar feed parsed back with icalendar."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from bot.app.calendar_route import channel_calendar
from bot.commands.reply import ItemRef
from tests.commands.conftest import ingest, make_ctx, parsed, run, snapshot

CALEA_NPRM = (
    "In PS Docket No. 22-329 the Commission proposes CALEA network security rules. Comments "
    "are due on or before December 13, 2025, and reply comments are due on or before "
    "January 12, 2026."
)


def stock(store, config):
    ingest(store, config, "fcc-edocs", [parsed("CALEA NPRM", days_ago=3, text=CALEA_NPRM)])


def test_deadlines_soonest_first_with_days_left_and_roll_over(store, config, services, ctx):
    stock(store, config)
    reply = run("deadlines PS 22-329", ctx, services)
    entries = [b for b in reply.blocks if isinstance(b, ItemRef)]
    assert [e.source for e in entries] == ["Comments due", "Reply comments due"]
    # 13 Dec 2025 is a Saturday: due Monday 15 Dec (47 CFR 1.4), both dates shown.
    assert (
        "Mon 15 Dec 2025" in entries[0].summary and "stated Sat 13 Dec 2025" in entries[0].summary
    )
    assert "in 14 days" in entries[0].summary
    assert entries[0].link.startswith("https://docs.fcc.gov/")
    assert reply.ok and not reply.in_channel


def test_deadlines_by_topic_and_bad_argument(store, config, services, ctx):
    stock(store, config)
    assert run("deadlines calea", ctx, services).ok
    assert "No upcoming deadlines" in run("deadlines robocalls", ctx, services).text
    before = snapshot(store)
    bad = run("deadlines <!channel>", ctx, services)
    assert not bad.ok and "not a topic, a tracked matter or a docket" in bad.text
    assert snapshot(store) == before


def test_remind_sets_offsets_and_refuses_nonsense(store, services, ctx):
    assert "T-14, T-7, T-1" in run("remind 14 7 1", ctx, services).text
    destination = store.subscriptions.destination("slack", ctx.channel)
    assert store.deadlines.offsets()[destination.id] == (14, 7, 1)
    assert "off" in run("remind off", ctx, services).text
    assert store.deadlines.offsets()[destination.id] == ()
    bad = run("remind soon", ctx, services)
    assert not bad.ok and "not a number of business days" in bad.text


def test_calendar_link_is_private_stable_and_serves_parseable_ics(store, config, services, ctx):
    stock(store, config)
    run("subscribe calea", ctx, services)
    services.public_url = "https://bot.example.com"
    first = run("calendar", ctx, services)
    assert not first.in_channel and "https://bot.example.com/calendar/" in first.text
    assert run("calendar", ctx, services).text == first.text
    other = run("calendar", make_ctx(channel="C0OTHER"), services)
    assert other.text != first.text
    token = first.text.split("/calendar/")[1].split(".ics")[0]
    assert len(token) >= 32

    calendar = icalendar.Calendar.from_ical(channel_calendar(store, token))
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]).split(":")[0] for e in events] == [
        "Comments due",
        "Reply comments due",
    ]
    assert events[0].decoded("dtstart") == dt.date(2025, 12, 15)
    assert "PS 22-329" in str(events[0]["description"])
    uids = [str(e["uid"]) for e in events]

    # An extension updates the same events (same UID, higher SEQUENCE), never duplicates them.
    extension = parsed(
        "Comment deadline extended",
        days_ago=1,
        n=2,
        text="The deadline for comments in PS Docket No. 22-329 is extended to January 5, 2026.",
    )
    ingest(store, config, "fcc-edocs", [extension])
    again = icalendar.Calendar.from_ical(channel_calendar(store, token)).walk("VEVENT")
    assert [str(e["uid"]) for e in again] == uids
    assert again[0].decoded("dtstart") == dt.date(2026, 1, 5) and int(again[0]["sequence"]) == 1
    assert channel_calendar(store, "x" * 32) is None


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_calendar_route_serves_the_feed_and_hides_unknown_tokens(store, config, services, ctx):
    from starlette.testclient import TestClient

    from bot.app.calendar_route import calendar_route
    from bot.app.web import build_web_app
    from bot.store import Store

    stock(store, config)
    run("subscribe calea", ctx, services)
    token = store.deadlines.calendar_token(
        store.subscriptions.destination("slack", ctx.channel).id, ctx.now
    )
    client = TestClient(build_web_app([calendar_route(lambda: Store(store.target))]))
    ok = client.get(f"/calendar/{token}.ics")
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/calendar")
    assert len(icalendar.Calendar.from_ical(ok.content).walk("VEVENT")) == 2
    assert client.get("/calendar/" + "A" * 32 + ".ics").status_code == 404
    assert client.get("/calendar/..%2f.ics").status_code == 404
