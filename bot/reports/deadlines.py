"""Deadlines as text, JSON and iCalendar (the CLI, chat replies and calendar feeds)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from bot.alerts.reminders import day_text, days_left_text, due_text
from bot.analysis.deadlines import Deadline
from bot.common.text_safety import one_line

PRODID = "-//calea-bot//deadlines//EN"


def deadline_json(deadline: Deadline, today: dt.date) -> dict:
    """A JSON-ready dict for --json output."""
    due = deadline.due_date
    return {
        "id": deadline.id,
        "kind": deadline.kind,
        "label": deadline.label,
        "stated_date": deadline.stated_date.isoformat() if deadline.stated_date else None,
        "due_date": due.isoformat() if due else None,
        "previous_due_date": (
            deadline.previous_due_date.isoformat() if deadline.previous_due_date else None
        ),
        "days_left": (due - today).days if due else None,
        "basis": deadline.basis,
        "confidence": deadline.confidence,
        "version": deadline.version,
        "title": deadline.title,
        "link": deadline.link,
        "dockets": list(deadline.dockets),
        "documents": list(deadline.documents),
        "topics": list(deadline.topics),
        "matters": list(deadline.matters),
    }


def render_deadlines(deadlines: Sequence[Deadline], today: dt.date) -> str:
    """Upcoming deadlines, soonest first, one block each (plain text for the terminal)."""
    if not deadlines:
        return "no upcoming deadlines"
    blocks = []
    for d in deadlines:
        lines = [
            f"{day_text(d.due_date) if d.due_date else '?'}  {d.label} — "
            f"{days_left_text(d, today)}",
            f"  {one_line(d.title)}",
        ]
        if d.rolled_over or d.previous_due_date:
            detail = due_text(d) if d.rolled_over else ""
            if d.previous_due_date:
                detail += f"{'; ' if detail else ''}changed from {day_text(d.previous_due_date)}"
            lines.append(f"  {detail}")
        references = [*d.dockets, *d.documents][:6]
        if references:
            lines.append("  refs: " + ", ".join(one_line(r) for r in references))
        if d.link:
            lines.append(f"  {one_line(d.link)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def event_uid(deadline: Deadline) -> str:
    """A UID stable across updates (subject and kind never change), so calendars update."""
    digest = hashlib.sha256(f"{deadline.subject}\x00{deadline.kind}".encode()).hexdigest()
    return f"{digest[:32]}@calea-bot"


def render_ics(deadlines: Sequence[Deadline], name: str, now: dt.datetime) -> bytes:
    """An iCalendar (RFC 5545) feed: one all-day event per dated deadline."""
    import icalendar  # only calendars need it (~0.06 s to import)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", one_line(name)[:100] or "calea-bot deadlines")
    for deadline in deadlines:
        if deadline.due_date is None:
            continue
        event = icalendar.Event()
        event.add("uid", event_uid(deadline))
        event.add("dtstamp", now)
        event.add("dtstart", deadline.due_date)
        event.add("dtend", deadline.due_date + dt.timedelta(days=1))
        event.add("sequence", deadline.version - 1)
        event.add("summary", f"{deadline.label}: {one_line(deadline.title)[:200]}")
        description = [f"{deadline.label}: {due_text(deadline)}"]
        if deadline.previous_due_date:
            description.append(f"Changed from {day_text(deadline.previous_due_date)}.")
        if deadline.dockets:
            description.append("Dockets: " + ", ".join(deadline.dockets))
        if deadline.documents:
            description.append("Documents: " + ", ".join(deadline.documents[:6]))
        if deadline.link:
            description.append(deadline.link)
            if deadline.link.startswith(("https://", "http://")):
                event.add("url", deadline.link)
        event.add("description", "\n".join(one_line(line) for line in description))
        if deadline.dockets:
            event.add("categories", list(deadline.dockets))
        calendar.add_component(event)
    return calendar.to_ical()
