"""Deadlines derived while storing items, reminders through the outbox — injected clock.

Real SQLite files; items go through the real analysis and `store_items`; the clock is a value.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.alerts.planner import GroupingRules
from bot.models import DeliveryOutcome, ParsedItem, SendResult, Source, Topic
from bot.pipeline.analyze import analyze_items
from bot.pipeline.deadlines import queue_due_reminders
from bot.pipeline.deliver import Courier, drain_outbox
from bot.pipeline.poll import store_items
from bot.store import Store

TOPICS = (Topic(id="calea", title="CALEA", keywords=("CALEA",), dockets=("PS 22-329",)),)
FCC = Source(id="fcc", name="FCC", url="https://fcc.example/rss")
FR = Source(id="fr", name="Federal Register", url="https://fr.example/api")
RELEASE_LINK = "https://docs.fcc.gov/public/attachments/FCC-26-81A1.pdf"


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def ingest(store: Store, source: Source, *items: ParsedItem, now: dt.datetime) -> None:
    analysed = analyze_items(items, source=source, topics=TOPICS)
    with store.transaction():
        store_items(store, source, analysed, now=now)


def release(text: str, *, guid: str = "rel-1", title: str = "CALEA security NPRM") -> ParsedItem:
    return ParsedItem(
        title=title,
        link=RELEASE_LINK,
        guid=guid,
        text=f"PS Docket No. 22-329. {text}",
        published=at("2026-10-20"),
        own_documents=("FCC 26-81",),
    )


def fr_document(published: str, **fields) -> ParsedItem:
    return ParsedItem(
        title="Protecting Networks Under CALEA; proposed rule",
        link="https://www.federalregister.gov/documents/2026/10/27/2026-21001/calea",
        guid="2026-21001",
        text="Proposed rule on CALEA.",
        published=at(published, 0),
        own_documents=("2026-21001", "FCC 26-81"),
        dockets=("PS 22-329",),
        doc_type="Proposed Rule",
        **fields,
    )


@pytest.fixture
def subscribed(store):
    destination = store.subscriptions.ensure_destination("console", "stdout", now=at("2026-10-01"))
    store.subscriptions.subscribe(destination.id, ["calea"], now=at("2026-10-01"))
    return destination


def only_deadline(store: Store, kind: str = "comments"):
    found = [d for d in store.deadlines.all_dated() if d.kind == kind]
    assert len(found) == 1, found
    return found[0]


def test_relative_deadline_becomes_concrete_with_holiday_roll_over(store):
    ingest(
        store,
        FCC,
        release("Comments are due 30 days after publication in the Federal Register."),
        now=at("2026-10-20"),
    )
    assert store.deadlines.all_dated() == []  # pending: the FR document has not appeared
    pending = store.db.execute("SELECT relative_days, due_date FROM deadlines").fetchall()
    assert pending == [(30, None)]

    # Published 27 Oct 2026: day 30 is Thanksgiving (26 Nov) → due Friday 27 Nov (§ 1.4).
    ingest(store, FR, fr_document("2026-10-27"), now=at("2026-10-27"))
    deadline = only_deadline(store)
    assert deadline.stated_date == dt.date(2026, 11, 26)
    assert deadline.due_date == dt.date(2026, 11, 27)
    assert deadline.rolled_over and deadline.version == 1
    assert deadline.documents[:1] == ("FCC 26-81",) and "2026-21001" in deadline.documents
    assert len(deadline.item_ids) == 2


def test_federal_register_date_is_authoritative_and_announced(store, subscribed):
    ingest(
        store, FCC, release("Comments are due on or before December 1, 2026."), now=at("2026-10-20")
    )
    assert only_deadline(store).due_date == dt.date(2026, 12, 1)
    from bot.models import KeyDate

    fr = fr_document("2026-10-27", dates=(KeyDate("comments_close", dt.date(2026, 12, 3)),))
    ingest(store, FR, fr, now=at("2026-10-27"))
    deadline = only_deadline(store)
    assert (deadline.due_date, deadline.basis, deadline.version) == (
        dt.date(2026, 12, 3),
        "federal_register",
        2,
    )
    assert deadline.previous_due_date == dt.date(2026, 12, 1)
    rows = store.db.execute("SELECT offset_days, version FROM reminders").fetchall()
    assert rows == [(-1, 2)]  # subscribers are told the date changed


def test_extension_cancels_old_reminders_and_reschedules(store, subscribed):
    ingest(
        store, FCC, release("Comments are due on or before December 4, 2026."), now=at("2026-10-20")
    )
    assert queue_due_reminders(store, now=at("2026-11-25")) == 1  # T-7 business days
    extension = ParsedItem(
        title="Comment deadline extended in PS Docket No. 22-329",
        link="https://docs.fcc.gov/public/attachments/DA-26-1200A1.pdf",
        guid="da-1",
        text="The deadline for comments in PS Docket No. 22-329 is extended to January 15, 2027.",
        published=at("2026-11-26"),
        own_documents=("DA 26-1200",),
    )
    ingest(store, FCC, extension, now=at("2026-11-26"))
    deadline = only_deadline(store)
    assert (deadline.due_date, deadline.version) == (dt.date(2027, 1, 15), 2)
    states = store.db.execute(
        "SELECT r.offset_days, r.version, o.state FROM reminders r "
        "JOIN outbox o ON o.reminder_id = r.id ORDER BY r.id"
    ).fetchall()
    assert states == [(7, 1, "cancelled"), (-1, 2, "pending")]
    # The old date's T-1 never comes; the new date's T-7 does.
    assert queue_due_reminders(store, now=at("2026-12-03")) == 0
    assert queue_due_reminders(store, now=at("2027-01-06")) == 1
    last = store.db.execute(
        "SELECT offset_days, version FROM reminders ORDER BY id DESC"
    ).fetchone()
    assert last == (7, 2)


def test_reminders_follow_per_channel_offsets(store, subscribed):
    ingest(
        store,
        FCC,
        release("Comments are due on or before December 18, 2026."),
        now=at("2026-10-20"),
    )
    store.deadlines.set_offsets(subscribed.id, (14, 1), at("2026-10-20"))
    assert queue_due_reminders(store, now=at("2026-11-27")) == 0  # 15 business days before
    assert queue_due_reminders(store, now=at("2026-11-30")) == 1  # T-14
    assert queue_due_reminders(store, now=at("2026-12-09")) == 0  # T-7 is not chosen
    assert queue_due_reminders(store, now=at("2026-12-17")) == 1  # T-1
    store.deadlines.set_offsets(subscribed.id, (), at("2026-12-17"))
    assert queue_due_reminders(store, now=at("2026-12-18")) == 0  # off


class RecordingSink:
    """Remembers every reminder it delivered, like Slack's message metadata would."""

    platform = "console"
    rules = GroupingRules(burst_threshold=10**9)

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []

    def send(self, message, pace) -> SendResult:
        with pace():
            for alert in message.alerts:
                self.delivered.append((message.destination.address, alert.outbox_id))
        return SendResult("sent")

    def confirm_outcome(self, claimed) -> DeliveryOutcome | None:
        key = (claimed.destination.address, claimed.alert.outbox_id)
        return DeliveryOutcome(claimed.alert.outbox_id, "sent") if key in self.delivered else None

    def close(self) -> None:
        pass


def test_restart_in_the_middle_of_sending_reminders(tmp_path):
    path = tmp_path / "bot.db"
    store = Store(path)
    for channel in ("a", "b", "c"):
        destination = store.subscriptions.ensure_destination(
            "console", channel, now=at("2026-10-01")
        )
        store.subscriptions.subscribe(destination.id, ["calea"], now=at("2026-10-01"))
    ingest(
        store, FCC, release("Comments are due on or before December 4, 2026."), now=at("2026-10-20")
    )
    now = at("2026-11-25")
    drain_outbox(store, {"console": Courier(RecordingSink())}, now=now)  # the release's alerts
    assert queue_due_reminders(store, now=now) == 3
    sink = RecordingSink()
    claimed = store.outbox.claim_due(now, platforms=["console"])
    assert [c.alert.action for c in claimed] == ["reminder"] * 3
    assert "Reminder: Comments due" in claimed[0].alert.title
    Courier(sink).deliver(claimed[:1])  # one went out … then kill -9: nothing recorded
    store.db.conn.close()

    store = Store(path)  # restart: the same day's job runs again, then recovery, then drain
    assert queue_due_reminders(store, now=now) == 0
    for entry in store.outbox.in_flight():
        outcome = sink.confirm_outcome(entry)
        if outcome is not None:
            store.outbox.record([outcome], now, [entry])
    assert store.outbox.recover_in_flight() == 2
    report = drain_outbox(store, {"console": Courier(sink)}, now=now)
    assert report.sent == 2
    assert sorted(address for address, _ in sink.delivered) == ["a", "b", "c"]
    assert drain_outbox(store, {"console": Courier(sink)}, now=now).sent == 0
    store.close()
