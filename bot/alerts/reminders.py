"""Deadline reminders (pure): which destination is reminded of which deadline, and when.

A destination subscribed to a deadline's topic or matter (or to everything) is reminded
`offsets` business days before the due date (default T-7 and T-1; `/calea remind` changes
them). Only the nearest reminder already due is queued, so a deadline first seen three days
before its date gets one reminder, not two at once. A changed date (extension, correction) is
announced at once (offset -1) and the reminders start again for the new version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.analysis.deadlines import Deadline
from bot.common.business_days import business_days_before, business_days_between, holiday_name
from bot.models import Subscription

DEFAULT_OFFSETS = (7, 1)
MAX_OFFSET = 60
ANNOUNCE = -1  # the offset of a changed-date announcement


@dataclass(frozen=True)
class ReminderDue:
    """One reminder to queue: unique per deadline × destination × offset × version."""

    deadline_id: int
    event_id: int
    destination_id: int
    offset: int
    version: int


def interested(deadline: Deadline, subscriptions: Iterable[Subscription]) -> set[int]:
    """Destinations subscribed to one of the deadline's topics or matters, or to '*'."""
    wanted = {"*", *deadline.topics, *deadline.matters}
    return {s.destination_id for s in subscriptions if s.topic in wanted}


def due_reminders(
    deadlines: Iterable[Deadline],
    subscriptions: Sequence[Subscription],
    offsets: Mapping[int, tuple[int, ...]],
    today: dt.date,
) -> list[ReminderDue]:
    """The reminders due by `today` (already queued ones are ignored by the store)."""
    dues = []
    for deadline in deadlines:
        if deadline.due_date is None or deadline.due_date < today or deadline.id is None:
            continue
        if deadline.confidence != "high":
            continue
        for destination in sorted(interested(deadline, subscriptions)):
            chosen = offsets.get(destination, DEFAULT_OFFSETS)
            passed = [o for o in chosen if business_days_before(deadline.due_date, o) <= today]
            if passed:
                dues.append(
                    ReminderDue(
                        deadline.id,
                        deadline.event_id,
                        destination,
                        min(passed),
                        deadline.version,
                    )
                )
    return dues


def announcements(
    changed: Iterable[Deadline], subscriptions: Sequence[Subscription]
) -> list[ReminderDue]:
    """Tell every interested destination that a deadline's date changed."""
    return [
        ReminderDue(d.id, d.event_id, destination, ANNOUNCE, d.version)
        for d in changed
        if d.id is not None
        for destination in sorted(interested(d, subscriptions))
    ]


def parse_offsets(words: Sequence[str]) -> tuple[int, ...]:
    """`remind 14 7 1` → (14, 7, 1); `remind off` → (). Raises ValueError with a reason."""
    if len(words) == 1 and words[0].lower() in ("off", "none", "stop"):
        return ()
    if not words:
        raise ValueError("give business days before a deadline, e.g. 7 1, or off")
    offsets = []
    for word in words:
        if not word.isdigit() or not 0 <= int(word) <= MAX_OFFSET:
            raise ValueError(f"{word[:20]!r} is not a number of business days from 0 to 60")
        offsets.append(int(word))
    return tuple(sorted(set(offsets), reverse=True))


def day_text(day: dt.date) -> str:
    """ "Mon 7 Dec 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def due_text(deadline: Deadline) -> str:
    """ "Mon 7 Dec 2026 (stated Sat 5 Dec 2026; 47 CFR 1.4: weekend)"."""
    if deadline.due_date is None:
        days = deadline.relative_days
        return f"{days} days after Federal Register publication (not published yet)"
    text = day_text(deadline.due_date)
    if deadline.rolled_over and deadline.stated_date:
        stated = deadline.stated_date
        why = holiday_name(stated) or "weekend"
        text += f" (stated {day_text(stated)}, a {why}; 47 CFR 1.4 moves it)"
    return text


def days_left_text(deadline: Deadline, today: dt.date) -> str:
    """ "today", "tomorrow", "in 5 days (4 business days)"."""
    if deadline.due_date is None:
        return "date not known yet"
    days = (deadline.due_date - today).days
    if days < 0:
        return f"{-days} days ago"
    if days <= 1:
        return ("today", "tomorrow")[days]
    return f"in {days} days ({business_days_between(today, deadline.due_date)} business days)"


def reminder_text(deadline: Deadline, offset: int, today: dt.date) -> tuple[str, str]:
    """A reminder's title and summary (plain text; the title of the document is untrusted)."""
    label = deadline.label
    if offset == ANNOUNCE:
        before = day_text(deadline.previous_due_date) if deadline.previous_due_date else "?"
        title = f"Deadline changed: {label} {due_text(deadline)} (was {before}) — {deadline.title}"
    else:
        title = f"Reminder: {label} {days_left_text(deadline, today)} — {deadline.title}"
    summary = f"{label}: {due_text(deadline)}."
    if deadline.dockets:
        summary += f" Docket {', '.join(deadline.dockets[:3])}."
    return title, summary
